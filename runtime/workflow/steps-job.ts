// The full billable job: approve, submit, poll with the monitor, and recover
// from failures (OOM ladder, fixer) and training alerts (alert policy).
import { applyAlertPolicy } from "../core/failures.js";
import { estimateJobCost } from "../core/ledger.js";
import { classifyFailureLog, nextOomRung, type FailureClass } from "../core/oom.js";
import type { ProtectedKeyTable } from "../core/scope.js";
import { parseDuration } from "../core/sizing.js";
import { checkSubmitInvariant } from "../core/submit.js";
import { agentOutputProblem, callAgent, callAgentRaw, stepContext, stepRequest } from "./agents.js";
import { approveBillable, billingKey, checkStepScope, configCount, missingAgentStop, nonEmptyText, plainObject, settleBillable, stepMaxRetries } from "./guards.js";
import { workKindOf } from "./steps-plan.js";
import { correctedRequest, recordRepeat } from "./guards.js";
import { askFixer, derivedWorkKind, fixForRetry, mechanicalFix, requiredConfig, sizedModel, submissionCode, unknownFailureDetail, violationDetail } from "./steps-test.js";
import { stepAgent } from "./schemas.js";
import { pipelineProtectedKeys, runWithEvent, runWithOutput, runWithStop } from "./state.js";
import type { AgentOutput, DriverAgent, DriverPipeline, DriverStep, JobPlan, RunState, WorkflowApi } from "./types.js";

/** Monitor checks per job timeout when the step does not set `maxPolls`. */
export const JOB_DEFAULT_MAX_POLLS = 20;

/**
 * Bounds of the monitor's wait before each check, in seconds: at least a
 * minute, and under the ten minutes one shell call of an agent may take.
 */
export const JOB_POLL_WAIT_SECONDS = { min: 60, max: 540 };

/** Checks beyond the job's timeout, for the platform to report the end. */
export const JOB_POLL_SLACK = 3;

/**
 * The monitor's wait and poll budget for a job: the wait spreads `maxPolls`
 * checks over the timeout (within `JOB_POLL_WAIT_SECONDS`), and the budget is
 * as many waits as the timeout holds, plus `JOB_POLL_SLACK`. A job still
 * running past that is past its own timeout.
 */
export function jobPollPlan(timeoutHours: number | null, maxPolls: number): { waitSeconds: number; maxPolls: number } {
  const hours = typeof timeoutHours === "number" && Number.isFinite(timeoutHours) && timeoutHours > 0 ? Math.min(timeoutHours, 24 * 7) : 1;
  const seconds = hours * 3600;
  const perTimeout = Number.isSafeInteger(maxPolls) && maxPolls > 0 ? maxPolls : JOB_DEFAULT_MAX_POLLS;
  const waitSeconds = Math.min(JOB_POLL_WAIT_SECONDS.max, Math.max(JOB_POLL_WAIT_SECONDS.min, Math.ceil(seconds / perTimeout)));
  return { waitSeconds, maxPolls: Math.ceil(seconds / waitSeconds) + JOB_POLL_SLACK };
}

/** A timeout in hours from the plan (hours as a number, or a duration such as `4h`). */
function jobTimeoutHours(value: unknown): number | null {
  if (typeof value === "number") return Number.isFinite(value) && value > 0 ? value : null;
  const hours = parseDuration(value);
  return hours !== null && hours > 0 ? hours : null;
}

/** What the runtime will submit: the plan's code, monitoring and persistence, with the driver's flavor, timeout and required changes. */
interface JobSpend {
  flavor: string;
  timeoutHours: number | null;
  config: { [key: string]: unknown };
}

/**
 * The submit invariant on one submission. Before it (`submitted` null) the
 * plan is checked with the driver's flavor and timeout; after it, the job
 * the submitter reports it submitted: its code and command, flavor, timeout
 * and config, which must match what was approved. The work kind is the
 * derived one; the flavor is checked against the model's size (an OOM
 * ladder flavor passes).
 */
