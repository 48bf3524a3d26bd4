// The driver's use of the pure core guards every kind may need: spend
// approval and settlement, the scope guard and the repetition guard, plus
// small readers of step config.
import { approvalClass, decideApproval } from "../core/approval.js";
import { LEDGER_MAX_USD, ledgerCommitted, ledgerRemaining, protoFreeRecord, reserve, settle } from "../core/ledger.js";
import { actionSignature, checkRepetition, repetitionParams, type ActionRecord } from "../core/repetition.js";
import { checkScopeChange, scopeBaselineWithTask } from "../core/scope.js";
import { APPROVE_ALL_UNDER_CAP, approveArgument, pipelineProtectedKeys, runApprovals, runUserApproval, runWithEvent, runWithStop } from "./state.js";
import type { DriverPipeline, DriverStep, RunState } from "./types.js";

/** The largest count step config may set (retries, polls, iterations): a larger one is clamped to it. */
export const CONFIG_COUNT_MAX = 10000;

/** A non-negative integer from step config (at most `CONFIG_COUNT_MAX`), else the fallback. */
export function configCount(value: unknown, fallback: number): number {
  return typeof value === "number" && Number.isInteger(value) && value >= 0 ? Math.min(value, CONFIG_COUNT_MAX) : fallback;
}

/** A positive finite number, else null. */
export function positiveNumber(value: unknown): number | null {
  return typeof value === "number" && Number.isFinite(value) && value > 0 ? value : null;
}

/** A non-empty string, else null. */
export function nonEmptyText(value: unknown): string | null {
  return typeof value === "string" && value.trim() !== "" ? value.trim() : null;
}

/** A plain object, else an empty one. */
export function plainObject(value: unknown): { [key: string]: unknown } {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as { [key: string]: unknown }) : {};
}

/** The non-empty strings of a list (anything else is dropped). */
export function textList(value: unknown): string[] {
  return (Array.isArray(value) ? value : []).filter((item): item is string => typeof item === "string" && item.trim() !== "").map((item) => item.trim());
}

/** The step's retry bound: `config.maxRetries`, else the contract's. */
export function stepMaxRetries(pipeline: DriverPipeline, step: DriverStep): number {
  return configCount((step.config ?? {}).maxRetries, configCount(pipeline.contract.maxRetries, 3));
}

/** Stop for a step the compiler built without the agents its kind needs. */
export function missingAgentStop(run: RunState, step: DriverStep, slot: string): RunState {
  return runWithStop(run, step, "invalid-pipeline", "the " + step.kind + " step `" + step.id + "` has no " + slot + " agent");
}

/** The ledger key of one billable attempt: unique per step run and attempt, so reruns never collide. */
export function billingKey(run: RunState, step: DriverStep, attempt: number): string {
  const runs = Object.hasOwn(run.attempts, step.id) ? run.attempts[step.id] : 1;
  return step.id + "/" + runs + "#" + attempt;
}

/**
 * Approve one billable action before it starts, from its worst-case
 * `estimateUsd` (null when unknown). With no cost cap it stops with
 * `needs-approval` naming the `cost_cap_usd` argument; an estimate over the
 * remaining cap stops with `cost-cap-reached` in every mode. The user's
 * `approve` arg (the step id, or `all-under-cap`) approves it in any mode,
 * reserving the estimate (or, when it is unknown, everything left under the
 * cap, so the cap still bounds it). Otherwise `decideApproval` decides:
 * autonomous runs reserve a known estimate; anything that needs a human
 * stops with `needs-approval`, naming the argument that approves it on a
 * rerun. Carries the ledger with the new reservation.
 */
