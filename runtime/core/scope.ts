// Scope-change guard: the values the user set are frozen at the start, and no
// automatic fix may change them. Which keys are protected is data: a table of
// canonical keys and the names (config keys or CLI flags) that mean them,
// supplied by the pipeline, so the guard itself knows no domain vocabulary.

/** Protected keys: canonical key → the names that mean it (the canonical name always does). */
export type ProtectedKeyTable = { [canonical: string]: string[] };

/**
 * How values are compared, besides the key table. `stripPrefixes` lists
 * prefixes (for example a site's URL root) removed from a value before
 * comparison, so `https://example.org/a` and `a` compare equal when the
 * pipeline lists `https://example.org/`. Without it values are only trimmed,
 * lowercased and stripped of trailing slashes.
 */
export interface ScopeValueOptions {
  stripPrefixes?: string[];
}

/** Frozen baseline: canonical key → normalized value, for the keys the intent set. */
export type ScopeBaseline = { [key: string]: string };

/** A protected key whose value a proposal changes (`from` is null when the baseline left it unset). */
export interface ScopeTouch {
  key: string;
  from: string | null;
  to: string;
}

/**
 * Approval for a scope change. Only valid when built by the workflow script
 * from its invocation `args` (that is, typed by the user); never build it from
 * agent output, which can claim anything. `values`, when given, pins the
 * approved new values.
 */
export interface UserScopeApproval {
  approvedBy: "user";
  keys: string[];
  values?: Record<string, unknown>;
}

/** Verdict of `checkScopeChange`. */
export interface ScopeVerdict {
  verdict: "ok" | "stop-and-ask";
  touched: ScopeTouch[];
  reason: string;
}

/** Options of `checkScopeChange`: the key table, value options and any approval an agent claimed (ignored). */
export interface ScopeCheckOptions extends ScopeValueOptions {
  keys?: ProtectedKeyTable;
  claimedApproval?: unknown;
}

/** A name as snake case: `--max-items`, `maxItems` and `config.max_items` are all `max_items`. */
function scopeSnake(name: string): string {
  // Most names scanned are plain words of text (every word of an agent's output is looked up):
  // those are their own snake case, and skipping the regular expressions keeps scans cheap.
  if (scopePlainSnake(name)) return name;
  const leaf = String(name).trim().replace(/^-+/, "").split(".").pop() ?? "";
  return leaf.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase().replace(/[-\s]+/g, "_");
}

/** Whether a name is already snake case (`[a-z0-9_]+`). */
function scopePlainSnake(name: string): boolean {
  if (typeof name !== "string" || name.length === 0) return false;
  for (let index = 0; index < name.length; index++) {
    const code = name.charCodeAt(index);
    if (!((code >= 97 && code <= 122) || (code >= 48 && code <= 57) || code === 95)) return false;
  }
  return true;
}

/**
 * Map a config key or CLI flag (`--max-items`, `maxItems`,
 * `config.max_items`) to its canonical key in `keys`, or null. Names
 * and aliases are compared in snake case; a canonical key is its own alias.
 */
export function canonicalProtectedKey(name: string, keys: ProtectedKeyTable): string | null {
  const snake = scopeSnake(name);
  const table = scopeTable(keys);
  if (snake === "") return null;
  for (const key of Object.keys(table)) {
    if (scopeSnake(key) === snake) return key;
    const aliases = Array.isArray(table[key]) ? table[key] : [];
    if (aliases.some((alias) => typeof alias === "string" && !alias.includes("{") && scopeSnake(alias) === snake)) return key;
  }
  return null;
}

/**
 * Normalize a protected value so `"ABC"`/`"abc"` and `1024`/`"1024"` compare
 * equal: trimmed, lowercased, trailing slashes removed, and the longest
 * matching `stripPrefixes` entry removed from the front.
 */