function jobInvariant(pipeline: DriverPipeline, run: RunState, plan: JobPlan, spend: JobSpend, submitted: { [key: string]: unknown } | null): { ok: boolean; detail: string; violations: unknown[] } {
  const ladderFlavor = typeof run.overrides.flavor === "string" ? [run.overrides.flavor] : [];
  const base = {
    work: workKindOf(plan.work),
    derivedWork: derivedWorkKind(pipeline, run),
    monitoring: plan.monitoring ? (plainObject(plan.monitoring) as { kind: string; target: string }) : null,
    persistence: plan.persistence ? (plainObject(plan.persistence) as { destination: string }) : null,
    model: sizedModel(pipeline, run, ladderFlavor),
  };
  const result = submitted === null
    ? checkSubmitInvariant({ ...base, code: submissionCode(plan.code), timeoutHours: spend.timeoutHours, flavor: spend.flavor })
    : checkSubmitInvariant({
        ...base,
        code: submissionCode(submitted.code),
        timeoutHours: submitted.timeout_hours as number | string | null | undefined,
        flavor: nonEmptyText(submitted.flavor),
        approved: { flavor: spend.flavor, timeoutHours: spend.timeoutHours, config: spend.config },
        config: plainObject(submitted.config),
      });
  return { ok: result.ok, detail: violationDetail(result.violations), violations: result.violations };
}

/**
 * Ask the monitor to cancel a job that may still be running, and record its
 * answer. The call is cleanup: it is made even when the run has stopped or
 * its agent-call budget is spent. A stopped run keeps its stop, its detail
 * saying whether the job was cancelled or may still be billing, by id.
 */
export async function jobCancel(wf: WorkflowApi, pipeline: DriverPipeline, step: DriverStep, monitor: DriverAgent, run: RunState, jobId: string, why: string): Promise<{ run: RunState; cancelled: boolean; costUsd: unknown }> {
  const request = "Cancel job " + jobId + " now (" + why + "), e.g. with `hf jobs cancel " + jobId + "`, then inspect it once and report its status (cancelled, completed or failed) and its cost so far. Do not submit anything.";
  const context = { job: { job_id: jobId }, cancel: true, reason: why };
  let output: unknown = null;
  try {
    output = await callAgentRaw(wf, pipeline, step, monitor, { ...run, stop: null }, { request, context });
  } catch {
    output = null;
  }
  const answer = agentOutputProblem(monitor, output) === null ? (output as AgentOutput) : null;
  const status = answer ? answer.status : null;
  const cancelled = status === "cancelled" || status === "completed" || status === "failed";
  const said = answer === null ? "no usable answer" : "status " + JSON.stringify(status ?? null);
  const counted = { ...run, iterations: run.iterations + 1 };
  const recorded = runWithEvent(counted, step, "cancel", "cancel job " + jobId + " (" + why + "): " + said);
  const note = cancelled ? "; job " + jobId + " was cancelled (the monitor reports " + said + ")" : "; job " + jobId + " could not be confirmed cancelled (" + said + ") and may still be billing until its timeout: cancel it by hand";
  const next = recorded.stop ? { ...recorded, stop: { ...recorded.stop, detail: recorded.stop.detail + note } } : recorded;
  return { run: next, cancelled, costUsd: answer ? answer.cost_usd : null };
}

/** A run that stopped while `jobId` may still be running: the job is cancelled (or reported still billing). */
async function jobStopped(wf: WorkflowApi, pipeline: DriverPipeline, step: DriverStep, monitor: DriverAgent, run: RunState, jobId: string): Promise<RunState> {
  if (!run.stop) return run;
  return (await jobCancel(wf, pipeline, step, monitor, run, jobId, "the run stopped: " + run.stop.stoppedReason)).run;
}

/**
 * Poll one submitted job with the monitor until it completes, fails or
 * raises an alert. Before each check the monitor waits up to `waitSeconds`
 * (returning early at a terminal state); the checks are bounded by the
 * job's timeout (`monitoring-budget-exhausted`). Polls never go through the
 * repetition guard: a running job may look the same for a long time.
 */
async function jobPoll(
  wf: WorkflowApi,
  pipeline: DriverPipeline,
  step: DriverStep,
  monitor: DriverAgent,
  run: RunState,
  job: { job_id: string; url: unknown; submission: number; maxPolls: number; waitSeconds: number },
): Promise<{ run: RunState; outcome: AgentOutput | null }> {
  const request =
    "Wait up to " + job.waitSeconds + " seconds for the job to move on (sleep, or follow its logs for at most that long), returning as soon as it completes or fails; " +
    "then check it once: its status, any training alerts (diverged, overfitting, early-stopping), the log tail, " +
    "the latest metrics (with the current learning_rate and weight_decay when logged) and its cost so far.";
  let current = run;
  for (let poll = 1; poll <= job.maxPolls; poll++) {
    const context = stepContext(current, step, { job: { job_id: job.job_id, url: job.url }, submission: job.submission, poll, maxPolls: job.maxPolls, waitSeconds: job.waitSeconds });
    const called = await callAgent(wf, pipeline, step, monitor, current, { request, context });
    if (!called.output) return { run: called.run, outcome: null };
    current = called.run;
    const output = called.output;
    const alerts = Array.isArray(output.alerts) ? output.alerts : [];
    if (output.status === "completed" || output.status === "failed" || alerts.length > 0) return { run: current, outcome: output };
    if (output.status !== "running") {
      return { run: runWithStop(current, step, "agent-failed", "agent `" + monitor.name + "` reported job " + job.job_id + " as " + JSON.stringify(output.status ?? null) + ", expected running, completed or failed"), outcome: null };
    }
  }
  const detail = "job " + job.job_id + " did not finish within " + job.maxPolls + " monitor checks of up to " + job.waitSeconds + "s (its timeout); its reservation stays committed";
  return { run: runWithStop(current, step, "monitoring-budget-exhausted", detail), outcome: null };
}

