// The step dispatcher (through the STEP_KINDS registry), task branches, and the
// review loop of critic steps and agent steps with their own critic.
import { ledgerCommitted } from "../core/ledger.js";
import { callAgent, stepContext, stepRequest } from "./agents.js";
import { missingAgentStop, nonEmptyText, plainObject, stepMaxRetries, textList } from "./guards.js";
import { STEP_KINDS } from "./kinds.js";
import { runAgentStep } from "./steps-plan.js";
import { stepAgent } from "./schemas.js";
import { runWithEvent, runWithOutput, runWithStop } from "./state.js";
import type { DriverAgent, DriverPipeline, DriverStep, RunState, StepKindEntry, WorkflowApi } from "./types.js";

/**
 * Run one step and return the new run state (never mutating `run`). A run
 * that already stopped is returned as is. A step whose `config.branches`
 * does not list the run's task class is skipped (output `{skipped: true}`);
 * a step whose `config.endsBranch` lists it ends the run after it succeeds,
 * with `completed`. A stop this step causes is logged through `wf.log`.
 */
export async function runStep(wf: WorkflowApi, pipeline: DriverPipeline, step: DriverStep, run: RunState): Promise<RunState> {
  if (run.stop) return run;
  const skip = runBranchSkip(step, run);
  if (skip !== null) {
    wf.log("Skipped " + step.title + ": " + skip);
    return runWithOutput(runWithEvent(run, step, "skip", skip), step, { skipped: true, reason: skip });
  }
  wf.log(runProgressLine(pipeline, step, run, wf));
  const next = await runStepAttempt(wf, pipeline, step, run);
  if (next.stop || !next.taskClass || !textList((step.config ?? {}).endsBranch).includes(next.taskClass)) return next;
  const detail = "the " + next.taskClass + " branch ends after " + step.title;
  wf.log("Done: " + detail);
  return runWithStop(next, step, "completed", detail);
}

/**
 * One attempt at a step, without the branch rules: count the attempt and
 * dispatch through `STEP_KINDS` (an unknown kind stops with
 * `invalid-pipeline`). Critics re-run the step they review through this.
 */
export async function runStepAttempt(wf: WorkflowApi, pipeline: DriverPipeline, step: DriverStep, run: RunState): Promise<RunState> {
  if (run.stop) return run;
  const table: { [kind: string]: StepKindEntry } = STEP_KINDS;
  if (typeof step.kind !== "string" || !Object.hasOwn(table, step.kind)) {
    const detail = "unknown step kind `" + String(step.kind) + "`, expected one of " + Object.keys(table).join(", ");
    const stopped = runWithStop(run, step, "invalid-pipeline", detail);
    wf.log("Stopped at " + step.title + ": invalid-pipeline (" + detail + ")");
    return stopped;
  }
  const runs = (Object.hasOwn(run.attempts, step.id) ? run.attempts[step.id] : 0) + 1;
  const started = { ...run, attempts: { ...run.attempts, [step.id]: runs } };
  const next = await table[step.kind].run(wf, pipeline, step, started);
  if (next.stop && next.stop.step === step.id) wf.log("Stopped at " + step.title + ": " + next.stop.stoppedReason + " (" + next.stop.detail + ")");
  return next;
}

/**
 * The progress line logged as a step starts: spend committed against the cap,
 * agent calls against the contract's bound and, when the Workflow has a token
 * budget, the tokens spent against it.
 */
export function runProgressLine(pipeline: DriverPipeline, step: DriverStep, run: RunState, wf?: WorkflowApi): string {
  const committed = ledgerCommitted(run.ledger);
  const spend = run.costCapUsd === null || run.costCapUsd === undefined ? "$" + committed.toFixed(2) + " committed, no cost cap" : "$" + committed.toFixed(2) + " of $" + run.ledger.capUsd.toFixed(2) + " cap committed";
  let tokens = "";
  const allowance = wf ? wf.budget : null;
  if (allowance && typeof allowance === "object" && typeof allowance.total === "number" && Number.isFinite(allowance.total)) {
    try {
      const spent = Number(allowance.spent());
      if (Number.isFinite(spent)) tokens = ", " + Math.round(spent) + " of " + allowance.total + " tokens";
    } catch {
      tokens = "";
    }
  }
  return step.title + ": starting (" + spend + ", " + run.iterations + " of " + pipeline.contract.maxIterations + " agent calls" + tokens + ")";
}

/** Why the step does not run for this task class, or null when it runs (no branches, or no class chosen). */
function runBranchSkip(step: DriverStep, run: RunState): string | null {
  const config = step.config ?? {};
  const branches = textList(config.branches);
  if (!Array.isArray(config.branches) || !run.taskClass || branches.includes(run.taskClass)) return null;
  return "the step runs for " + (branches.length > 0 ? branches.join(", ") : "no task class") + ", not for " + run.taskClass;
}

/**
 * An agent step, then its own critic when it has one: a review with a hard
 * issue re-runs the worker with the critic's issues, bounded like a critic step.
 */
export async function runAgentWithReview(wf: WorkflowApi, pipeline: DriverPipeline, step: DriverStep, run: RunState): Promise<RunState> {
  const worked = await runAgentStep(wf, pipeline, step, run);
  const critic = stepAgent(step, "critic");
  if (worked.stop || !critic) return worked;
  const reviewer = { ...step, id: step.id + "-review" };
  return reviewLoop(wf, pipeline, { reviewer, critic, target: step }, worked, (current) => runAgentStep(wf, pipeline, step, current));
}

