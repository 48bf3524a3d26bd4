import type { GuardKind, SpecIR } from "../ir.js";
import type { ResolvedContract } from "../pipeline.js";
import { change, whereIn, type Change, type DiffSide } from "./change.js";

/** One number of the resolved control contract and which way is looser. */
export interface Limit {
  /** The id in the report: the contract's own name. */
  id: string;
  /** How the Markdown names it. */
  label: string;
  unit?: string;
  value: (contract: ResolvedContract) => number | null;
  /** The guard and parameter key that write it in a spec. */
  kind: GuardKind;
  key: string;
  /**
   * `higher` when a larger number lets more through (a higher cost cap, more retries); `lower`
   * when a larger number catches more (a wider repetition window sees more repeats).
   */
  looserWhen: "higher" | "lower";
}

export const LIMITS: readonly Limit[] = [
  { id: "maxIterations", label: "iteration bound", value: (c) => c.maxIterations, kind: "bounded-iteration", key: "max_iterations", looserWhen: "higher" },
  { id: "maxRetries", label: "max retries", value: (c) => c.maxRetries, kind: "bounded-iteration", key: "max_retries", looserWhen: "higher" },
  { id: "repetition.window", label: "repetition window", value: (c) => c.repetition.window, kind: "repetition", key: "window", looserWhen: "lower" },
  { id: "repetition.identicalStreak", label: "identical-action streak", value: (c) => c.repetition.identicalStreak, kind: "repetition", key: "identical_streak", looserWhen: "higher" },
  { id: "repetition.cycleMinLength", label: "shortest cycle detected", value: (c) => c.repetition.cycleMinLength, kind: "repetition", key: "cycle_length", looserWhen: "higher" },
  { id: "repetition.cycleMaxLength", label: "longest cycle detected", value: (c) => c.repetition.cycleMaxLength, kind: "repetition", key: "cycle_length", looserWhen: "lower" },
  { id: "repetition.cycleRepeats", label: "cycle repeats", value: (c) => c.repetition.cycleRepeats, kind: "repetition", key: "cycle_repeats", looserWhen: "higher" },
  { id: "continuationRetries", label: "continuation retries", value: (c) => c.continuationRetries, kind: "continuation", key: "max_retries", looserWhen: "higher" },
  { id: "malformedStreak", label: "malformed-action streak", value: (c) => c.malformedStreak, kind: "malformed-action", key: "max_streak", looserWhen: "higher" },
  { id: "costCapUsd", label: "cost cap", unit: "USD", value: (c) => c.costCapUsd, kind: "approval", key: "cost_cap_usd", looserWhen: "higher" },
  { id: "researchMaxSteps", label: "research step budget", value: (c) => c.researchMaxSteps, kind: "research-budget", key: "max_steps", looserWhen: "higher" },
];

/**
 * The numbers the runtime enforces, after defaults and the run parameters: a number that lets
 * more through is loosened, one that lets less through is tightened. No cost cap at all (null)
 * is the loosest cap there is.
 */
export function diffLimits(before: DiffSide, after: DiffSide): Change[] {
  const changes: Change[] = [];
  for (const limit of LIMITS) {
    const from = limit.value(before.pipeline.contract);
    const to = limit.value(after.pipeline.contract);
    if (from === to) continue;
    const looser = limit.looserWhen === "higher" ? openEnded(to) > openEnded(from) : openEnded(to) < openEnded(from);
    const where = whereIn(after, lineOf(after.ir, limit)) ?? whereIn(before, lineOf(before.ir, limit));
    changes.push(change(looser ? "limit-loosened" : "limit-tightened", { id: limit.id, from: from ?? "none", to: to ?? "none", where }));
  }
  return changes;
}

function openEnded(value: number | null): number {
  return value ?? Number.POSITIVE_INFINITY;
}

/** Where a spec writes a limit: the guard's parameter, or for the cost cap the run parameter's default. */
function lineOf(ir: SpecIR, limit: Limit): number | undefined {
  const param = ir.contract.guards.find((guard) => guard.kind === limit.kind)?.params.find((candidate) => candidate.key === limit.key && candidate.origin !== "default");
  if (param) return param.source.start.line;
  return limit.id === "costCapUsd" ? ir.params.find((candidate) => candidate.name === "cost_cap_usd")?.source.start.line : undefined;
}
