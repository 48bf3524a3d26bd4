// Gates any spec may have: its own check (a smoke test of the spec's choosing),
// a checklist whose every item needs evidence, and the user's approval gate.
import { ledgerCommitted } from "../core/ledger.js";
import { callAgent, stepContext, stepRequest } from "./agents.js";
import { checkStepScope, correctedRequest, missingAgentStop, nonEmptyText, plainObject, recordRepeat, stepMaxRetries, textList } from "./guards.js";
import { stepAgent } from "./schemas.js";
import { APPROVE_ALL_UNDER_CAP, approveArgument, runApprovals, runWithEvent, runWithOutput, runWithStop } from "./state.js";
import type { AgentOutput, DriverAgent, DriverPipeline, DriverStep, RunState, WorkflowApi } from "./types.js";

/**
 * The spec's own check: the worker runs the check `config.check` describes
 * and reports `passed`, `command_or_method`, `evidence` and `summary` (a pass
 * without evidence counts as a failure). A failure's signature (step, method,
 * evidence) goes through the repetition guard (`repetition-detected`); then
 * the fixer must analyse it before a retry, and its changes pass the scope
 * guard. Retries are bounded by `maxRetries` (`check-failed`); without a
 * fixer, or without an analysis, there is no retry (`check-failed`).
 */
export async function runCheckStep(wf: WorkflowApi, pipeline: DriverPipeline, step: DriverStep, run: RunState): Promise<RunState> {
  const worker = stepAgent(step, "worker");
  if (!worker) return missingAgentStop(run, step, "worker");
  const fixer = stepAgent(step, "fixer");
  const config = step.config ?? {};
  const check = nonEmptyText(config.check) ?? step.title;
  const maxRetries = stepMaxRetries(pipeline, step);
  const request = stepRequest(
    step,
    "Run the check exactly as described and report whether it passed, how you ran it (command_or_method), the evidence it produced and a summary. " +
      "Report passed only with evidence that shows it. If a fix is given, apply exactly that fix first.",
  );
  let current = run;
  let fix: { [key: string]: unknown } | null = null;
  let correction: string | null = null;
  for (let attempt = 1; ; attempt++) {
    const called = await callAgent(wf, pipeline, step, worker, current, { request: correctedRequest(request, correction), context: stepContext(current, step, { check, attempt, maxRetries, fix }) });
    if (!called.output) return called.run;
    const output = called.output;
    current = called.run;
    const evidence = typeof output.evidence === "string" ? output.evidence : "";
    if (output.passed === true && evidence.trim() !== "") return runWithOutput(current, step, { ...output, attempts: attempt });
    const why = output.passed === true ? "reported passed without evidence" : nonEmptyText(output.summary) ?? "failed";
    // The repetition guard corrects first (its instruction leads the next attempt), then stops.
    const repeat = recordRepeat(pipeline, step, current, { name: step.id, args: output.command_or_method, result: evidence });
    current = repeat.run;
    correction = repeat.correction;
    if (current.stop) return runWithOutput(current, step, { ...output, attempts: attempt });
    if (attempt > maxRetries) {
      return runWithStop(runWithOutput(current, step, { ...output, attempts: attempt }), step, "check-failed", "the check failed " + attempt + " times: " + why);
    }
    const asked = await checkAskFixer(wf, pipeline, step, fixer, current, { attempt, check, output, why });
    if (!asked.fix) return asked.run;
    current = asked.run;
    fix = { analysis: asked.fix.analysis, changes: asked.fix.changes ?? {}, description: asked.fix.description ?? "" };
    wf.log(step.title + ": attempt " + attempt + " failed; retrying with the fixer's analysis");
  }
}

/**
 * Ask the check's fixer for an analysis and one minimal fix. No fixer, or no
 * analysis, stops with `check-failed`: a retry never happens blind. The
 * fix's changes pass the scope guard.
 */
async function checkAskFixer(
  wf: WorkflowApi,
  pipeline: DriverPipeline,
  step: DriverStep,
  fixer: DriverAgent | null,
  run: RunState,
  failure: { attempt: number; check: string; output: AgentOutput; why: string },
): Promise<{ run: RunState; fix: AgentOutput | null }> {
  if (!fixer) return { run: runWithStop(run, step, "check-failed", "attempt " + failure.attempt + " " + failure.why + " and the step has no fixer to analyse it"), fix: null };
  const request = stepRequest(
    step,
    "The check failed. Read the evidence, say what went wrong and why (analysis), and propose the one minimal fix as changes. " +
      "Never change the values the user set (the baseline).",
    "fixerRequest",
  );
  const context = stepContext(run, step, {
    failure: { attempt: failure.attempt, check: failure.check, command_or_method: failure.output.command_or_method ?? null, evidence: failure.output.evidence ?? "", summary: failure.output.summary ?? "" },
  });
  const called = await callAgent(wf, pipeline, step, fixer, run, { request, context });
  if (!called.output) return { run: called.run, fix: null };
  const fix = called.output;
  if (nonEmptyText(fix.analysis) === null) {
    return { run: runWithStop(called.run, step, "check-failed", "the fixer `" + fixer.name + "` gave no analysis, so the check is not retried blindly"), fix: null };
  }
  const scoped = checkStepScope(pipeline, called.run, step, fix.changes, "the fixer `" + fixer.name + "`");
  if (scoped.stop) return { run: scoped, fix: null };
  return { run: runWithEvent(scoped, step, "fix", nonEmptyText(fix.description) ?? String(fix.analysis)), fix };
}