export function approveBillable(
  run: RunState,
  step: DriverStep,
  spend: { key: string; what: string; estimateUsd: number | null },
): { run: RunState; estimateUsd: number | null } {
  const given: unknown = spend.estimateUsd;
  const estimate = typeof given === "number" && Number.isFinite(given) && given >= 0 && given <= LEDGER_MAX_USD ? given : null;
  if (estimate === null && given !== null && given !== undefined) {
    // A negative, NaN, infinite or absurd estimate is refused, not treated as unknown: no approval covers it.
    return { run: runWithStop(run, step, "needs-approval", spend.what + " has an unusable cost estimate " + JSON.stringify(String(given)) + "; it was refused"), estimateUsd: null };
  }
  const cost = estimate !== null ? " (estimate $" + estimate + ")" : " (cost unknown)";
  const argument = approveArgument(step.id) + " (or \"" + APPROVE_ALL_UNDER_CAP + "\" to approve every spend under the cap)";
  if (run.costCapUsd === null) {
    const detail = spend.what + cost + " would spend money and the run has no cost cap. Rerun with the argument {\"cost_cap_usd\": <USD>} to set one" + (run.mode === "interactive" ? ", and " + argument.replace(/^Rerun with /, "") : "");
    return { run: runWithStop(run, step, "needs-approval", detail), estimateUsd: estimate };
  }
  const remaining = ledgerRemaining(run.ledger);
  if (estimate !== null && estimate > remaining) {
    const detail = spend.what + " is estimated at $" + estimate + ", over the $" + remaining + " left of the $" + run.ledger.capUsd + " cost cap";
    return { run: runWithStop(run, step, "cost-cap-reached", detail), estimateUsd: estimate };
  }
  const approvals = runApprovals(run);
  if (approvals.includes(step.id) || approvals.includes(APPROVE_ALL_UNDER_CAP)) {
    if (estimate === null && remaining <= 0) {
      return { run: runWithStop(run, step, "cost-cap-reached", spend.what + cost + " was approved, but nothing is left of the $" + run.ledger.capUsd + " cost cap"), estimateUsd: estimate };
    }
    const amount = estimate !== null ? estimate : remaining;
    const reserved = reserve(run.ledger, { key: spend.key, estimateUsd: amount });
    if (!reserved.ok) {
      return { run: runWithStop(run, step, "needs-approval", spend.what + cost + " could not be reserved (" + reserved.reason + "). " + argument), estimateUsd: estimate };
    }
    const approved = runWithEvent({ ...run, ledger: reserved.ledger }, step, "approval", spend.what + " approved by the user's args; reserved $" + amount + " under " + spend.key);
    return { run: approved, estimateUsd: estimate };
  }
  const decision = decideApproval({ cls: approvalClass({ kind: "job" }), mode: run.mode, estimateUsd: estimate, ledger: run.ledger, key: spend.key });
  if (decision.decision !== "approve") {
    const detail = spend.what + cost + " needs the user's approval: " + decision.reason + ". " + argument;
    return { run: runWithStop(run, step, "needs-approval", detail), estimateUsd: estimate };
  }
  const approved = { ...run, ledger: decision.ledger ?? run.ledger };
  return { run: runWithEvent(approved, step, "approval", spend.what + " reserved $" + estimate + " under " + spend.key), estimateUsd: estimate };
}

/**
 * Settle a billable attempt. The agent's word never lowers it: without a
 * `verifiedUsd` (the result of a read-only check of the provider's own
 * record, passed by a caller that has one; the driver has none today) it
 * settles at the larger of the reported cost and the reservation, so a
 * report of 0 frees nothing under the cap; a report above the reservation is
 * taken. Spend over the cap after settlement stops the run with
 * `cost-cap-reached`, so nothing else is started.
 */
