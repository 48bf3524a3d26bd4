// The full billable job: approve, submit, poll with the monitor, and recover
// from failures (OOM ladder, fixer) and training alerts (alert policy).
import { applyAlertPolicy } from "../core/failures.js";
import { estimateJobCost } from "../core/ledger.js";
import { classifyFailureLog, nextOomRung, type FailureClass } from "../core/oom.js";
import type { ProtectedKeyTable } from "../core/scope.js";
import { parseDuration } from "../core/sizing.js";
import { checkSubmitInvariant } from "../core/submit.js";
import { callAgent, stepContext, stepRequest } from "./agents.js";
import { approveBillable, billingKey, checkStepScope, configCount, missingAgentStop, nonEmptyText, plainObject, recordSignature, settleBillable, stepMaxRetries } from "./guards.js";
import { workKindOf } from "./steps-plan.js";
import { askFixer, fixForRetry, mechanicalFix } from "./steps-test.js";
import { stepAgent } from "./schemas.js";
import { pipelineProtectedKeys, runWithEvent, runWithOutput, runWithStop } from "./state.js";
import type { AgentOutput, DriverAgent, DriverPipeline, DriverStep, JobPlan, RunState, WorkflowApi } from "./types.js";

/** Monitor checks per submission when the step does not set `maxPolls`. */
export const JOB_DEFAULT_MAX_POLLS = 20;

/** A timeout in hours from the plan (hours as a number, or a duration such as `4h`). */
function jobTimeoutHours(value: unknown): number | null {
  if (typeof value === "number") return Number.isFinite(value) && value > 0 ? value : null;
  const hours = parseDuration(value);
  return hours !== null && hours > 0 ? hours : null;
}

/** The submit invariant on the plan with the current flavor and timeout. */
function jobInvariant(plan: JobPlan, flavor: string, timeoutHours: number | null): { ok: boolean; detail: string; violations: unknown[] } {
  const code = plainObject(plan.code);
  const result = checkSubmitInvariant({
    code: Object.keys(code).length > 0 ? { kind: code.kind as "inline" | "url" | "path" | "repo", value: String(code.value ?? "") } : null,
    timeoutHours,
    work: workKindOf(plan.work),
    monitoring: plan.monitoring ? (plainObject(plan.monitoring) as { kind: string; target: string }) : null,
    persistence: plan.persistence ? (plainObject(plan.persistence) as { destination: string }) : null,
    flavor,
  });
  return { ok: result.ok, detail: result.violations.map((violation) => violation.code + ": " + violation.message).join("; "), violations: result.violations };
}

/**
 * Poll one submitted job with the monitor until it completes, fails or
 * raises an alert. Each poll's signature (with its result, so a changing
 * status is never a loop) goes through the repetition guard; `maxPolls`
 * checks without an end stop with `monitoring-budget-exhausted`.
 */
async function jobPoll(
  wf: WorkflowApi,
  pipeline: DriverPipeline,
  step: DriverStep,
  monitor: DriverAgent,
  run: RunState,
  job: { job_id: unknown; url: unknown; submission: number; maxPolls: number },
): Promise<{ run: RunState; outcome: AgentOutput | null }> {
  const request =
    "Check the submitted job once: its status, any training alerts (diverged, overfitting, early-stopping), the log tail, " +
    "the latest metrics (with the current learning_rate and weight_decay when logged) and its cost so far. Do not wait or poll yourself.";
  let current = run;
  for (let poll = 1; poll <= job.maxPolls; poll++) {
    const context = stepContext(current, step, { job: { job_id: job.job_id, url: job.url }, submission: job.submission, poll, maxPolls: job.maxPolls });
    const called = await callAgent(wf, pipeline, step, monitor, current, { request, context });
    if (!called.output) return { run: called.run, outcome: null };
    const output = called.output;
    const result = { status: output.status, alerts: output.alerts, log_tail: output.log_tail, metrics: output.metrics };
    current = recordSignature(pipeline, step, called.run, { name: step.id + ":poll", args: job.job_id, result });
    if (current.stop) return { run: current, outcome: null };
    const alerts = Array.isArray(output.alerts) ? output.alerts : [];
    if (output.status === "completed" || output.status === "failed" || alerts.length > 0) return { run: current, outcome: output };
  }
  const detail = "job " + String(job.job_id) + " did not finish within " + job.maxPolls + " monitor checks; it may still be running and its reservation stays committed";
  return { run: runWithStop(current, step, "monitoring-budget-exhausted", detail), outcome: null };
}