/** Normalize a checklist item for matching. */
function checklistKey(text: unknown): string {
  return typeof text === "string" ? text.trim().toLowerCase().replace(/\s+/g, " ") : "";
}

/**
 * The checklist guard on a worker's report: every configured item must be
 * reported satisfied with non-empty evidence. Returns the run stopped with
 * `checklist-incomplete` (data: unsatisfied, missing, without evidence), or
 * the run unchanged.
 */
export function checklistVerdict(run: RunState, step: DriverStep, items: string[], reportedItems: unknown): RunState {
  const reported = (Array.isArray(reportedItems) ? reportedItems : []).map((entry) => plainObject(entry));
  const answerFor = (item: string) => reported.find((entry) => checklistKey(entry.item) === checklistKey(item));
  const missing = items.filter((item) => answerFor(item) === undefined);
  const unsatisfied = items.filter((item) => {
    const answer = answerFor(item);
    return answer !== undefined && answer.satisfied !== true;
  });
  const unevidenced = items.filter((item) => {
    const answer = answerFor(item);
    return answer !== undefined && answer.satisfied === true && nonEmptyText(answer.evidence) === null;
  });
  // Extra items the worker reported unsatisfied count too.
  for (const entry of reported) {
    const name = typeof entry.item === "string" ? entry.item : "";
    if (entry.satisfied !== true && !items.some((item) => checklistKey(item) === checklistKey(name))) unsatisfied.push(name);
  }
  if (missing.length === 0 && unsatisfied.length === 0 && unevidenced.length === 0) return run;
  const parts = [];
  if (unsatisfied.length > 0) parts.push("unsatisfied: " + unsatisfied.join("; "));
  if (unevidenced.length > 0) parts.push("satisfied without evidence: " + unevidenced.join("; "));
  if (missing.length > 0) parts.push("not reported: " + missing.join("; "));
  return runWithStop(run, step, "checklist-incomplete", parts.join(". "), { unsatisfied, missing, unevidenced });
}

/**
 * Checklist: the worker reports every item of `config.items` as satisfied,
 * each with its evidence. A missing or unsatisfied item, or one with empty
 * evidence, stops with `checklist-incomplete`.
 */
export async function runChecklistStep(wf: WorkflowApi, pipeline: DriverPipeline, step: DriverStep, run: RunState): Promise<RunState> {
  const worker = stepAgent(step, "worker");
  if (!worker) return missingAgentStop(run, step, "worker");
  const items = textList((step.config ?? {}).items);
  const request = stepRequest(step, "Go through every checklist item and mark it satisfied only with concrete evidence you can point to; report every item by its exact text.");
  const called = await callAgent(wf, pipeline, step, worker, run, { request, context: stepContext(run, step, { items }) });
  if (!called.output) return called.run;
  const next = runWithOutput(called.run, step, called.output);
  const checked = checklistVerdict(next, step, items, called.output.items);
  if (checked.stop) return checked;
  return runWithEvent(checked, step, "checklist", items.length + " items satisfied with evidence");
}

/**
 * The spec's approval gate. No agent is asked: only the user's args approve
 * it, with `approve` naming the step id, or, when `config.autoUnderCap` is
 * true, in an autonomous run (or with `approve: all-under-cap`) that has a
 * cost cap nothing is over. Otherwise it stops with `needs-approval` in every
 * mode, quoting the gate (`config.gate`) and naming the argument to pass.
 */
export async function runApprovalStep(wf: WorkflowApi, pipeline: DriverPipeline, step: DriverStep, run: RunState): Promise<RunState> {
  const config = step.config ?? {};
  const gate = nonEmptyText(config.gate) ?? step.title;
  const approvals = runApprovals(run);
  let by: string | null = approvals.includes(step.id) ? "the user's approve argument" : null;
  if (by === null && config.autoUnderCap === true && run.costCapUsd !== null && ledgerCommitted(run.ledger) <= run.costCapUsd) {
    if (run.mode === "autonomous") by = "an autonomous run under its $" + run.costCapUsd + " cost cap";
    else if (approvals.includes(APPROVE_ALL_UNDER_CAP)) by = "the user's all-under-cap approval, under the $" + run.costCapUsd + " cost cap";
  }
  if (by === null) {
    const detail = "the gate " + JSON.stringify(gate) + " needs the user's approval. " + approveArgument(step.id) + " to approve it";
    return runWithStop(run, step, "needs-approval", detail, { gate, argument: { approve: [step.id] } });
  }
  wf.log(step.title + ": approved by " + by);
  return runWithOutput(runWithEvent(run, step, "approval", JSON.stringify(gate) + " approved by " + by), step, { approved: true, by, gate });
}