export function normalizeScopeValue(value: unknown, stripPrefixes: string[] = []): string {
  let text = (typeof value === "string" ? value : JSON.stringify(value) ?? "").trim().toLowerCase();
  const prefixes = (Array.isArray(stripPrefixes) ? stripPrefixes : [])
    .filter((prefix) => typeof prefix === "string" && prefix !== "")
    .map((prefix) => prefix.trim().toLowerCase())
    .sort((a, b) => b.length - a.length);
  const prefix = prefixes.find((candidate) => candidate !== "" && text.startsWith(candidate));
  if (prefix !== undefined) text = text.slice(prefix.length);
  return text.replace(/\/+$/, "");
}

/** One protected value found in a proposal; `leaves` holds the scalars of an object given as the value. */
export interface ScopeFound {
  key: string;
  value: string;
  leaves?: string[];
}

/**
 * Collect every protected value in a config: object keys at any depth,
 * `--flag value` / `--flag=value` pairs inside argv arrays or command
 * strings, and `key = value` / `key: value` pairs inside any string (inline
 * code, YAML, JSON text). An object given as a protected key's value counts
 * as that key's value (it is a change unless one of its scalars is the
 * baseline value).
 */
export function extractProtectedValues(input: unknown, keys: ProtectedKeyTable, options: ScopeValueOptions = {}): ScopeFound[] {
  const found: ScopeFound[] = [];
  scopeCollect(input, scopeLookupOf(keys, options), found, 0);
  return found;
}

/** What a scan needs: the table, a prototype-free map from snake-case name to canonical key, and the prefixes. */
interface ScopeLookup {
  keys: ProtectedKeyTable;
  names: { [snake: string]: string };
  prefixes: string[];
}

/** Build the lookup once per scan, so each name is resolved in constant time. */
function scopeLookupOf(keys: unknown, options: ScopeValueOptions): ScopeLookup {
  const table = scopeTable(keys);
  const names: { [snake: string]: string } = Object.create(null);
  for (const key of Object.keys(table)) {
    if (!(scopeSnake(key) in names)) names[scopeSnake(key)] = key;
  }
  for (const key of Object.keys(table)) {
    for (const alias of Array.isArray(table[key]) ? table[key] : []) {
      if (typeof alias === "string" && !alias.includes("{") && scopeSnake(alias) !== "" && !(scopeSnake(alias) in names)) names[scopeSnake(alias)] = key;
    }
  }
  const prefixes = Array.isArray(options.stripPrefixes) ? options.stripPrefixes : [];
  return { keys: table, names, prefixes };
}

/** A usable key table (anything else protects nothing). */
function scopeTable(keys: unknown): ProtectedKeyTable {
  return keys !== null && typeof keys === "object" && !Array.isArray(keys) ? (keys as ProtectedKeyTable) : {};
}

/** The canonical key of a name through a lookup, or null. */
function scopeNameKey(name: string, lookup: ScopeLookup): string | null {
  const snake = scopeSnake(name);
  return snake === "" || !(snake in lookup.names) ? null : lookup.names[snake];
}

/** Whether a value means "not set" (so it changes nothing). */
function scopeUnset(value: unknown): boolean {
  return value === null || value === undefined || (typeof value === "string" && ["", "null", "none", "undefined"].includes(value.trim().toLowerCase()));
}

/** Walk `input`, appending protected values; depth-bounded so odd input cannot recurse forever. */
function scopeCollect(input: unknown, lookup: ScopeLookup, found: ScopeFound[], depth: number): void {
  if (depth > 8 || input === null || input === undefined) return;
  if (typeof input === "string") return scopeCollectText(input, lookup, found, false);
  if (Array.isArray(input)) {
    if (input.every((item) => typeof item === "string")) scopeCollectText(input.join(" "), lookup, found, false);
    else for (const item of input) scopeCollect(item, lookup, found, depth + 1);
    return;
  }
  if (typeof input !== "object") return;
  for (const [name, value] of Object.entries(input as Record<string, unknown>)) {
    const key = scopeNameKey(name, lookup);
    if (key === null || scopeUnset(value)) {
      scopeCollect(value, lookup, found, depth + 1);
      continue;
    }
    if (typeof value !== "object") {
      found.push({ key, value: normalizeScopeValue(value, lookup.prefixes) });
      continue;
    }
    const before = found.length;
    scopeCollect(value, lookup, found, depth + 1);
    if (found.length === before) {
      const leaves: string[] = [];
      scopeLeaves(value, leaves, depth + 1);
      found.push({ key, value: normalizeScopeValue(value, lookup.prefixes), leaves: leaves.map((leaf) => normalizeScopeValue(leaf, lookup.prefixes)) });
    }
  }
}

