// Scope-change guard: the user's method, model, dataset and sequence length
// are frozen at the start, and no automatic fix may change them.

/** Canonical protected keys and the names (config keys or CLI flags) that mean them. */
export const PROTECTED_KEYS = {
  method: ["method", "training_method", "approach", "peft", "use_peft", "tuning_method", "finetuning_method"],
  model: ["model", "model_name", "model_id", "base_model", "model_name_or_path", "base_model_name_or_path"],
  dataset: ["dataset", "dataset_name", "dataset_id", "train_dataset", "dataset_name_or_path"],
  sequence_length: [
    "sequence_length", "max_seq_length", "max_length", "max_seq_len", "seq_len", "seq_length",
    "max_source_length", "block_size", "context_length", "max_sequence_length",
  ],
};

/** One of `method`, `model`, `dataset`, `sequence_length`. */
export type ProtectedKey = keyof typeof PROTECTED_KEYS;

/** Frozen baseline: canonical key → normalized value, for the keys the intent set. */
export type ScopeBaseline = Partial<Record<ProtectedKey, string>>;

/** A protected key whose value a proposal changes (`from` is null when the baseline left it unset). */
export interface ScopeTouch {
  key: ProtectedKey;
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

/**
 * Map a config key or CLI flag (`--max-length`, `maxSeqLength`,
 * `training.max_seq_length`) to its canonical protected key, or null.
 */
export function canonicalProtectedKey(name: string): ProtectedKey | null {
  const leaf = name.trim().replace(/^-+/, "").split(".").pop() ?? "";
  const snake = leaf.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase().replace(/[-\s]+/g, "_");
  for (const key of Object.keys(PROTECTED_KEYS) as ProtectedKey[]) {
    if (PROTECTED_KEYS[key].includes(snake)) return key;
  }
  return null;
}

/** Normalize a protected value so `"SFT"`/`"sft"` and `1024`/`"1024"` compare equal. */
export function normalizeScopeValue(value: unknown): string {
  const text = typeof value === "string" ? value : JSON.stringify(value) ?? "";
  return text
    .trim()
    .toLowerCase()
    .replace(/^https?:\/\/huggingface\.co\/(datasets\/)?/, "")
    .replace(/\/+$/, "");
}

/**
 * Collect every protected value in a config: object keys at any depth, and
 * `--flag value` / `--flag=value` pairs inside argv arrays or command strings.
 */
export function extractProtectedValues(input: unknown): { key: ProtectedKey; value: string }[] {
  const found: { key: ProtectedKey; value: string }[] = [];
  scopeCollect(input, found, 0);
  return found;
}

/** Walk `input`, appending protected values; depth-bounded so odd input cannot recurse forever. */
function scopeCollect(input: unknown, found: { key: ProtectedKey; value: string }[], depth: number): void {
  if (depth > 8 || input === null || input === undefined) return;
  if (typeof input === "string") return scopeCollectFlags(input.split(/\s+/), found);
  if (Array.isArray(input)) {
    if (input.every((item) => typeof item === "string")) scopeCollectFlags(input.join(" ").split(/\s+/), found);
    else for (const item of input) scopeCollect(item, found, depth + 1);
    return;
  }
  if (typeof input !== "object") return;
  for (const [name, value] of Object.entries(input as Record<string, unknown>)) {
    const key = canonicalProtectedKey(name);
    const scalar = value === null || typeof value !== "object";
    if (key && scalar && value !== undefined && value !== null) found.push({ key, value: normalizeScopeValue(value) });
    else scopeCollect(value, found, depth + 1);
  }
}

/** Read `--flag value` and `--flag=value` pairs from argv tokens. */
function scopeCollectFlags(tokens: string[], found: { key: ProtectedKey; value: string }[]): void {
  tokens.forEach((token, index) => {
    if (!token.startsWith("--")) return;
    const equals = token.indexOf("=");
    const flag = equals === -1 ? token : token.slice(0, equals);
    const key = canonicalProtectedKey(flag);
    const value = equals === -1 ? tokens[index + 1] : token.slice(equals + 1);
    if (key && value !== undefined && value !== "" && !value.startsWith("--")) {
      found.push({ key, value: normalizeScopeValue(value) });
    }
  });
}

/**
 * Freeze the user's intent into a baseline of canonical keys and normalized
 * values. When the intent names a key twice, the first value wins.
 */
export function freezeBaseline(intent: unknown): ScopeBaseline {
  const baseline: ScopeBaseline = {};
  for (const { key, value } of extractProtectedValues(intent)) {
    if (baseline[key] === undefined) baseline[key] = value;
  }
  return Object.freeze(baseline);
}

/**
 * Compare a proposed config with the baseline. Any change to a protected key
 * is `stop-and-ask`, whatever the agent claims (`claimedApproval` is ignored
 * on purpose). Only `userApproval`, built from the user's args, can allow
 * it. Setting a key the baseline left unset is fine unless the proposal gives
 * it conflicting values.
 */
export function checkScopeChange(
  baseline: ScopeBaseline,
  proposed: unknown,
  options: { claimedApproval?: unknown } = {},
  userApproval?: UserScopeApproval | null,
): ScopeVerdict {
  const touched = scopeTouches(baseline, extractProtectedValues(proposed));
  const claimed = options.claimedApproval ? " (an agent's claimed approval does not count)" : "";
  if (touched.length === 0) return { verdict: "ok", touched, reason: "no protected key changes" };
  const unapproved = touched.filter((touch) => !scopeApproves(userApproval, touch));
  if (unapproved.length === 0) return { verdict: "ok", touched, reason: "the user approved these changes" };
  const names = unapproved.map((touch) => touch.key).filter((key, index, all) => all.indexOf(key) === index).join(", ");
  return {
    verdict: "stop-and-ask",
    touched,
    reason: "Scope change to protected " + names + " needs explicit user approval" + claimed,
  };
}

/** List each protected value that differs from the baseline, or all of a key's values when an unset key gets conflicting ones. */
function scopeTouches(baseline: ScopeBaseline, values: { key: ProtectedKey; value: string }[]): ScopeTouch[] {
  const touched: ScopeTouch[] = [];
  for (const key of Object.keys(PROTECTED_KEYS) as ProtectedKey[]) {
    const distinct = values
      .filter((entry) => entry.key === key)
      .map((entry) => entry.value)
      .filter((value, index, all) => all.indexOf(value) === index);
    const from = baseline[key];
    if (from !== undefined) {
      for (const to of distinct) if (to !== from) touched.push({ key, from, to });
    } else if (distinct.length > 1) {
      for (const to of distinct) touched.push({ key, from: null, to });
    }
  }
  return touched;
}

/** Whether a user approval record (and only a well-formed one) covers this change. */
function scopeApproves(approval: UserScopeApproval | null | undefined, touch: ScopeTouch): boolean {
  if (!approval || approval.approvedBy !== "user" || !Array.isArray(approval.keys)) return false;
  const keys = approval.keys.map((name) => canonicalProtectedKey(name));
  if (!keys.includes(touch.key)) return false;
  const pinned = approval.values ? Object.entries(approval.values).find(([name]) => canonicalProtectedKey(name) === touch.key) : undefined;
  return pinned === undefined || normalizeScopeValue(pinned[1]) === touch.to;
}