/**
 * The full job. Needs `run.jobPlan` from the readiness step (else
 * `submit-invariant-violated`). Each submission checks the submit invariant
 * on the plan with the driver's flavor and timeout, is approved against the
 * ledger like the preflight, submitted, and then checked again against the
 * job the submitter reports it submitted (code, flavor, timeout, every
 * required change: an OOM rung's override, a fix, an alert's change); a
 * mismatch cancels the job and stops (`submit-invariant-violated`). Then it
 * is polled. Every stop while the job may still run cancels it.
 * Completed: settled and recorded as an artifact. Failed: settled,
 * classified; OOM climbs the ladder carried from the preflight, each rung
 * once (`oom-ladder-exhausted`); an unknown class stops
 * (`retries-exhausted`, no retry); other classes go to the fixer. Alerts:
 * the job is cancelled and the alert policy's changes, scope-checked, are
 * the only changes of the resubmission. Failures and alerts go through the
 * repetition guard (a correction first, then `repetition-detected`) and are
 * bounded by `maxRetries` (`retries-exhausted`).
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
  const pollsPerTimeout = configCount(config.maxPolls, JOB_DEFAULT_MAX_POLLS) || JOB_DEFAULT_MAX_POLLS;
  const request = stepRequest(
    step,
    "Submit the one full job exactly as planned, on the given flavor and timeout, with monitoring and persistence, " +
      "applying the required config changes and only the given changes. If a previous job of this step is still running, cancel it first. " +
      "Report its id and, in submitted, exactly what you submitted: the code (inline code, or the http(s) URL or repo it is fetched from), the command, the flavor, the timeout in hours and the training config.",
  );
  let flavor = plan.flavor;
  let timeoutHours = jobTimeoutHours(plan.timeout_hours);
  let current = run;
  let changes: { [key: string]: unknown } | null = null;
  let previousJob: unknown = null;
  let correction: string | null = null;
  let retries = 0;
  for (let submission = 1; ; submission++) {
    const spend: JobSpend = { flavor, timeoutHours, config: requiredConfig(current.overrides) };
    const invariant = jobInvariant(pipeline, current, plan, spend, null);
    if (!invariant.ok) return runWithStop(current, step, "submit-invariant-violated", invariant.detail, { violations: invariant.violations });
    const key = billingKey(current, step, submission);
    const what = step.id + " submission " + submission + " on " + flavor + " for " + String(timeoutHours) + "h";
    const approval = approveBillable(current, step, { key, what, estimateUsd: estimateJobCost({ flavor, timeoutHours }) });
    if (approval.run.stop) return approval.run;
    const submit = { code: plan.code, flavor, timeout_hours: timeoutHours, config: spend.config };
    const extra: { [key: string]: unknown } = { submission, plan, submit, flavor, timeoutHours, estimateUsd: approval.estimateUsd, trainingConfig: approval.run.workConfig, changes, previousJob };
    if (correction !== null) extra.repetitionGuard = correction;
    const submitted = await callAgent(wf, pipeline, step, submitter, approval.run, { request: correctedRequest(request, correction), context: stepContext(approval.run, step, extra) });
    if (!submitted.output) return jobLost(submitted.run, key);
    const jobId = nonEmptyText(submitted.output.job_id);
    if (jobId === null) return jobLost(runWithStop(submitted.run, step, "agent-failed", "agent `" + submitter.name + "` returned no job id"), key);
    current = runWithEvent(submitted.run, step, "submitted", "job " + jobId + " (" + key + ")");
    wf.log(step.title + ": submitted job " + jobId + " on " + flavor);
    // The job as submitted, not as planned: a mismatch is cancelled before it runs on.
    const reported = plainObject(submitted.output.submitted);
    const actual = jobInvariant(pipeline, current, plan, spend, reported);
    if (!actual.ok) {
      const stopped = runWithStop(current, step, "submit-invariant-violated", "job " + jobId + " as submitted: " + actual.detail, { violations: actual.violations });
      return jobStopped(wf, pipeline, step, monitor, stopped, jobId);
    }
    current = checkStepScope(pipeline, current, step, reported, "the job `" + submitter.name + "` submitted");
    if (current.stop) return jobStopped(wf, pipeline, step, monitor, current, jobId);
    const polling = jobPollPlan(timeoutHours, pollsPerTimeout);
    const polled = await jobPoll(wf, pipeline, step, monitor, current, { job_id: jobId, url: submitted.output.url, submission, ...polling });
    if (!polled.outcome) return jobStopped(wf, pipeline, step, monitor, polled.run, jobId);
    const outcome = polled.outcome;
    current = polled.run;
    let cost = outcome.cost_usd;
    const alerted = outcome.status !== "completed" && outcome.status !== "failed";
    if (alerted) {
      // A job with alerts is still running: it is cancelled before anything else is decided.
      const cancel = await jobCancel(wf, pipeline, step, monitor, current, jobId, "training alerts");
      current = cancel.run;
      if (typeof cancel.costUsd === "number" && (typeof cost !== "number" || cancel.costUsd > cost)) cost = cancel.costUsd;
      if (!cancel.cancelled) return runWithStop(current, step, "alert-unresolved", "training alerts on job " + jobId + ", and it could not be confirmed cancelled: it may still be billing until its timeout");
    }
    current = settleBillable(current, step, key, cost);
    if (current.stop) return current;
    previousJob = { job_id: jobId, url: submitted.output.url ?? null, status: alerted ? "cancelled" : outcome.status };
    if (outcome.status === "completed") {
      const artifact = { step: step.id, kind: "job", job_id: jobId, url: submitted.output.url ?? null, flavor, metrics: outcome.metrics ?? {} };
      const done = { ...current, artifacts: current.artifacts.concat([artifact]) };
      return runWithOutput(done, step, { job_id: jobId, url: submitted.output.url ?? null, status: "completed", flavor, timeoutHours, metrics: outcome.metrics ?? {}, submissions: submission });
    }
    const known = { ...current.workConfig, ...plainObject(reported.config), ...plainObject(outcome.metrics), ...current.overrides };
    if (outcome.status === "failed") {
      const logTail = typeof outcome.log_tail === "string" ? outcome.log_tail : "";
      const cls: FailureClass = classifyFailureLog(logTail);
      if (cls === "oom") {
        const ladder = nextOomRung(current.ladder, { ...current.workConfig, ...plainObject(reported.config), ...current.overrides, flavor });
        current = { ...current, ladder: ladder.state };
        if (ladder.action === "stop") return runWithStop(current, step, "oom-ladder-exhausted", ladder.reason);
        current = runWithEvent({ ...current, overrides: { ...current.overrides, ...ladder.changes } }, step, "oom", "rung " + ladder.rung + " (" + ladder.step + "): " + JSON.stringify(ladder.changes));
        if (typeof ladder.changes.flavor === "string") flavor = ladder.changes.flavor;
        changes = { kind: "oom", rung: ladder.rung, step: ladder.step, changes: ladder.changes };
        wf.log(step.title + ": out of memory; OOM ladder rung " + ladder.rung + " (" + ladder.step + ")");
        continue;
      }
      retries++;
      const repeat = recordRepeat(pipeline, step, current, { name: step.id, args: { flavor, timeoutHours }, result: logTail });
      current = repeat.run;
      correction = repeat.correction;
      if (current.stop) return current;
      if (cls === "unknown") return runWithStop(current, step, "retries-exhausted", "job " + jobId + ": " + unknownFailureDetail(submission, logTail));
      if (retries > maxRetries) return runWithStop(current, step, "retries-exhausted", "the job failed or was resubmitted " + retries + " times (last failure: " + cls + ")");
      const asked = await askFixer(wf, pipeline, step, fixer, current, { cls, attempt: submission, logTail, config: known, correction }, "retries-exhausted");
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
    const repeat = recordRepeat(pipeline, step, current, { name: step.id + ":alert", args: { flavor, timeoutHours }, result: outcome.alerts });
    current = repeat.run;
    correction = repeat.correction;
    if (current.stop) return current;
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

/** A submitter that returned no usable answer may have started a job: the stop says so. */
function jobLost(run: RunState, key: string): RunState {
  if (!run.stop) return run;
  const detail = run.stop.detail + "; a job may have been submitted and still be billing (reservation " + key + " stays committed): check the account's running jobs and cancel it";
  return { ...run, stop: { ...run.stop, detail } };
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
