import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { SpeccError } from "./errors.js";

/** Constructs a Claude Code workflow script may not contain (claude-code-formats §1.5). */
export const FORBIDDEN_IN_SCRIPTS: [RegExp, string][] = [
  [/\bimport\s*\(/, "import()"],
  [/^[ \t]*import[ \t{*]/m, "an import statement"],
  [/\brequire\s*\(/, "require()"],
  [/\bDate\.now\s*\(/, "Date.now()"],
  [/\bMath\.random\s*\(/, "Math.random()"],
  [/\bnew\s+Date\s*\(\s*\)/, "new Date()"],
];

function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) {
    const parent = dirname(dir);
    if (parent === dir) throw new SpeccError("cannot find specc's package.json to locate the runtime");
    dir = parent;
  }
  return dir;
}

/** The compiled JavaScript of one runtime folder (`core`, `workflow`), imports and exports stripped. */
function inlineFolder(root: string, folder: string): string {
  const dir = join(root, "dist", "runtime", folder);
  if (!existsSync(dir)) throw new SpeccError(`cannot find the compiled runtime in dist/runtime/${folder}`, { hint: "run `npm run build` (npm ci does it for you)" });
  return readdirSync(dir)
    .filter((name) => name.endsWith(".js") && name !== "index.js")
    .sort()
    .map((name) => `// runtime/${folder}/${name.replace(/\.js$/, ".ts")}\n${strip(readFileSync(join(dir, name), "utf8"))}`)
    .join("\n");
}

/** Remove module syntax so the files can share one script scope. */
export function strip(source: string): string {
  return source
    .replace(/^import\s[\s\S]*?\sfrom\s+["'][^"']+["'];?[ \t]*\n/gm, "")
    .replace(/^export \{\s*\};?[ \t]*\n/gm, "")
    .replace(/^export (?=(?:async\s+)?function\b|const\b|let\b)/gm, "")
    .replace(/\r\n/g, "\n")
    .trimEnd();
}

const cache = new Map<string, string>();

/**
 * The runtime as plain JavaScript to paste into a script that cannot import: one source (the
 * compiled runtime/), no hand-kept copy. `parts` picks the folders, in order.
 */
export function inlineRuntime(parts: ("core" | "workflow")[] = ["core", "workflow"]): string {
  const key = parts.join(",");
  const cached = cache.get(key);
  if (cached !== undefined) return cached;
  const root = packageRoot();
  const code = parts.map((part) => inlineFolder(root, part)).join("\n");
  for (const [pattern, name] of FORBIDDEN_IN_SCRIPTS) {
    if (pattern.test(code)) throw new SpeccError(`internal: the inlined runtime contains ${name}`, { exitCode: 3 });
  }
  cache.set(key, code);
  return code;
}