/** The scalars of a value, depth-bounded. */
function scopeLeaves(input: unknown, leaves: string[], depth: number): void {
  if (depth > 8 || input === null || input === undefined) return;
  if (typeof input !== "object") return void leaves.push(String(input));
  for (const value of Array.isArray(input) ? input : Object.values(input as Record<string, unknown>)) scopeLeaves(value, leaves, depth + 1);
}

/** Characters of a name in `key = value` text. */
function scopeNameChar(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95 || code === 46 || code === 45;
}

/** Values after `:` that are type names or filler, not settings. */
const SCOPE_FILLER_VALUES = [
  "str", "int", "float", "bool", "string", "number", "boolean", "any", "optional", "list", "dict", "none", "null", "undefined",
  "the", "a", "an", "this", "that", "it", "we", "i", "same", "unchanged", "as", "is", "was", "not", "see", "per", "from", "of", "to", "in", "on", "for", "with", "and", "or",
];

/** Characters that end a bare value. */
const SCOPE_VALUE_STOPS = " \t\r\n,;)}]\"'`=";

/** The longest value read after a separator: values are short, and the bound keeps a scan linear. */
const SCOPE_VALUE_MAX = 300;

/**
 * Read protected values from text: `--flag value` / `--flag=value` tokens,
 * and `name = value` / `name: value` pairs (quoted or bare; a bare value
 * after `=` that is a plain identifier is a variable, not a setting; an
 * expression with `(` is skipped, its own arguments are read). With `prose`
 * (the user's task text) also `name value` phrases and the table's phrase
 * templates. One pass over the text; every value read is bounded.
 */
function scopeCollectText(text: string, lookup: ScopeLookup, found: ScopeFound[], prose: boolean): void {
  const tokens = text.split(/\s+/).filter((token) => token !== "");
  scopeCollectFlags(tokens, lookup, found);
  scopeCollectPairs(text, lookup, found);
  if (prose) scopeCollectPhrases(tokens, lookup, found);
}

/** Read `--flag value` and `--flag=value` pairs from argv tokens. */
function scopeCollectFlags(tokens: string[], lookup: ScopeLookup, found: ScopeFound[]): void {
  tokens.forEach((token, index) => {
    if (!token.startsWith("--")) return;
    const equals = token.indexOf("=");
    const flag = equals === -1 ? token : token.slice(0, equals);
    const key = scopeNameKey(flag, lookup);
    const raw = equals === -1 ? tokens[index + 1] : token.slice(equals + 1);
    const value = raw === undefined ? "" : scopeTrimValue(raw);
    if (key && value !== "" && !value.startsWith("--") && !scopeUnset(value)) {
      found.push({ key, value: normalizeScopeValue(value, lookup.prefixes) });
    }
  });
}

/** A token without the quotes and punctuation around it. */
function scopeTrimValue(token: string): string {
  let start = 0;
  let end = token.length;
  while (start < end && "\"'`([{".includes(token[start])) start++;
  while (end > start && "\"'`.,;:!?)]}".includes(token[end - 1])) end--;
  return token.slice(start, end);
}

/** Read `name = value` and `name: value` pairs anywhere in a text (names found left to right, each once). */
function scopeCollectPairs(text: string, lookup: ScopeLookup, found: ScopeFound[]): void {
  let index = 0;
  while (index < text.length) {
    if (!scopeNameChar(text.charCodeAt(index))) {
      index++;
      continue;
    }
    const start = index;
    while (index < text.length && scopeNameChar(text.charCodeAt(index))) index++;
    const key = scopeNameKey(text.slice(start, index), lookup);
    if (key === null) continue;
    let at = index;
    if (text[at] === "\"" || text[at] === "'") at++;
    while (at < text.length && at - index < 8 && (text[at] === " " || text[at] === "\t")) at++;
    const separator = text[at];
    if ((separator !== "=" && separator !== ":") || text[at + 1] === "=") continue;
    const value = scopePairValue(text, at + 1, separator);
    if (value !== null) found.push({ key, value: normalizeScopeValue(value, lookup.prefixes) });
  }
}

