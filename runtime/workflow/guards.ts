// The driver's use of the pure core guards: spend approval and settlement,
// the scope guard, the repetition guard and the failure fixer.
import { approvalClass, decideApproval } from "../core/approval.js";
import { FAILURE_TAXONOMY, planFailureFix } from "../core/failures.js";
import { estimateJobCost, ledgerCommitted, ledgerRemaining, settle } from "../core/ledger.js";
import type { FailureClass } from "../core/oom.js";
import { actionSignature, checkRepetition, REPETITION_DEFAULTS, type ActionRecord } from "../core/repetition.js";
import { checkScopeChange } from "../core/scope.js";
import { callAgent, stepContext } from "./agents.js";
import { runUserApproval, runWithEvent, runWithStop } from "./state.js";
import type { AgentOutput, DriverAgent, DriverPipeline, DriverStep, RunState, WorkflowApi } from "./types.js";

/** A non-negative integer from step config, else the fallback. */
export function configCount(value: unknown, fallback: number): number {
  return typeof value === "number" && Number.isInteger(value) && value >= 0 ? value : fallback;
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

/** The ledger key of one billable attempt: unique per step run and attempt, so reruns never collide. */
export function billingKey(run: RunState, step: DriverStep, attempt: number): string {
  const runs = Object.hasOwn(run.attempts, step.id) ? run.attempts[step.id] : 1;
  return step.id + "/" + runs + "#" + attempt;
}

/**
 * Approve one billable job before it starts: estimate its worst case
 * (`estimateJobCost`, or `estimateUsd` when given), refuse it when the
 * estimate is over the remaining cap (`cost-cap-reached`, in every mode),
 * else `decideApproval`; asking a human stops with `needs-approval` (there is
 * no mid-run input). Carries the ledger with the new reservation.
 */
export function approveBillable(
  run: RunState,
  step: DriverStep,
  job: { key: string; flavor: string | null; timeoutHours: number | null; what: string; estimateUsd?: number | null },
): { run: RunState; estimateUsd: number | null } {
  const estimate = job.estimateUsd !== undefined && job.estimateUsd !== null ? job.estimateUsd : estimateJobCost({ flavor: job.flavor, timeoutHours: job.timeoutHours });
  const remaining = ledgerRemaining(run.ledger);
  const about = job.what + " on " + String(job.flavor) + " for " + String(job.timeoutHours) + "h";
  if (typeof estimate === "number" && estimate > remaining) {
    const detail = about + " is estimated at $" + estimate + ", over the $" + remaining + " left of the $" + run.ledger.capUsd + " cost cap";
    return { run: runWithStop(run, step, "cost-cap-reached", detail), estimateUsd: estimate };
  }
  const decision = decideApproval({ cls: approvalClass({ kind: "job", flavor: job.flavor }), mode: run.mode, estimateUsd: estimate, ledger: run.ledger, key: job.key });
  if (decision.decision !== "approve") {
    const cost = typeof estimate === "number" ? " (estimate $" + estimate + ")" : " (cost unknown)";
    const detail = about + cost + " needs a human: " + decision.reason + ". Approve it and rerun, or run in autonomous mode with a cap that covers it";
    return { run: runWithStop(run, step, "needs-approval", detail), estimateUsd: estimate };
  }
  const approved = { ...run, ledger: decision.ledger ?? run.ledger };
  return { run: runWithEvent(approved, step, "approval", about + " reserved $" + estimate + " under " + job.key), estimateUsd: estimate };
}

/**
 * Settle a billable attempt at its reported cost (unknown → the reserved
 * estimate). Spend over the cap after settlement stops the run with
 * `cost-cap-reached`, so nothing else is started.
 */
export function settleBillable(run: RunState, step: DriverStep, key: string, actualUsd: unknown): RunState {
  const actual = typeof actualUsd === "number" && Number.isFinite(actualUsd) && actualUsd >= 0 ? actualUsd : null;
  const ledger = settle(run.ledger, key, actual);
  const settled = runWithEvent({ ...run, ledger }, step, "settle", key + " settled at $" + ledger.settled[key]);
  const committed = ledgerCommitted(ledger);
  if (committed > ledger.capUsd) {
    return runWithStop(settled, step, "cost-cap-reached", "actual spend $" + committed + " is over the $" + ledger.capUsd + " cost cap");
  }
  return settled;
}

/**
 * Check proposed changes with the scope guard against the frozen baseline.
 * Only the user's `approvedScopeChanges` arg can allow a protected change;
 * anything else stops with `scope-change-requires-approval`.
 */
export function checkStepScope(run: RunState, step: DriverStep, changes: unknown, who: string): RunState {
  if (changes === undefined || changes === null) return run;
  const verdict = checkScopeChange(run.baseline ?? {}, changes, {}, runUserApproval(run));
  if (verdict.verdict !== "ok") {
    const detail = verdict.reason + " (proposed by " + who + "). Rerun with approvedScopeChanges to allow it";
    return runWithStop(run, step, "scope-change-requires-approval", detail, { touched: verdict.touched });
  }
  if (verdict.touched.length === 0) return run;
  const what = verdict.touched.map((touch) => touch.key + " " + String(touch.from) + " -> " + touch.to).join(", ");
  return runWithEvent(run, step, "scope-approved", what + ": approved by the user's args");
}

/**
 * Record an action signature (name, args and result, so a changing result is
 * never a loop) and run the repetition guard with the contract's params; a
 * repeat stops with `repetition-detected`.
 */
export function recordSignature(pipeline: DriverPipeline, step: DriverStep, run: RunState, action: ActionRecord): RunState {
  const params = pipeline.contract.repetition ?? {};
  const windowSize = configCount(params.window, REPETITION_DEFAULTS.window) || REPETITION_DEFAULTS.window;
  const signatures = run.signatures.concat([actionSignature(action)]).slice(-windowSize);
  const next = { ...run, signatures };
  const verdict = checkRepetition(signatures, params);
  if (!verdict.repeated) return next;
  const detail = "the same action and result repeated (" + verdict.kind + ", length " + verdict.length + ", " + verdict.repeats + " times). " + verdict.instruction;
  return runWithStop(next, step, "repetition-detected", detail);
}

/** A failure the fixer is asked about. */
export interface FailureReport {
  cls: FailureClass;
  attempt: number;
  logTail: string;
  command?: unknown;
  config?: { [key: string]: unknown };
}

/**
 * Ask the fixer for an analysis and the one minimal fix of a classified
 * failure. No fixer, or no analysis, stops with `stopReason`: a retry never
 * happens without an analysis. The fix's changes pass the scope guard.
 */
export async function askFixer(
  wf: WorkflowApi,
  pipeline: DriverPipeline,
  step: DriverStep,
  fixer: DriverAgent | null,
  run: RunState,
  failure: FailureReport,
  stopReason: string,
): Promise<{ run: RunState; fix: AgentOutput | null }> {
  const allowedFix = Object.hasOwn(FAILURE_TAXONOMY, failure.cls) ? FAILURE_TAXONOMY[failure.cls as keyof typeof FAILURE_TAXONOMY].fix : FAILURE_TAXONOMY.unknown.fix;
  if (!fixer) return { run: runWithStop(run, step, stopReason, "attempt " + failure.attempt + " failed (" + failure.cls + ") and the step has no fixer to analyse it"), fix: null };
  const request =
    "Attempt " + failure.attempt + " failed. Read the log, say what went wrong and why (analysis), name the failure class, " +
    "and propose only the one allowed minimal fix as changes. Never change the method, model, dataset or sequence length.";
  const context = stepContext(run, step, {
    failure: { class: failure.cls, allowedFix, attempt: failure.attempt, command: failure.command ?? null, config: failure.config ?? null, log_tail: failure.logTail },
  });
  const called = await callAgent(wf, pipeline, step, fixer, run, { request, context });
  if (!called.output) return { run: called.run, fix: null };
  const fix = called.output;
  if (nonEmptyText(fix.analysis) === null) {
    return { run: runWithStop(called.run, step, stopReason, "the fixer `" + fixer.name + "` gave no analysis, so the step is not retried blindly"), fix: null };
  }
  const scoped = checkStepScope(called.run, step, fix.changes, "the fixer `" + fixer.name + "`");
  if (scoped.stop) return { run: scoped, fix: null };
  const described = runWithEvent(scoped, step, "fix", failure.cls + ": " + (nonEmptyText(fix.description) ?? nonEmptyText(fix.analysis)));
  return { run: described, fix };
}

/** The fix a retry carries: the class, the allowed fix, the fixer's analysis and changes. */
export function fixForRetry(cls: FailureClass, fix: AgentOutput, mechanical: { [key: string]: unknown }): { [key: string]: unknown } {
  const allowedFix = Object.hasOwn(FAILURE_TAXONOMY, cls) ? FAILURE_TAXONOMY[cls as keyof typeof FAILURE_TAXONOMY].fix : FAILURE_TAXONOMY.unknown.fix;
  return { failure_class: cls, allowedFix, analysis: fix.analysis, changes: fix.changes ?? {}, description: fix.description ?? "", mechanicalChanges: mechanical };
}

/**
 * The mechanical config changes the taxonomy prescribes for a non-OOM class
 * (timeout: a longer timeout; divergence: a tenth of the learning rate), split
 * into the new timeout and the training-config changes.
 */
export function mechanicalFix(
  cls: FailureClass,
  config: { [key: string]: unknown },
  timeoutHours: number | null,
): { timeoutHours: number | null; training: { [key: string]: unknown } } {
  if (cls === "oom" || cls === "unknown") return { timeoutHours: null, training: {} };
  const input = { ...config, timeoutHours: timeoutHours ?? undefined };
  const plan = planFailureFix(cls, { rung: 0, attempts: 0 }, input);
  if (plan.action !== "retry") return { timeoutHours: null, training: {} };
  const training: { [key: string]: unknown } = {};
  let timeout: number | null = null;
  for (const [key, value] of Object.entries(plan.changes)) {
    if (key === "timeoutHours") timeout = positiveNumber(value);
    else training[key] = value;
  }
  return { timeoutHours: timeout, training };
}