export function settleBillable(run: RunState, step: DriverStep, key: string, reportedUsd: unknown, verifiedUsd?: unknown): RunState {
  const usable = (value: unknown): number | null => (typeof value === "number" && !Number.isNaN(value) && value >= 0 ? Math.min(value, LEDGER_MAX_USD) : null);
  const reported = usable(reportedUsd);
  const verified = usable(verifiedUsd);
  const reservedUsd = Object.hasOwn(run.ledger.reserved, key) ? run.ledger.reserved[key] : 0;
  const ledger = settle(run.ledger, key, reported, verified);
  const basis = verified !== null ? "verified cost" : reported !== null && reported > reservedUsd ? "reported cost, over the reservation" : "reservation $" + reservedUsd + " (reported " + (reported === null ? "nothing usable" : "$" + reported) + ", unverified)";
  const settled = runWithEvent({ ...run, ledger }, step, "settle", key + " settled at $" + ledger.settled[key] + " (" + basis + ")");
  const committed = ledgerCommitted(ledger);
  if (run.costCapUsd !== null && committed > ledger.capUsd) {
    return runWithStop(settled, step, "cost-cap-reached", "actual spend $" + committed + " is over the $" + ledger.capUsd + " cost cap");
  }
  return settled;
}

/**
 * Check proposed changes with the scope guard against the frozen baseline,
 * using the pipeline's protected keys (and every key the baseline holds).
 * Only the user's `approvedScopeChanges` arg can allow a protected change;
 * anything else, whatever the proposer claims, stops with
 * `scope-change-requires-approval`, naming the argument that allows it.
 */
export function checkStepScope(pipeline: DriverPipeline, run: RunState, step: DriverStep, changes: unknown, who: string): RunState {
  if (changes === undefined || changes === null) return run;
  const options = { keys: pipelineProtectedKeys(pipeline), stripPrefixes: pipeline.scopeStripPrefixes ?? [] };
  const verdict = checkScopeChange(scopeBaselineWithTask(run.baseline, run.args.task, options.keys, options), changes, options, runUserApproval(run));
  if (verdict.verdict !== "ok") {
    const wanted: { [key: string]: string } = protoFreeRecord<string>();
    for (const touch of verdict.touched) if (!Object.hasOwn(wanted, touch.key)) wanted[touch.key] = touch.to;
    const detail = verdict.reason + " (proposed by " + who + "). Rerun with the argument {\"approvedScopeChanges\": " + JSON.stringify(wanted) + "} to allow it";
    return runWithStop(run, step, "scope-change-requires-approval", detail, { touched: verdict.touched });
  }
  if (verdict.touched.length === 0) return run;
  const what = verdict.touched.map((touch) => touch.key + " " + String(touch.from) + " -> " + touch.to).join(", ");
  return runWithEvent(run, step, "scope-approved", what + ": approved by the user's args");
}

/**
 * The repetition guard of a failing step (§6.2): record the failure's
 * signature (name, args and result); the first repeat in a step injects the
 * guard's correction into the next attempt (`correction`), and a repeat after
 * that correction stops with `repetition-detected`.
 */
export function recordRepeat(pipeline: DriverPipeline, step: DriverStep, run: RunState, action: ActionRecord): { run: RunState; correction: string | null } {
  const params = pipeline.contract.repetition ?? {};
  const windowSize = repetitionParams(params).window;
  const signatures = run.signatures.concat([actionSignature(action)]).slice(-windowSize);
  const next = { ...run, signatures };
  const verdict = checkRepetition(signatures, params);
  if (!verdict.repeated) return { run: next, correction: null };
  const detail = "the same action and result repeated (" + verdict.kind + ", length " + verdict.length + ", " + verdict.repeats + " times)";
  const corrected = run.events.some((event) => event.step === step.id && event.kind === "repetition");
  if (!corrected) return { run: runWithEvent(next, step, "repetition", detail + "; correction injected into the next attempt"), correction: verdict.instruction };
  return { run: runWithStop(next, step, "repetition-detected", detail + ", again after the correction was injected. " + verdict.instruction), correction: null };
}

/** A request with the repetition guard's correction first, when one is pending. */
export function correctedRequest(request: string, correction: string | null): string {
  return correction === null ? request : correction + "\n" + request;
}
