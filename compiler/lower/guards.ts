import type { GuardKind, ParamValue } from "../ir.js";
import type { Quantity } from "./prose.js";

/** The type a known guard parameter must have. */
export type ParamType = "number" | "range" | "boolean" | "list";

/** The values a number may take: a limit below its floor or above its ceiling is an error at its line. */
export interface Bounds {
  min: number;
  max: number;
  integer: boolean;
}

export interface GuardSpec {
  kind: GuardKind;
  /** The title a guard gets when specc adds it for a value written elsewhere. */
  title: string;
  words: RegExp;
  defaults: Record<string, ParamValue>;
  types: Record<string, ParamType>;
  bounds: Record<string, Bounds>;
  /** Which key a number read from this guard's prose sets, by what the number counts. */
  prose: Partial<Record<Quantity, string>>;
}

const COUNT = (min: number, max: number): Bounds => ({ min, max, integer: true });

/**
 * Known guards: title words, documented defaults (ml-intern's reference numbers, which are about
 * agent loops in general), parameter types and bounds. docs/spec-language.md §7 prints this
 * table. Order matters: the first guard whose words match a title wins, so the specific
 * "research budget" comes before the general "budget".
 */
export const GUARDS: GuardSpec[] = [
  {
    kind: "bounded-iteration",
    title: "Bounded iteration",
    words: /\b(bounded iteration|iteration (limit|budget|cap|bound)s?|max(imum)? iterations|iterations?|loop (limit|bound)s?|turn limits?)\b/i,
    defaults: { max_iterations: 300, max_retries: 3 },
    types: { max_iterations: "number", max_retries: "number" },
    bounds: { max_iterations: COUNT(1, 1_000_000), max_retries: COUNT(0, 100) },
    prose: { iterations: "max_iterations", retries: "max_retries" },
  },
  {
    kind: "repetition",
    title: "Repetition guard",
    words: /\b(repetition|doom[- ]loops?|repeat\w*|loop detection)\b/i,
    defaults: { window: 30, identical_streak: 3, cycle_length: { min: 2, max: 5 }, cycle_repeats: 2 },
    types: { window: "number", identical_streak: "number", cycle_length: "range", cycle_repeats: "number" },
    bounds: { window: COUNT(2, 100_000), identical_streak: COUNT(2, 1_000), cycle_length: COUNT(1, 1_000), cycle_repeats: COUNT(2, 1_000) },
    prose: { window: "window", streak: "identical_streak", "identical-streak": "identical_streak", "cycle-length": "cycle_length", "cycle-repeats": "cycle_repeats" },
  },
  {
    kind: "continuation",
    title: "Continuation guard",
    words: /\bcontinuation\b/i,
    defaults: { max_retries: 2 },
    types: { max_retries: "number" },
    bounds: { max_retries: COUNT(0, 100) },
    prose: { retries: "max_retries", continuations: "max_retries" },
  },
  {
    kind: "malformed-action",
    title: "Malformed-action guard",
    words: /\bmalformed\b/i,
    defaults: { max_streak: 2 },
    types: { max_streak: "number" },
    bounds: { max_streak: COUNT(1, 100) },
    prose: { streak: "max_streak", "malformed-streak": "max_streak", retries: "max_streak" },
  },
  {
    kind: "output-truncation",
    title: "Output truncation",
    words: /\btruncat/i,
    defaults: { drop_tool_calls: true, counts_as_iteration: true },
    types: { drop_tool_calls: "boolean", counts_as_iteration: "boolean" },
    bounds: {},
    prose: {},
  },
  {
    kind: "compaction",
    title: "Context compaction",
    words: /\b(compaction|context (window|budget|limit))\b/i,
    defaults: { threshold: 0.9, keep_messages: 5, max_message_tokens: 50000 },
    types: { threshold: "number", keep_messages: "number", max_message_tokens: "number" },
    bounds: { threshold: { min: 0.01, max: 1, integer: false }, keep_messages: COUNT(0, 10_000), max_message_tokens: COUNT(1, 100_000_000) },
    prose: { fraction: "threshold", messages: "keep_messages", tokens: "max_message_tokens" },
  },
  {
    kind: "research-budget",
    title: "Research sub-agent budget",
    words: /\b(research (sub-?agent )?budget|sub-?agent budget|research steps|sub-?agent)\b/i,
    defaults: { max_steps: 60 },
    types: { max_steps: "number" },
    bounds: { max_steps: COUNT(1, 1_000_000) },
    prose: { steps: "max_steps" },
  },
  {
    kind: "approval",
    title: "Approval and spend",
    words: /\b(approvals?|spend\w*|costs?|budgets?|money|billing|compute cap)\b/i,
    defaults: { cost_cap_usd: 10 },
    types: { cost_cap_usd: "number" },
    bounds: { cost_cap_usd: { min: 0, max: 1_000_000, integer: false } },
    prose: { money: "cost_cap_usd" },
  },
  {
    kind: "effort-probing",
    title: "Effort probing",
    words: /\beffort\b/i,
    defaults: { levels: ["high", "medium", "low"] },
    types: { levels: "list" },
    bounds: {},
    prose: {},
  },
];

