import type { GuardKind, ParamValue } from "../ir.js";

/** The type a known guard parameter must have. */
export type ParamType = "number" | "range" | "boolean" | "list";

interface GuardSpec {
  kind: GuardKind;
  words: RegExp;
  defaults: Record<string, ParamValue>;
  types: Record<string, ParamType>;
}

/**
 * Known guards: title words, documented defaults (ml-intern's reference numbers) and parameter
 * types. docs/spec-language.md §7 prints this table; keep them in step.
 */
export const GUARDS: GuardSpec[] = [
  {
    kind: "bounded-iteration",
    words: /\b(bounded iteration|iteration (limit|budget|cap)|max(imum)? iterations)\b/i,
    defaults: { max_iterations: 300, max_retries: 3 },
    types: { max_iterations: "number", max_retries: "number" },
  },
  {
    kind: "repetition",
    words: /\b(repetition|doom[- ]loop|repeat)/i,
    defaults: { window: 30, identical_streak: 3, cycle_length: { min: 2, max: 5 }, cycle_repeats: 2 },
    types: { window: "number", identical_streak: "number", cycle_length: "range", cycle_repeats: "number" },
  },
  {
    kind: "continuation",
    words: /\bcontinuation\b/i,
    defaults: { max_retries: 2 },
    types: { max_retries: "number" },
  },
  {
    kind: "malformed-action",
    words: /\bmalformed\b/i,
    defaults: { max_streak: 2 },
    types: { max_streak: "number" },
  },
  {
    kind: "output-truncation",
    words: /\btruncat/i,
    defaults: { drop_tool_calls: true, counts_as_iteration: true },
    types: { drop_tool_calls: "boolean", counts_as_iteration: "boolean" },
  },
  {
    kind: "compaction",
    words: /\b(compaction|context (window|budget))\b/i,
    defaults: { threshold: 0.9, keep_messages: 5, max_message_tokens: 50000 },
    types: { threshold: "number", keep_messages: "number", max_message_tokens: "number" },
  },
  {
    kind: "research-budget",
    words: /\b(research|sub-?agent)\b/i,
    defaults: { max_steps: 60 },
    types: { max_steps: "number" },
  },
  {
    kind: "approval",
    words: /\b(approval|spend|cost|budget)\b/i,
    defaults: { cost_cap_usd: 10 },
    types: { cost_cap_usd: "number" },
  },
  {
    kind: "effort-probing",
    words: /\beffort\b/i,
    defaults: { levels: ["high", "medium", "low"] },
    types: { levels: "list" },
  },
];

/** The known guard a contract sub-section's title names, if any. */
export function guardSpecFor(title: string): GuardSpec | null {
  return GUARDS.find((spec) => spec.words.test(title)) ?? null;
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