/**
 * The full job. Needs `run.jobPlan` from the readiness step (else
 * `submit-invariant-violated`). Each submission re-checks the submit
 * invariant, is approved against the ledger like the preflight, submitted,
 * then polled. Completed: settled and recorded as an artifact. Failed:
 * settled, classified; OOM climbs the ladder carried from the preflight
 * (`oom-ladder-exhausted`), other classes go to the fixer. Alerts: the alert
 * policy's changes, scope-checked, are the only changes of the resubmission.
 * Fixes and alerts are bounded by `maxRetries` (`retries-exhausted`).
 */
export async function runJobStep(wf: WorkflowApi, pipeline: DriverPipeline, step: DriverStep, run: RunState): Promise<RunState> {
  const submitter = stepAgent(step, "submitter");
  const monitor = stepAgent(step, "monitor");
  if (!submitter) return missingAgentStop(run, step, "submitter");
  if (!monitor) return missingAgentStop(run, step, "monitor");
  const fixer = stepAgent(step, "fixer");
  const plan = run.jobPlan;
  if (!plan) return runWithStop(run, step, "submit-invariant-violated", "no job plan passed the readiness checklist, so nothing may be submitted");
  const config = step.config ?? {};
  const maxRetries = stepMaxRetries(pipeline, step);
  const maxPolls = configCount(config.maxPolls, JOB_DEFAULT_MAX_POLLS) || JOB_DEFAULT_MAX_POLLS;
  const request = stepRequest(
    step,
    "Submit the one full job exactly as planned, on the given flavor and timeout, with monitoring and persistence, " +
      "applying the required config changes and only the given changes. If a previous job of this step is still running, cancel it first. Report its id.",
  );
  let flavor = plan.flavor;
  let timeoutHours = jobTimeoutHours(plan.timeout_hours);
  let current = run;
  let changes: { [key: string]: unknown } | null = null;
  let previousJob: unknown = null;
  let retries = 0;
  for (let submission = 1; ; submission++) {
    const invariant = jobInvariant(plan, flavor, timeoutHours);
    if (!invariant.ok) return runWithStop(current, step, "submit-invariant-violated", invariant.detail, { violations: invariant.violations });
    const key = billingKey(current, step, submission);
    const what = step.id + " submission " + submission + " on " + flavor + " for " + String(timeoutHours) + "h";
    const approval = approveBillable(current, step, { key, what, estimateUsd: estimateJobCost({ flavor, timeoutHours }) });
    if (approval.run.stop) return approval.run;
    const extra = { submission, plan, flavor, timeoutHours, estimateUsd: approval.estimateUsd, trainingConfig: approval.run.workConfig, changes, previousJob };
    const submitted = await callAgent(wf, pipeline, step, submitter, approval.run, { request, context: stepContext(approval.run, step, extra) });
    if (!submitted.output) return submitted.run;
    const jobId = nonEmptyText(submitted.output.job_id);
    if (jobId === null) return runWithStop(submitted.run, step, "agent-failed", "agent `" + submitter.name + "` returned no job id");
    current = runWithEvent(submitted.run, step, "submitted", "job " + jobId + " (" + key + ")");
    wf.log(step.title + ": submitted job " + jobId + " on " + flavor);
    const polled = await jobPoll(wf, pipeline, step, monitor, current, { job_id: jobId, url: submitted.output.url, submission, maxPolls });
    if (!polled.outcome) return polled.run;
    const outcome = polled.outcome;
    current = settleBillable(polled.run, step, key, outcome.cost_usd);
    if (current.stop) return current;
    previousJob = { job_id: jobId, url: submitted.output.url ?? null, status: outcome.status };
    if (outcome.status === "completed") {
      const artifact = { step: step.id, kind: "job", job_id: jobId, url: submitted.output.url ?? null, flavor, metrics: outcome.metrics ?? {} };
      const done = { ...current, artifacts: current.artifacts.concat([artifact]) };
      return runWithOutput(done, step, { job_id: jobId, url: submitted.output.url ?? null, status: "completed", flavor, timeoutHours, metrics: outcome.metrics ?? {}, submissions: submission });
    }
    const known = { ...current.workConfig, ...plainObject(outcome.metrics), ...current.overrides };
    if (outcome.status === "failed") {
      const logTail = typeof outcome.log_tail === "string" ? outcome.log_tail : "";
      const cls: FailureClass = classifyFailureLog(logTail);
      if (cls === "oom") {
        const ladder = nextOomRung(current.ladder, { ...current.workConfig, ...current.overrides, flavor });
        current = { ...current, ladder: ladder.state };
        if (ladder.action === "stop") return runWithStop(current, step, "oom-ladder-exhausted", ladder.reason);
        current = runWithEvent({ ...current, overrides: { ...current.overrides, ...ladder.changes } }, step, "oom", "rung " + ladder.rung + " (" + ladder.step + "): " + JSON.stringify(ladder.changes));
        if (typeof ladder.changes.flavor === "string") flavor = ladder.changes.flavor;
        changes = { kind: "oom", rung: ladder.rung, step: ladder.step, changes: ladder.changes };
        wf.log(step.title + ": out of memory; OOM ladder rung " + ladder.rung + " (" + ladder.step + ")");
        continue;
      }
      retries++;
      current = recordSignature(pipeline, step, current, { name: step.id, args: { flavor, timeoutHours }, result: logTail });
      if (current.stop) return current;
      if (retries > maxRetries) return runWithStop(current, step, "retries-exhausted", "the job failed or was resubmitted " + retries + " times (last failure: " + cls + ")");
      const asked = await askFixer(wf, pipeline, step, fixer, current, { cls, attempt: submission, logTail, config: known }, "retries-exhausted");
      if (!asked.fix) return asked.run;
      current = asked.run;
      const mechanical = mechanicalFix(cls, known, timeoutHours);
      if (mechanical.timeoutHours !== null) timeoutHours = mechanical.timeoutHours;
      if (Object.keys(mechanical.training).length > 0) {
        current = checkStepScope(pipeline, current, step, mechanical.training, "the " + cls + " fix");
        if (current.stop) return current;
        current = { ...current, overrides: { ...current.overrides, ...mechanical.training } };
      }
      changes = { kind: "fix", ...fixForRetry(cls, asked.fix, mechanical.timeoutHours !== null ? { ...mechanical.training, timeoutHours } : mechanical.training) };
      wf.log(step.title + ": job failed (" + cls + "); resubmitting with the fixer's analysis");
      continue;
    }
    retries++;
    if (retries > maxRetries) return runWithStop(current, step, "retries-exhausted", "the job failed or was resubmitted " + retries + " times (last: training alerts)");
    const policy = jobAlertChanges(outcome.alerts, known, pipelineProtectedKeys(pipeline));
    if (Object.keys(policy.changes).length === 0) {
      return runWithStop(current, step, "alert-unresolved", "training alerts with no applicable policy change: " + policy.reasons.join("; "), { alerts: outcome.alerts });
    }
    current = checkStepScope(pipeline, current, step, policy.changes, "the alert policy");
    if (current.stop) return current;
    current = runWithEvent({ ...current, overrides: { ...current.overrides, ...policy.changes } }, step, "alert", policy.reasons.join("; "));
    changes = { kind: "alert", alerts: outcome.alerts, changes: policy.changes, reasons: policy.reasons };
    wf.log(step.title + ": training alert; resubmitting with " + JSON.stringify(policy.changes));
  }
}

/** The alert policy's changes for a poll's alerts (the first alert per hyperparameter wins). */
function jobAlertChanges(alerts: unknown, config: { [key: string]: unknown }, keys: ProtectedKeyTable): { changes: { [key: string]: unknown }; reasons: string[] } {
  const changes: { [key: string]: unknown } = {};
  const reasons: string[] = [];
  for (const alert of Array.isArray(alerts) ? alerts : []) {
    const kind = plainObject(alert).kind;
    if (kind !== "diverged" && kind !== "overfitting" && kind !== "early-stopping") {
      reasons.push("unknown alert " + JSON.stringify(kind));
      continue;
    }
    const policy = applyAlertPolicy({ kind }, config, keys);
    reasons.push(policy.reason);
    for (const [key, value] of Object.entries(policy.changes)) if (!Object.hasOwn(changes, key)) changes[key] = value;
  }
  return { changes, reasons };
}