/** The value of a pair whose separator is at `from - 1`, or null when it is no setting. */
function scopePairValue(text: string, from: number, separator: string): string | null {
  let at = from;
  while (at < text.length && at - from < 8 && (text[at] === " " || text[at] === "\t")) at++;
  const quote = text[at];
  if (quote === "\"" || quote === "'" || quote === "`") {
    const span = text.slice(at + 1, at + 2 + SCOPE_VALUE_MAX);
    const close = span.indexOf(quote);
    if (close === -1) return null;
    const quoted = span.slice(0, close);
    return scopeUnset(quoted) || quoted.includes("\n") ? null : quoted;
  }
  let end = at;
  while (end < text.length && end - at < SCOPE_VALUE_MAX && !SCOPE_VALUE_STOPS.includes(text[end])) end++;
  const bare = scopeTrimValue(text.slice(at, end));
  if (bare === "" || bare.includes("(") || bare.includes("=") || scopeUnset(bare)) return null;
  const lower = bare.toLowerCase();
  const literal = /^[-+]?\d/.test(bare) || ["true", "false"].includes(lower) || /[/-]/.test(bare);
  if (separator === "=") {
    // `name=name` passes a variable; only literals are settings.
    return literal ? bare : null;
  }
  if (SCOPE_FILLER_VALUES.includes(lower)) return null;
  // `name: str = ...` is a type annotation.
  let after = end;
  while (after < text.length && after - end < 8 && (text[after] === " " || text[after] === "\t")) after++;
  if (text[after] === "=" && text[after + 1] !== "=") return null;
  return bare;
}

/** Connector words between a name and its value in prose. */
const SCOPE_CONNECTORS = ["is", "of", "=", ":", "to", "set", "at", "be"];

/** A prose token shaped like a value: a number, a path or id, or a word with capitals. */
function scopeShapedValue(value: string): boolean {
  return /\d/.test(value) || value.includes("/") || /[A-Z]/.test(value);
}

/**
 * Read `name value` phrases from prose (`max items 20`, `the venue
 * owner/name`, `venue: The Weekly`) for every name of the table written with
 * spaces, hyphens or underscores, and the table's phrase templates: an
 * alias holding one placeholder (`write for {id}`, `on {id}`,
 * `with {a|b}`), where `{id}` is an `owner/name` id, `{number}` a number
 * and `{a|b}` one of the words listed.
 */