/**
 * Critic: reviews the output of `config.reviews`. A review with at least one
 * hard issue sends the step back: the issues become `run.feedback[reviews]`,
 * the reviewed step runs again (its agents see the feedback) and is reviewed
 * again; after `maxRetries` re-runs a further hard issue stops with
 * `critic-rejected`. A reviewed step that was skipped for this task class
 * skips its critic too.
 */
export async function runCriticStep(wf: WorkflowApi, pipeline: DriverPipeline, step: DriverStep, run: RunState): Promise<RunState> {
  const critic = stepAgent(step, "critic");
  if (!critic) return missingAgentStop(run, step, "critic");
  const reviews = nonEmptyText((step.config ?? {}).reviews);
  const target = pipeline.steps.find((candidate) => candidate.id === reviews);
  if (!target || target.id === step.id || target.kind === "critic") {
    return runWithStop(run, step, "invalid-pipeline", "the critic step `" + step.id + "` reviews " + JSON.stringify(reviews) + ", which is not a step it can re-run");
  }
  if (Object.hasOwn(run.outputs, target.id) && plainObject(run.outputs[target.id]).skipped === true) {
    const reason = target.id + " was skipped, so there is nothing to review";
    return runWithOutput(runWithEvent(run, step, "skip", reason), step, { skipped: true, reason });
  }
  return reviewLoop(wf, pipeline, { reviewer: step, critic, target }, run, (current) => runStepAttempt(wf, pipeline, target, current));
}

/** A critic's issues split by severity; anything not marked soft counts as hard. */
export function reviewIssues(output: { [key: string]: unknown }): { hard: unknown[]; soft: unknown[] } {
  const issues = Array.isArray(output.issues) ? output.issues : [];
  const soft = issues.filter((issue) => plainObject(issue).severity === "soft");
  const hard = issues.filter((issue) => plainObject(issue).severity !== "soft");
  return { hard, soft };
}

/**
 * The bounded review loop shared by critic steps and agent steps with their
 * own critic. Only hard issues send the reviewed step back (the verdict is
 * for the reader: `fail` without a hard issue passes). Soft issues of the
 * passing review become `run.notes` (event `review-note`), shown to later steps.
 */
async function reviewLoop(
  wf: WorkflowApi,
  pipeline: DriverPipeline,
  roles: { reviewer: DriverStep; critic: DriverAgent; target: DriverStep },
  run: RunState,
  rerun: (current: RunState) => Promise<RunState>,
): Promise<RunState> {
  const { reviewer: step, critic, target } = roles;
  const maxRetries = stepMaxRetries(pipeline, step);
  const request = stepRequest(
    step,
    "Review the output of the step under review adversarially: check every claim against evidence you can verify yourself. " +
      "List every issue with its severity: hard when the output is wrong, unsupported or incomplete (the step must run again), " +
      "soft for a remark that should not hold the run up. A step passes when it has no hard issue.",
  );
  let current = run;
  for (let round = 1; ; round++) {
    if (!Object.hasOwn(current.outputs, target.id)) {
      return runWithStop(current, step, "invalid-pipeline", "the critic step `" + step.id + "` runs before `" + target.id + "` has an output");
    }
    const review = { step: { id: target.id, title: target.title, kind: target.kind }, round, output: current.outputs[target.id] };
    const called = await callAgent(wf, pipeline, step, critic, current, { request, context: stepContext(current, step, { review }) });
    if (!called.output) return called.run;
    const output = called.output;
    const { hard, soft } = reviewIssues(output);
    current = runWithOutput(called.run, step, { ...output, rounds: round, hard: hard.length, soft: soft.length });
    if (hard.length === 0) {
      const feedback = { ...current.feedback };
      delete feedback[target.id];
      current = runWithEvent({ ...current, feedback }, step, "review", target.id + " passed review in round " + round + (soft.length > 0 ? " with " + soft.length + " soft notes" : ""));
      if (soft.length === 0) return current;
      const note = { step: target.id, critic: critic.name, issues: soft };
      return runWithEvent({ ...current, notes: current.notes.concat([note]) }, step, "review-note", target.id + ": " + soft.map((issue) => reviewIssueText(issue)).join("; "));
    }
    const issues = Array.isArray(output.issues) ? output.issues : [];
    const feedback = { critic: critic.name, round, verdict: "fail", summary: output.summary ?? "", issues };
    if (round > maxRetries) {
      const detail = target.id + " had hard review issues " + round + " times: " + (nonEmptyText(output.summary) ?? hard.map((issue) => reviewIssueText(issue)).join("; "));
      return runWithStop({ ...current, feedback: { ...current.feedback, [target.id]: feedback } }, step, "critic-rejected", detail, feedback);
    }
    current = runWithEvent({ ...current, feedback: { ...current.feedback, [target.id]: feedback } }, step, "review", target.id + " failed review in round " + round + " with " + hard.length + " hard issues; re-running it with them");
    wf.log(step.title + ": " + target.title + " failed review (round " + round + "); re-running it with the critic's issues");
    current = await rerun(current);
    if (current.stop) return current;
  }
}

/** One issue as text for the trace. */
function reviewIssueText(issue: unknown): string {
  const entry = plainObject(issue);
  return nonEmptyText(entry.text) ?? nonEmptyText(entry.description) ?? JSON.stringify(issue);
}
