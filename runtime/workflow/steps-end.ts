// The end of a run: the completion critic and the optional improvement loop.
import { estimateJobCost, ledgerRemaining } from "../core/ledger.js";
import { callAgent, stepContext, stepRequest } from "./agents.js";
import { approveBillable, billingKey, configCount, missingAgentStop, nonEmptyText, plainObject, positiveNumber, settleBillable } from "./guards.js";
import { stepAgent } from "./schemas.js";
import { runWithEvent, runWithOutput, runWithStop } from "./state.js";
import type { DriverPipeline, DriverStep, RunState, WorkflowApi } from "./types.js";

/** Loop iterations when the step does not set `maxIterations`. */
export const LOOP_DEFAULT_MAX_ITERATIONS = 3;

/**
 * Completion: the critic judges every configured criterion against the run's
 * evidence; a criterion missing from its answer or unmet, or a `fail`
 * verdict, stops with `completion-criteria-unmet`.
 */
export async function runCompletionStep(wf: WorkflowApi, pipeline: DriverPipeline, step: DriverStep, run: RunState): Promise<RunState> {
  const critic = stepAgent(step, "critic");
  if (!critic) return missingAgentStop(run, step, "critic");
  const criteria = (Array.isArray((step.config ?? {}).criteria) ? (step.config.criteria as unknown[]) : []).map((entry) => plainObject(entry));
  const request = stepRequest(
    step,
    "Judge every completion criterion against the evidence the run produced (outputs and artifacts). " +
      "A criterion without evidence you can point to is not met. Answer for every criterion by its id.",
  );
  const context = stepContext(run, step, { criteria, artifacts: run.artifacts });
  const called = await callAgent(wf, pipeline, step, critic, run, { request, context });
  if (!called.output) return called.run;
  const output = called.output;
  const next = runWithOutput(called.run, step, output);
  const answers = (Array.isArray(output.criteria) ? output.criteria : []).map((entry) => plainObject(entry));
  const unmet = criteria
    .filter((criterion) => !answers.some((answer) => answer.id === criterion.id && answer.met === true))
    .map((criterion) => String(criterion.id));
  if (unmet.length > 0 || output.verdict !== "pass") {
    const detail = unmet.length > 0 ? "criteria not met: " + unmet.join(", ") : "the completion critic failed the run: " + (nonEmptyText(output.summary) ?? "no summary");
    return runWithStop(next, step, "completion-criteria-unmet", detail, { unmet });
  }
  return runWithEvent(next, step, "completed", "every completion criterion met");
}

/**
 * Improvement loop, bounded by `maxIterations` and the ledger. When
 * `config.enabledBy` names a boolean param that is off, the loop is skipped.
 * A billable iteration (unless `config.billable === false`) is estimated
 * (`config.estimateUsd`, else flavor × timeout from the config, the job plan
 * or the sizing) and approved like a job; its reported cost is settled. The
 * loop ends normally when the worker says not to continue, at the bound, or
 * when the cap leaves no room for another iteration.
 */
export async function runLoopStep(wf: WorkflowApi, pipeline: DriverPipeline, step: DriverStep, run: RunState): Promise<RunState> {
  const worker = stepAgent(step, "worker");
  if (!worker) return missingAgentStop(run, step, "worker");
  const config = step.config ?? {};
  const enabledBy = nonEmptyText(config.enabledBy);
  if (enabledBy !== null && run.args[enabledBy] !== true) {
    return runWithOutput(runWithEvent(run, step, "skip", "loop off: parameter `" + enabledBy + "` is not true"), step, { skipped: true, iterations: 0, history: [] });
  }
  const maxIterations = configCount(config.maxIterations, LOOP_DEFAULT_MAX_ITERATIONS);
  const billable = config.billable !== false;
  const plan = run.jobPlan;
  const flavor = nonEmptyText(config.flavor) ?? (plan ? plan.flavor : null) ?? (run.sizing ? run.sizing.flavor : null);
  const timeoutHours = positiveNumber(config.timeoutHours) ?? positiveNumber(plan ? plan.timeout_hours : null) ?? (run.sizing ? run.sizing.timeoutHours : null);
  const request = stepRequest(
    step,
    "Propose and run one bounded improvement over the current best result. Report whether it improved, a summary, " +
      "whether another iteration is worth its cost (continue), and what this iteration cost.",
  );
  let current = run;
  let history: { iteration: number; improved: unknown; summary: unknown; cost_usd: unknown }[] = [];
  let ended = "bound of " + maxIterations + " iterations reached";
  for (let iteration = 1; iteration <= maxIterations; iteration++) {
    const key = billingKey(current, step, iteration);
    let estimateUsd: number | null = null;
    if (billable) {
      estimateUsd = positiveNumber(config.estimateUsd) ?? estimateJobCost({ flavor, timeoutHours });
      if (estimateUsd !== null && current.costCapUsd !== null && estimateUsd > ledgerRemaining(current.ledger)) {
        ended = "the cost cap leaves no room for another iteration (estimate $" + estimateUsd + ")";
        break;
      }
      const what = step.id + " iteration " + iteration + (flavor !== null ? " on " + flavor + " for " + String(timeoutHours) + "h" : "");
      const approval = approveBillable(current, step, { key, what, estimateUsd });
      if (approval.run.stop) return approval.run;
      current = approval.run;
    }
    const context = stepContext(current, step, { iteration, maxIterations, history, estimateUsd, remainingUsd: ledgerRemaining(current.ledger) });
    const called = await callAgent(wf, pipeline, step, worker, current, { request, context });
    if (!called.output) return called.run;
    const output = called.output;
    current = called.run;
    if (billable) {
      current = settleBillable(current, step, key, output.cost_usd);
    } else if (typeof output.cost_usd === "number" && output.cost_usd > 0) {
      current = settleBillable(current, step, key, output.cost_usd);
    }
    history = history.concat([{ iteration, improved: output.improved, summary: output.summary, cost_usd: output.cost_usd }]);
    if (current.stop) return runWithOutput(current, step, { skipped: false, iterations: iteration, history, ended: "stopped" });
    if (output.continue !== true) {
      ended = "the worker chose to stop after iteration " + iteration;
      break;
    }
  }
  const next = runWithEvent(current, step, "loop-end", ended);
  return runWithOutput(next, step, { skipped: false, iterations: history.length, history, ended });
}