function scopeCollectPhrases(tokens: string[], lookup: ScopeLookup, found: ScopeFound[]): void {
  const words = tokens.map((token) => scopeTrimValue(token).toLowerCase().replace(/-/g, "_"));
  const templates = scopeTemplates(lookup.keys);
  const longest = Math.min(6, Math.max(1, ...Object.keys(lookup.names).map((name) => name.split("_").length)));
  for (let index = 0; index < words.length; index++) {
    for (let size = longest; size >= 1; size--) {
      if (index + size > words.length) continue;
      const name = words.slice(index, index + size).join("_");
      const key = name === "" || !(name in lookup.names) ? null : lookup.names[name];
      if (key === null) continue;
      let at = index + size;
      let connected = /[:=]$/.test(tokens[index + size - 1]);
      while (at < words.length && at - index - size < 2 && SCOPE_CONNECTORS.includes(words[at])) {
        connected = connected || words[at] === ":" || words[at] === "=";
        at++;
      }
      if (at >= tokens.length) break;
      const quoted = /^["'`]/.test(tokens[at]);
      const value = scopeTrimValue(tokens[at]);
      if (value !== "" && !scopeUnset(value) && !SCOPE_FILLER_VALUES.includes(value.toLowerCase()) && (connected || quoted || scopeShapedValue(value))) {
        found.push({ key, value: normalizeScopeValue(value, lookup.prefixes) });
      }
      break;
    }
    for (const template of templates) {
      const value = scopeTemplateAt(template, tokens, words, index);
      if (value !== null) found.push({ key: template.key, value: normalizeScopeValue(value, lookup.prefixes) });
    }
  }
}

/** A phrase template of the key table: words before and after one placeholder. */
interface ScopeTemplate {
  key: string;
  before: string[];
  slot: string;
  after: string[];
}

/** The table's phrase templates (aliases with one `{placeholder}`). */
function scopeTemplates(keys: ProtectedKeyTable): ScopeTemplate[] {
  const templates: ScopeTemplate[] = [];
  for (const key of Object.keys(keys)) {
    for (const alias of Array.isArray(keys[key]) ? keys[key] : []) {
      if (typeof alias !== "string") continue;
      const open = alias.indexOf("{");
      const close = alias.indexOf("}", open);
      if (open === -1 || close === -1 || alias.indexOf("{", open + 1) !== -1) continue;
      const words = (part: string) => part.trim().toLowerCase().replace(/-/g, "_").split(/\s+/).filter((word) => word !== "");
      templates.push({ key, before: words(alias.slice(0, open)), slot: alias.slice(open + 1, close).trim().toLowerCase(), after: words(alias.slice(close + 1)) });
    }
  }
  return templates;
}

/** The value a template reads with its placeholder at token `index`, or null. */
function scopeTemplateAt(template: ScopeTemplate, tokens: string[], words: string[], index: number): string | null {
  const first = index - template.before.length;
  if (first < 0 || index + template.after.length >= words.length) return null;
  if (template.before.some((word, offset) => words[first + offset] !== word)) return null;
  if (template.after.some((word, offset) => words[index + 1 + offset] !== word)) return null;
  const value = scopeTrimValue(tokens[index]);
  if (value === "") return null;
  if (template.slot === "id") return /^[A-Za-z0-9][\w.-]*\/[\w.-]*[A-Za-z0-9]$/.test(value) || /^https?:\/\//.test(value) ? value : null;
  if (template.slot === "number") return /^\d+(?:\.\d+)?$/.test(value) ? value : null;
  const choices = template.slot.split("|").map((choice) => choice.trim().replace(/-/g, "_"));
  return choices.includes(words[index]) ? value : null;
}

/**
 * The protected values the user's own words fix: every value
 * `extractProtectedValues` reads from a string, plus `name value` phrases
 * and the key table's phrase templates (see `scopeCollectPhrases`). The
 * first value of a key wins.
 */
export function scopeValuesFromText(text: unknown, keys: ProtectedKeyTable, options: ScopeValueOptions = {}): ScopeBaseline {
  const found: ScopeFound[] = [];
  if (typeof text === "string") scopeCollectText(text.slice(0, 100000), scopeLookupOf(keys, options), found, true);
  const values: ScopeBaseline = {};
  for (const { key, value } of found) if (!Object.hasOwn(values, key)) values[key] = value;
  return values;
}

/**
 * The baseline a check uses: the frozen baseline, plus every key the user's
 * task text fixes that the baseline left unset (a value the user wrote is
 * protected even when the intake did not report it).
 */
export function scopeBaselineWithTask(baseline: ScopeBaseline | null | undefined, task: unknown, keys: ProtectedKeyTable, options: ScopeValueOptions = {}): ScopeBaseline {
  return { ...scopeValuesFromText(task, keys, options), ...(baseline ?? {}) };
}

/**
 * Freeze the user's intent into a baseline of canonical keys and normalized
 * values, for the keys of `keys`. When the intent names a key twice, the
 * first value wins.
 */
export function freezeBaseline(intent: unknown, keys: ProtectedKeyTable, options: ScopeValueOptions = {}): ScopeBaseline {
  const baseline: ScopeBaseline = {};
  for (const { key, value } of extractProtectedValues(intent, keys, options)) {
    if (!Object.hasOwn(baseline, key)) baseline[key] = value;
  }
  return Object.freeze(baseline);
}

/**
 * The table a check uses: `keys`, plus every baseline key the table does not
 * name, as its own only alias (a frozen value is always protected).
 */
export function scopeKeysWithBaseline(baseline: ScopeBaseline, keys: ProtectedKeyTable): ProtectedKeyTable {
  const table: ProtectedKeyTable = { ...scopeTable(keys) };
  for (const key of Object.keys(baseline ?? {})) {
    if (canonicalProtectedKey(key, table) === null) table[key] = [key];
  }
  return table;
}

/**
 * Compare a proposed config with the baseline. Any change to a protected key
 * (a key of `options.keys`, or a key the baseline holds) is `stop-and-ask`,
 * whatever the agent claims (`claimedApproval` is ignored on purpose). Only
 * `userApproval`, built from the user's args, can allow it. Setting a key the
 * baseline left unset is fine unless the proposal gives it conflicting values.
 */
export function checkScopeChange(
  baseline: ScopeBaseline,
  proposed: unknown,
  options: ScopeCheckOptions = {},
  userApproval?: UserScopeApproval | null,
): ScopeVerdict {
  const keys = scopeKeysWithBaseline(baseline ?? {}, scopeTable(options.keys));
  const touched = scopeTouches(baseline ?? {}, keys, extractProtectedValues(proposed, keys, options));
  const claimed = options.claimedApproval ? " (an agent's claimed approval does not count)" : "";
  if (touched.length === 0) return { verdict: "ok", touched, reason: "no protected key changes" };
  const unapproved = touched.filter((touch) => !scopeApproves(userApproval, touch, keys, options));
  if (unapproved.length === 0) return { verdict: "ok", touched, reason: "the user approved these changes" };
  const names = unapproved.map((touch) => touch.key).filter((key, index, all) => all.indexOf(key) === index).join(", ");
  return {
    verdict: "stop-and-ask",
    touched,
    reason: "Scope change to protected " + names + " needs explicit user approval" + claimed,
  };
}

/** Whether a found value is the baseline value: equal, its last path segment (`name` for `owner/name`), or an object holding it. */
function scopeSame(from: string, entry: ScopeFound): boolean {
  if (entry.value === from) return true;
  if (from.includes("/") && entry.value === from.slice(from.lastIndexOf("/") + 1) && entry.value !== "") return true;
  return Array.isArray(entry.leaves) && entry.leaves.includes(from);
}

/** List each protected value that differs from the baseline, or all of a key's values when an unset key gets conflicting ones. */
function scopeTouches(baseline: ScopeBaseline, keys: ProtectedKeyTable, values: ScopeFound[]): ScopeTouch[] {
  const touched: ScopeTouch[] = [];
  for (const key of Object.keys(keys)) {
    const entries = values.filter((entry) => entry.key === key);
    const distinct = entries.map((entry) => entry.value).filter((value, index, all) => all.indexOf(value) === index);
    const from = Object.hasOwn(baseline, key) ? baseline[key] : undefined;
    if (from !== undefined) {
      for (const to of distinct) if (!entries.some((entry) => entry.value === to && scopeSame(from, entry))) touched.push({ key, from, to });
    } else if (distinct.length > 1) {
      for (const to of distinct) touched.push({ key, from: null, to });
    }
  }
  return touched;
}

/** Whether a user approval record (and only a well-formed one) covers this change. */
function scopeApproves(approval: UserScopeApproval | null | undefined, touch: ScopeTouch, keys: ProtectedKeyTable, options: ScopeValueOptions): boolean {
  if (!approval || approval.approvedBy !== "user" || !Array.isArray(approval.keys)) return false;
  const approved = approval.keys.map((name) => canonicalProtectedKey(name, keys));
  if (!approved.includes(touch.key)) return false;
  const pinned = approval.values ? Object.entries(approval.values).find(([name]) => canonicalProtectedKey(name, keys) === touch.key) : undefined;
  return pinned === undefined || normalizeScopeValue(pinned[1], options.stripPrefixes ?? []) === touch.to;
}
