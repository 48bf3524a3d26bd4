import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { SpeccError } from "./errors.js";
import { findPackageRoot } from "./package-root.js";
import { shakeRuntime } from "./shake-runtime.js";

export { parseShakeGraph, precomputedShakeGraph, runtimeStepKinds, shakeRuntime, type ShakeGraph } from "./shake-runtime.js";

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
  const root = findPackageRoot();
  if (root === null) throw new SpeccError("cannot find specc's package.json to locate the runtime");
  return root;
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

/** Which runtime an inlined script needs; without `roots`, all of it. */
export interface InlineRuntimeOptions {
  /** Top-level runtime names the script's own code uses: only what they reach is inlined. */
  roots?: string[];
  /** The step kinds the script runs (needs `roots`): `STEP_KINDS` keeps only their drivers. */
  kinds?: string[];
}

const folders = new Map<string, string>();
const cache = new Map<string, string>();

/**
 * The runtime as plain JavaScript to paste into a script that cannot import: one source (the
 * compiled runtime/), no hand-kept copy. `parts` picks the folders, in order; `roots` (and
 * `kinds`) drop what the script never reaches (see shakeRuntime).
 */
export function inlineRuntime(parts: ("core" | "workflow")[] = ["core", "workflow"], options: InlineRuntimeOptions = {}): string {
  const { roots, kinds } = options;
  if (kinds !== undefined && roots === undefined) throw new SpeccError("internal: inlineRuntime was given step kinds without roots", { exitCode: 3 });
  const partsKey = parts.join(",");
  // The output does not depend on the order of roots or kinds, so neither does the key.
  const key = roots === undefined ? partsKey : JSON.stringify([partsKey, [...new Set(roots)].sort(), kinds === undefined ? null : [...new Set(kinds)].sort()]);
  const cached = cache.get(key);
  if (cached !== undefined) return cached;
  let full = folders.get(partsKey);
  if (full === undefined) {
    const root = packageRoot();
    full = parts.map((part) => inlineFolder(root, part)).join("\n");
    folders.set(partsKey, full);
  }
  const code = roots === undefined ? full : shakeRuntime(full, { roots, kinds });
  for (const [pattern, name] of FORBIDDEN_IN_SCRIPTS) {
    if (pattern.test(code)) throw new SpeccError(`internal: the inlined runtime contains ${name}`, { exitCode: 3 });
  }
  cache.set(key, code);
  return code;
}