/** Where a number read outside any guard (a rule, the contract's own text) belongs. */
export const UNGUARDED_PROSE: Partial<Record<Quantity, { kind: GuardKind; key: string }>> = {
  money: { kind: "approval", key: "cost_cap_usd" },
  iterations: { kind: "bounded-iteration", key: "max_iterations" },
  retries: { kind: "bounded-iteration", key: "max_retries" },
  window: { kind: "repetition", key: "window" },
  "identical-streak": { kind: "repetition", key: "identical_streak" },
  "malformed-streak": { kind: "malformed-action", key: "max_streak" },
  continuations: { kind: "continuation", key: "max_retries" },
  steps: { kind: "research-budget", key: "max_steps" },
  "cycle-length": { kind: "repetition", key: "cycle_length" },
  "cycle-repeats": { kind: "repetition", key: "cycle_repeats" },
};

/**
 * What a limit written under a plain label means (`| cost cap | $9.50 / run |`, `- max spend: $40`):
 * label words → guard key, most specific first. Each has an example that the tests run.
 */
export const LABELS: { words: RegExp; kind: GuardKind; key: string; example: string }[] = [
  { words: /\bcontinuation\b|\bnudges?\b/, kind: "continuation", key: "max_retries", example: "continuation retries" },
  { words: /\bmalformed\b/, kind: "malformed-action", key: "max_streak", example: "malformed tool output streak" },
  { words: /\bcycle\s+length\b/, kind: "repetition", key: "cycle_length", example: "cycle length" },
  { words: /\bcycle\s+repeats?\b/, kind: "repetition", key: "cycle_repeats", example: "cycle repeats" },
  { words: /\b(?:identical|same)\b/, kind: "repetition", key: "identical_streak", example: "identical actions in a row" },
  { words: /\b(?:repetition\s+)?window\b/, kind: "repetition", key: "window", example: "repetition window" },
  { words: /\bresearch\b|\bsub-?agent\b/, kind: "research-budget", key: "max_steps", example: "research steps (search+fetch)" },
  { words: /\b(?:cost|spend|spending|budget|money|usd|dollars?)\b/, kind: "approval", key: "cost_cap_usd", example: "cost cap" },
  { words: /\biterations?\b|\bturns?\b/, kind: "bounded-iteration", key: "max_iterations", example: "max iterations" },
  { words: /\bretr(?:y|ies)\b/, kind: "bounded-iteration", key: "max_retries", example: "retries per tool call" },
  { words: /\bthreshold\b/, kind: "compaction", key: "threshold", example: "compaction threshold" },
  { words: /\btokens?\b/, kind: "compaction", key: "max_message_tokens", example: "max message tokens" },
];

/** The guard key a plain label names (`cost cap` → approval `cost_cap_usd`), if any. */
export function labelTarget(label: string): { spec: GuardSpec; key: string } | null {
  const words = label.toLowerCase().replace(/_/g, " ");
  const found = LABELS.find((entry) => entry.words.test(words));
  const spec = found ? guardSpec(found.kind) : null;
  return found && spec ? { spec, key: found.key } : null;
}

/** The known guard a contract sub-section's title names, if any. */
export function guardSpecFor(title: string): GuardSpec | null {
  return GUARDS.find((spec) => spec.words.test(title)) ?? null;
}

/** The guard spec of a kind. */
export function guardSpec(kind: GuardKind): GuardSpec | null {
  return GUARDS.find((spec) => spec.kind === kind) ?? null;
}

/** The one guard kind that owns a key (`cost_cap_usd` → approval); null for shared or unknown keys. */
export function ownerOf(key: string): GuardSpec | null {
  const owners = GUARDS.filter((spec) => Object.hasOwn(spec.types, key));
  return owners.length === 1 ? owners[0] : null;
}

/** Whether a parsed value has the type a known parameter needs. */
export function valueHasType(value: ParamValue, type: ParamType): boolean {
  switch (type) {
    case "number":
      return typeof value === "number";
    case "boolean":
      return typeof value === "boolean";
    case "range":
      return typeof value === "number" || (typeof value === "object" && !Array.isArray(value) && "min" in value);
    case "list":
      return Array.isArray(value) || typeof value === "string";
  }
}

/** The numbers of a value that bounds apply to (both ends of a range). */
export function numbersOf(value: ParamValue): number[] {
  if (typeof value === "number") return [value];
  if (typeof value === "object" && value !== null && !Array.isArray(value) && "min" in value) return [value.min, value.max];
  return [];
}

/** Whether every number of `value` lies within `bounds`. */
export function withinBounds(value: ParamValue, bounds: Bounds): boolean {
  return numbersOf(value).every((n) => Number.isFinite(n) && n >= bounds.min && n <= bounds.max && (!bounds.integer || Number.isInteger(n)));
}
