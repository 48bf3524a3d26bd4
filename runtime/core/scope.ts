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
  const leaf = String(name).trim().replace(/^-+/, "").split(".").pop() ?? "";
  return leaf.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase().replace(/[-\s]+/g, "_");
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
    if (aliases.some((alias) => typeof alias === "string" && scopeSnake(alias) === snake)) return key;
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

/**
 * Collect every protected value in a config: object keys at any depth, and
 * `--flag value` / `--flag=value` pairs inside argv arrays or command strings.
 */
export function extractProtectedValues(input: unknown, keys: ProtectedKeyTable, options: ScopeValueOptions = {}): { key: string; value: string }[] {
  const found: { key: string; value: string }[] = [];
  scopeCollect(input, { keys: scopeTable(keys), prefixes: options.stripPrefixes ?? [] }, found, 0);
  return found;
}

/** A usable key table (anything else protects nothing). */
function scopeTable(keys: unknown): ProtectedKeyTable {
  return keys !== null && typeof keys === "object" && !Array.isArray(keys) ? (keys as ProtectedKeyTable) : {};
}

/** Walk `input`, appending protected values; depth-bounded so odd input cannot recurse forever. */
function scopeCollect(input: unknown, lookup: { keys: ProtectedKeyTable; prefixes: string[] }, found: { key: string; value: string }[], depth: number): void {
  if (depth > 8 || input === null || input === undefined) return;
  if (typeof input === "string") return scopeCollectFlags(input.split(/\s+/), lookup, found);
  if (Array.isArray(input)) {
    if (input.every((item) => typeof item === "string")) scopeCollectFlags(input.join(" ").split(/\s+/), lookup, found);
    else for (const item of input) scopeCollect(item, lookup, found, depth + 1);
    return;
  }
  if (typeof input !== "object") return;
  for (const [name, value] of Object.entries(input as Record<string, unknown>)) {
    const key = canonicalProtectedKey(name, lookup.keys);
    const scalar = value === null || typeof value !== "object";
    if (key && scalar && value !== undefined && value !== null) found.push({ key, value: normalizeScopeValue(value, lookup.prefixes) });
    else scopeCollect(value, lookup, found, depth + 1);
  }
}

/** Read `--flag value` and `--flag=value` pairs from argv tokens. */
function scopeCollectFlags(tokens: string[], lookup: { keys: ProtectedKeyTable; prefixes: string[] }, found: { key: string; value: string }[]): void {
  tokens.forEach((token, index) => {
    if (!token.startsWith("--")) return;
    const equals = token.indexOf("=");
    const flag = equals === -1 ? token : token.slice(0, equals);
    const key = canonicalProtectedKey(flag, lookup.keys);
    const value = equals === -1 ? tokens[index + 1] : token.slice(equals + 1);
    if (key && value !== undefined && value !== "" && !value.startsWith("--")) {
      found.push({ key, value: normalizeScopeValue(value, lookup.prefixes) });
    }
  });
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

/** List each protected value that differs from the baseline, or all of a key's values when an unset key gets conflicting ones. */
function scopeTouches(baseline: ScopeBaseline, keys: ProtectedKeyTable, values: { key: string; value: string }[]): ScopeTouch[] {
  const touched: ScopeTouch[] = [];
  for (const key of Object.keys(keys)) {
    const distinct = values
      .filter((entry) => entry.key === key)
      .map((entry) => entry.value)
      .filter((value, index, all) => all.indexOf(value) === index);
    const from = Object.hasOwn(baseline, key) ? baseline[key] : undefined;
    if (from !== undefined) {
      for (const to of distinct) if (to !== from) touched.push({ key, from, to });
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
