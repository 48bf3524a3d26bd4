import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { SpeccError } from "./errors.js";
import { findPackageRoot } from "./package-root.js";
import { shakeRuntime } from "./shake-runtime.js";

export { parseShakeGraph, precomputedShakeGraph, runtimeStepKinds, shakeRuntime, type ShakeGraph } from "./shake-runtime.js";

// Whitespace and comments, which may sit between the tokens of a construct.
const GAP = String.raw`(?:\s|\/\*[\s\S]*?\*\/|\/\/[^\n]*\n)*`;
const gapped = (source: string, flags = ""): RegExp => new RegExp(source.replace(/_/g, GAP), flags);

/**
 * Constructs a Claude Code workflow script may not contain (claude-code-formats §1.5), as text
 * patterns (tokens may be spaced or commented apart; `\u` escapes in identifiers are candidates
 * too). They also match inside strings and comments (a spec that mentions `Math.random()`), so
 * they are only the pre-check of `forbiddenConstructs`, which decides on the code's tokens.
 */
export const FORBIDDEN_IN_SCRIPTS: [RegExp, string][] = [
  [gapped(String.raw`\bimport_\(`), "import()"],
  [/^[ \t]*import[ \t{*]/m, "an import statement"],
  [gapped(String.raw`\brequire_\(`), "require()"],
  [gapped(String.raw`\bDate_\??\._now_\(`), "Date.now()"],
  [gapped(String.raw`\bMath_\??\._random_\(`), "Math.random()"],
  [gapped(String.raw`\bnew_Date_(?:\(_\)|(?!\())`), "new Date()"],
  [/\\u(?:00[2-7][0-9a-fA-F]|\{0*[2-7][0-9a-fA-F]\})/, "an escaped identifier"],
];

/** A forbidden construct in code: where it starts (a character offset) and what it is. */
export interface ForbiddenConstruct {
  index: number;
  name: string;
}

type Tokenizer = typeof import("acorn").tokenizer;
let tokenizer: Tokenizer | undefined;

interface CodeToken {
  /** `name`, a keyword, or the punctuation itself (`.`, `(`, ...). */
  kind: string;
  value: string;
  start: number;
}

/**
 * The forbidden constructs in a script's CODE. Strings, template text, regular expressions and
 * comments are data: spec text lives there and may say `Math.random()` or `require("fs")`. A text
 * pre-check (FORBIDDEN_IN_SCRIPTS) keeps acorn unloaded for the scripts that mention none of the
 * constructs; when it finds one, acorn's tokenizer decides. A script acorn cannot tokenize is
 * judged by the text patterns alone (its syntax error is reported elsewhere).
 */
export function forbiddenConstructs(source: string): ForbiddenConstruct[] {
  const candidates = FORBIDDEN_IN_SCRIPTS.map(([pattern, name]) => ({ match: pattern.exec(source), name })).filter((entry) => entry.match !== null);
  if (candidates.length === 0) return [];
  let tokens: CodeToken[];
  try {
    tokens = codeTokens(source);
  } catch {
    return candidates.filter(({ name }) => name !== "an escaped identifier").map(({ match, name }) => ({ index: match!.index, name }));
  }
  const found: ForbiddenConstruct[] = [];
  const at = (index: number): CodeToken | undefined => tokens[index];
  const is = (index: number, kind: string, value?: string): boolean => at(index)?.kind === kind && (value === undefined || at(index)?.value === value);
  const member = (index: number): boolean => is(index - 1, ".") || is(index - 1, "?.");
  for (let index = 0; index < tokens.length; index++) {
    const token = tokens[index];
    if (token.kind === "import" && !member(index) && !is(index + 1, ":") && !is(index + 1, ".")) {
      found.push({ index: token.start, name: is(index + 1, "(") ? "import()" : "an import statement" });
    } else if (token.kind !== "name" || member(index)) {
      continue;
    } else if (token.value === "require" && is(index + 1, "(")) {
      found.push({ index: token.start, name: "require()" });
    } else if (token.value === "Date" && (is(index + 1, ".") || is(index + 1, "?.")) && is(index + 2, "name", "now") && is(index + 3, "(")) {
      found.push({ index: token.start, name: "Date.now()" });
    } else if (token.value === "Math" && (is(index + 1, ".") || is(index + 1, "?.")) && is(index + 2, "name", "random") && is(index + 3, "(")) {
      found.push({ index: token.start, name: "Math.random()" });
    } else if (token.value === "Date" && is(index - 1, "new") && (!is(index + 1, "(") || is(index + 2, ")"))) {
      found.push({ index: tokens[index - 1].start, name: "new Date()" });
    }
  }
  return found;
}

/** The code tokens of a script (acorn, loaded on first use); strings, templates, regexps and comments dropped. */
function codeTokens(source: string): CodeToken[] {
  tokenizer ??= (createRequire(import.meta.url)("acorn") as typeof import("acorn")).tokenizer;
  const tokens: CodeToken[] = [];
  const options = { ecmaVersion: "latest", sourceType: "module", allowHashBang: true, allowReturnOutsideFunction: true, allowAwaitOutsideFunction: true } as const;
  for (const token of tokenizer(source, options)) {
    const label = token.type.label;
    if (label === "string" || label === "template" || label === "regexp" || label === "num" || label === "`") continue;
    const value = (token as { value?: unknown }).value;
    tokens.push({ kind: token.type.keyword ?? label, value: typeof value === "string" ? value : "", start: token.start });
  }
  return tokens;
}

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
export function inlineRuntime(parts: ("core" | "workflow" | "hook")[] = ["core", "workflow"], options: InlineRuntimeOptions = {}): string {
  const { roots, kinds } = options;
  if (kinds !== undefined && roots === undefined) throw new SpeccError("internal: inlineRuntime was given step kinds without roots", { exitCode: 70 });
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
  const [forbidden] = forbiddenConstructs(code);
  if (forbidden) throw new SpeccError(`internal: the inlined runtime contains ${forbidden.name}`, { exitCode: 70 });
  cache.set(key, code);
  return code;
}
