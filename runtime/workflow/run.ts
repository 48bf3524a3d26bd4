// The step dispatcher, and the critic step (which re-runs the step it reviews).
import { callAgent, stepContext } from "./agents.js";
import { nonEmptyText } from "./guards.js";
import { runAgentStep, runFanoutStep, runIntakeStep, runResourcesStep, missingAgentStop } from "./steps-plan.js";
import { runChecklistStep, runPreflightStep, runSmokeStep, stepMaxRetries } from "./steps-test.js";
import { runJobStep } from "./steps-job.js";
import { runCompletionStep, runLoopStep } from "./steps-end.js";
import { stepAgent } from "./schemas.js";
import { runWithEvent, runWithOutput, runWithStop } from "./state.js";
import type { DriverAgent, DriverPipeline, DriverStep, RunState, WorkflowApi } from "./types.js";

/** The step kinds `runStep` runs. */
export const STEP_KINDS = ["intake", "agent", "fanout", "critic", "resources", "smoke", "preflight", "checklist", "job", "completion", "loop"];

/**
 * Run one step and return the new run state (never mutating `run`). A run
 * that already stopped is returned as is; an unknown kind stops with
 * `invalid-pipeline`. A stop this step causes is logged through `wf.log`.
 */
export async function runStep(wf: WorkflowApi, pipeline: DriverPipeline, step: DriverStep, run: RunState): Promise<RunState> {
  if (run.stop) return run;
  const runs = (Object.hasOwn(run.attempts, step.id) ? run.attempts[step.id] : 0) + 1;
  const started = { ...run, attempts: { ...run.attempts, [step.id]: runs } };
  const next = await runStepKind(wf, pipeline, step, started);
  if (next.stop && next.stop.step === step.id) wf.log("Stopped at " + step.title + ": " + next.stop.stoppedReason + " (" + next.stop.detail + ")");
  return next;
}

/** One function per step kind. */
function runStepKind(wf: WorkflowApi, pipeline: DriverPipeline, step: DriverStep, run: RunState): Promise<RunState> {
  switch (step.kind) {
    case "intake":
      return runIntakeStep(wf, pipeline, step, run);
    case "agent":
      return runAgentWithReview(wf, pipeline, step, run);
    case "fanout":
      return runFanoutStep(wf, pipeline, step, run);
    case "critic":
      return runCriticStep(wf, pipeline, step, run);
    case "resources":
      return runResourcesStep(wf, pipeline, step, run);
    case "smoke":
      return runSmokeStep(wf, pipeline, step, run);
    case "preflight":
      return runPreflightStep(wf, pipeline, step, run);
    case "checklist":
      return runChecklistStep(wf, pipeline, step, run);
    case "job":
      return runJobStep(wf, pipeline, step, run);
    case "completion":
      return runCompletionStep(wf, pipeline, step, run);
    case "loop":
      return runLoopStep(wf, pipeline, step, run);
    default:
      return runStepUnknown(step, run);
  }
}

/** An unknown step kind: the pipeline was built for another driver. */
async function runStepUnknown(step: DriverStep, run: RunState): Promise<RunState> {
  return runWithStop(run, step, "invalid-pipeline", "unknown step kind `" + String(step.kind) + "`, expected one of " + STEP_KINDS.join(", "));
}

/**
 * An agent step, then its own critic when it has one: a failed review re-runs
 * the worker with the critic's issues, bounded like a critic step.
 */
async function runAgentWithReview(wf: WorkflowApi, pipeline: DriverPipeline, step: DriverStep, run: RunState): Promise<RunState> {
  const worked = await runAgentStep(wf, pipeline, step, run);
  const critic = stepAgent(step, "critic");
  if (worked.stop || !critic) return worked;
  const reviewer = { ...step, id: step.id + "-review" };
  return reviewLoop(wf, pipeline, { reviewer, critic, target: step }, worked, (current) => runAgentStep(wf, pipeline, step, current));
}

/**
 * Critic: reviews the output of `config.reviews`. On `fail` the issues become
 * `run.feedback[reviews]`, the reviewed step runs again (its agents see the
 * feedback) and is reviewed again; after `maxRetries` re-runs a further fail
 * stops with `critic-rejected`.
 */
export async function runCriticStep(wf: WorkflowApi, pipeline: DriverPipeline, step: DriverStep, run: RunState): Promise<RunState> {
  const critic = stepAgent(step, "critic");
  if (!critic) return missingAgentStop(run, step, "critic");
  const reviews = nonEmptyText((step.config ?? {}).reviews);
  const target = pipeline.steps.find((candidate) => candidate.id === reviews);
  if (!target || target.id === step.id || target.kind === "critic") {
    return runWithStop(run, step, "invalid-pipeline", "the critic step `" + step.id + "` reviews " + JSON.stringify(reviews) + ", which is not a step it can re-run");
  }
  return reviewLoop(wf, pipeline, { reviewer: step, critic, target }, run, (current) => runStep(wf, pipeline, target, current));
}

/** The bounded review loop shared by critic steps and agent steps with their own critic. */
async function reviewLoop(
  wf: WorkflowApi,
  pipeline: DriverPipeline,
  roles: { reviewer: DriverStep; critic: DriverAgent; target: DriverStep },
  run: RunState,
  rerun: (current: RunState) => Promise<RunState>,
): Promise<RunState> {
  const { reviewer: step, critic, target } = roles;
  const maxRetries = stepMaxRetries(pipeline, step);
  const request =
    "Review the output of the step under review adversarially: check every claim against evidence you can verify yourself. " +
    "Verdict pass only if nothing is unsupported; otherwise fail, listing every issue with its severity.";
  let current = run;
  for (let round = 1; ; round++) {
    if (!Object.hasOwn(current.outputs, target.id)) {
      return runWithStop(current, step, "invalid-pipeline", "the critic step `" + step.id + "` runs before `" + target.id + "` has an output");
    }
    const review = { step: { id: target.id, title: target.title, kind: target.kind }, round, output: current.outputs[target.id] };
    const called = await callAgent(wf, pipeline, step, critic, current, { request, context: stepContext(current, step, { review }) });
    if (!called.output) return called.run;
    const output = called.output;
    current = runWithOutput(called.run, step, { ...output, rounds: round });
    const issues = Array.isArray(output.issues) ? output.issues : [];
    if (output.verdict === "pass") {
      const feedback = { ...current.feedback };
      delete feedback[target.id];
      return runWithEvent({ ...current, feedback }, step, "review", target.id + " passed review in round " + round);
    }
    const feedback = { critic: critic.name, round, verdict: "fail", summary: output.summary ?? "", issues };
    if (round > maxRetries) {
      const detail = target.id + " failed review " + round + " times: " + (nonEmptyText(output.summary) ?? issues.length + " issues");
      return runWithStop({ ...current, feedback: { ...current.feedback, [target.id]: feedback } }, step, "critic-rejected", detail, feedback);
    }
    current = runWithEvent({ ...current, feedback: { ...current.feedback, [target.id]: feedback } }, step, "review", target.id + " failed review in round " + round + " with " + issues.length + " issues; re-running it with them");
    wf.log(step.title + ": " + target.title + " failed review (round " + round + "); re-running it with the critic's issues");
    current = await rerun(current);
    if (current.stop) return current;
  }
}
