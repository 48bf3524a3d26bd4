// Validation before the full run: the CPU smoke test, the billable GPU
// preflight (with the OOM ladder), the readiness checklist with the submit
// invariant, and the failure fixer of the machine-learning kinds.
import { FAILURE_TAXONOMY, planFailureFix } from "../core/failures.js";
import { estimateJobCost } from "../core/ledger.js";
import { classifyFailureLog, nextOomRung, type FailureClass } from "../core/oom.js";
import { TIMEOUT_TIERS, type WorkKind } from "../core/sizing.js";
import { checkSubmitInvariant, type JobSubmission } from "../core/submit.js";
import { callAgent, stepContext, stepRequest } from "./agents.js";
import { approveBillable, billingKey, checkStepScope, configCount, correctedRequest, missingAgentStop, nonEmptyText, plainObject, positiveNumber, recordRepeat, settleBillable, stepMaxRetries, textList } from "./guards.js";
import { checklistVerdict } from "./steps-check.js";
import { WORK_KINDS, workKindOf } from "./steps-plan.js";
import { stepAgent } from "./schemas.js";
import { runWithEvent, runWithOutput, runWithStop } from "./state.js";
import type { AgentOutput, DriverAgent, DriverPipeline, DriverStep, JobPlan, RunState, WorkflowApi } from "./types.js";

/**
 * The kind of work a job does, derived by the runtime (never taken from the
 * job's own description): the resources step maps the task class to a work
 * kind (`workByClass`, else `work`); a class that names a kind is that kind.
 * Null when nothing says.
 */
export function derivedWorkKind(pipeline: DriverPipeline, run: RunState): WorkKind | null {
  const resources = pipeline.steps.find((entry) => entry.kind === "resources");
  const config = resources ? plainObject(resources.config) : {};
  const byClass = plainObject(config.workByClass);
  if (run.taskClass !== null && Object.hasOwn(byClass, run.taskClass) && WORK_KINDS.includes(byClass[run.taskClass] as string)) return byClass[run.taskClass] as WorkKind;
  if (run.taskClass !== null && WORK_KINDS.includes(run.taskClass)) return run.taskClass as WorkKind;
  return typeof config.work === "string" && WORK_KINDS.includes(config.work) ? (config.work as WorkKind) : null;
}

/** The verified model's size (from the resources step's output) and the baseline's method, for the flavor check. */
export function sizedModel(pipeline: DriverPipeline, run: RunState, allowedFlavors: string[]): JobSubmission["model"] {
  let paramsB: number | null = null;
  for (const entry of pipeline.steps) {
    if (entry.kind !== "resources" || !Object.hasOwn(run.outputs, entry.id)) continue;
    const resources = plainObject(run.outputs[entry.id]).resources;
    const model = (Array.isArray(resources) ? resources : []).map(plainObject).find((resource) => resource.kind === "model" && positiveNumber(resource.params_b) !== null);
    if (model) paramsB = model.params_b as number;
  }
  const baseline = run.baseline ?? {};
  return { paramsB, method: Object.hasOwn(baseline, "method") ? baseline.method : null, allowedFlavors };
}

/** The code of a job description, in the invariant's shape. */
export function submissionCode(value: unknown): JobSubmission["code"] {
  const code = plainObject(value);
  if (Object.keys(code).length === 0) return typeof value === "string" && value.trim() !== "" ? { kind: "inline", value } : null;
  return { kind: code.kind as "inline" | "url" | "path" | "repo", value: String(code.value ?? "") };
}

/** The required config changes a submission must carry (the driver's overrides; the flavor is checked on its own). */
export function requiredConfig(overrides: { [key: string]: unknown }): { [key: string]: unknown } {
  const config: { [key: string]: unknown } = {};
  for (const [key, value] of Object.entries(overrides)) if (key !== "flavor") config[key] = value;
  return config;
}

/** The violations as one detail line. */
export function violationDetail(violations: { code: string; message: string }[]): string {
  return violations.map((violation) => violation.code + ": " + violation.message).join("; ");
}

/**
 * Smoke test: the worker runs the smallest end-to-end test. A failure is
 * classified, its signature goes through the repetition guard
 * (`repetition-detected`), and the fixer's analysis and minimal fix
 * (scope-checked) go into the next attempt, up to `maxRetries` retries
 * (`smoke-test-failed`). Never retried without an analysis.
 */
export async function runSmokeStep(wf: WorkflowApi, pipeline: DriverPipeline, step: DriverStep, run: RunState): Promise<RunState> {
  const worker = stepAgent(step, "worker");
  if (!worker) return missingAgentStop(run, step, "worker");
  const fixer = stepAgent(step, "fixer");
  const maxRetries = stepMaxRetries(pipeline, step);
  const request = stepRequest(
    step,
    "Run the smallest end-to-end test of the code (tiny data, a few steps, CPU) and report whether it passed, the exact command and the tail of the log. " +
      "If a fix is given, apply exactly that fix first.",
  );
  let current = run;
  let fix: { [key: string]: unknown } | null = null;
  let correction: string | null = null;
  for (let attempt = 1; ; attempt++) {
    const context = stepContext(current, step, correction === null ? { attempt, maxRetries, fix } : { attempt, maxRetries, fix, repetitionGuard: correction });
    const called = await callAgent(wf, pipeline, step, worker, current, { request: correctedRequest(request, correction), context });
    if (!called.output) return called.run;
    const output = called.output;
    current = called.run;
    if (output.passed === true) return runWithOutput(current, step, { ...output, attempts: attempt });
    const logTail = typeof output.log_tail === "string" ? output.log_tail : "";
    const cls = classifyFailureLog(logTail);
    const repeat = recordRepeat(pipeline, step, current, { name: step.id, args: output.command, result: logTail });
    current = repeat.run;
    correction = repeat.correction;
    if (current.stop) return current;
    if (cls === "unknown") return runWithStop(runWithOutput(current, step, { ...output, attempts: attempt }), step, "smoke-test-failed", unknownFailureDetail(attempt, logTail));
    if (attempt > maxRetries) {
      const detail = "failed " + attempt + " times (last failure: " + cls + "): " + (nonEmptyText(output.summary) ?? "see the log");
      return runWithStop(runWithOutput(current, step, { ...output, attempts: attempt }), step, "smoke-test-failed", detail);
    }
    const asked = await askFixer(wf, pipeline, step, fixer, current, { cls, attempt, logTail, command: output.command, correction }, "smoke-test-failed");
    if (!asked.fix) return asked.run;
    current = asked.run;
    fix = fixForRetry(cls, asked.fix, {});
    wf.log(step.title + ": attempt " + attempt + " failed (" + cls + "); retrying with the fixer's analysis");
  }
}

/** The stop detail of a failure the taxonomy has no fix for: it is reported, never retried. */
export function unknownFailureDetail(attempt: number, logTail: string): string {
  const excerpt = logTail.length > 400 ? logTail.slice(-400) : logTail;
  return "attempt " + attempt + " failed with a failure the taxonomy does not know (" + FAILURE_TAXONOMY.unknown.fix + "). Log excerpt: " + (excerpt.trim() === "" ? "(empty)" : excerpt.trim());
}

/**
 * Preflight: a tiny billable GPU job. Before each attempt the estimate is
 * approved against the ledger (`needs-approval`, `cost-cap-reached`); after
 * it the cost is settled, and the job the worker reports it ran is checked
 * against the submit invariant: reachable code, the approved flavor and
 * timeout, and every required config change (an OOM rung's override
 * included) applied (`submit-invariant-violated`, before the next spend).
 * OOM climbs the ladder, each rung once (rung carried in `run.ladder`,
 * changes in `run.overrides`; `oom-ladder-exhausted`); an unknown failure
 * stops (`preflight-failed`); other failures go to the fixer, bounded by
 * `maxRetries` (`preflight-failed`), through the repetition guard.
 */
export async function runPreflightStep(wf: WorkflowApi, pipeline: DriverPipeline, step: DriverStep, run: RunState): Promise<RunState> {
  const worker = stepAgent(step, "worker");
  if (!worker) return missingAgentStop(run, step, "worker");
  const fixer = stepAgent(step, "fixer");
  const config = step.config ?? {};
  const maxRetries = stepMaxRetries(pipeline, step);
  let flavor = nonEmptyText(config.flavor) ?? (run.sizing ? run.sizing.flavor : null);
  let timeoutHours = positiveNumber(config.timeoutHours) ?? TIMEOUT_TIERS.short.maxHours;
  const request = stepRequest(
    step,
    "Submit one tiny GPU job with the same imports, model path and entry point as the full run, on exactly the given flavor and timeout, " +
      "with the required config changes and any given fix applied. Report its id, status, log tail, cost, the code you submitted (inline code, " +
      "or the http(s) URL or repo it was fetched from; never a local path), the exact command, and the training config it ran with.",
  );
  let current = run;
  let fix: { [key: string]: unknown } | null = null;
  let oom: { [key: string]: unknown } | null = null;
  let correction: string | null = null;
  let failures = 0;
  for (let attempt = 1; ; attempt++) {
    const key = billingKey(current, step, attempt);
    const what = step.id + " attempt " + attempt + " on " + String(flavor) + " for " + String(timeoutHours) + "h";
    const approval = approveBillable(current, step, { key, what, estimateUsd: estimateJobCost({ flavor, timeoutHours }) });
    if (approval.run.stop) return approval.run;
    const required = requiredConfig(approval.run.overrides);
    const extra: { [key: string]: unknown } = { attempt, flavor, timeoutHours, estimateUsd: approval.estimateUsd, trainingConfig: approval.run.workConfig, oom, fix };
    if (correction !== null) extra.repetitionGuard = correction;
    const called = await callAgent(wf, pipeline, step, worker, approval.run, { request: correctedRequest(request, correction), context: stepContext(approval.run, step, extra) });
    // A worker that died may have started the job: its reservation stays committed.
    if (!called.output) return preflightLost(called.run, step, key);
    const output = called.output;
    current = settleBillable(called.run, step, key, output.cost_usd);
    if (current.stop) return current;
    const reported = { ...current.workConfig, ...plainObject(output.config) };
    current = { ...current, workConfig: reported };
    // The job the worker ran, not the one it was asked for: checked before anything else is spent.
    const invariant = checkSubmitInvariant({
      code: submissionCode(output.code),
      timeoutHours: output.timeout_hours === undefined || output.timeout_hours === null ? timeoutHours : (output.timeout_hours as number | string),
      work: "training",
      monitoring: null,
      persistence: null,
      flavor: nonEmptyText(output.flavor) ?? null,
      preflight: true,
      approved: { flavor, timeoutHours, config: required },
      config: plainObject(output.config),
    });
    if (!invariant.ok) {
      const detail = "the preflight job " + String(output.job_id ?? "(no id)") + " as the worker reports it: " + violationDetail(invariant.violations);
      return runWithStop(current, step, "submit-invariant-violated", detail, { violations: invariant.violations });
    }
    if (output.status === "completed") {
      return runWithOutput(current, step, { ...output, flavor: nonEmptyText(output.flavor) ?? flavor, timeoutHours, attempts: attempt });
    }
    const logTail = typeof output.log_tail === "string" ? output.log_tail : "";
    const cls: FailureClass = classifyFailureLog(logTail);
    if (cls === "oom") {
      const ladder = nextOomRung(current.ladder, { ...reported, ...current.overrides, flavor: flavor ?? undefined });
      current = { ...current, ladder: ladder.state };
      if (ladder.action === "stop") return runWithStop(current, step, "oom-ladder-exhausted", ladder.reason);
      current = runWithEvent({ ...current, overrides: { ...current.overrides, ...ladder.changes } }, step, "oom", "rung " + ladder.rung + " (" + ladder.step + "): " + JSON.stringify(ladder.changes));
      if (typeof ladder.changes.flavor === "string") flavor = ladder.changes.flavor;
      oom = { rung: ladder.rung, step: ladder.step, changes: ladder.changes, allowedFix: FAILURE_TAXONOMY.oom.fix };
      fix = null;
      wf.log(step.title + ": out of memory; OOM ladder rung " + ladder.rung + " (" + ladder.step + ")");
      continue;
    }
    failures++;
    const repeat = recordRepeat(pipeline, step, current, { name: step.id, args: { flavor, timeoutHours, config: reported }, result: logTail });
    current = repeat.run;
    correction = repeat.correction;
    if (current.stop) return current;
    if (cls === "unknown") return runWithStop(current, step, "preflight-failed", unknownFailureDetail(attempt, logTail));
    if (failures > maxRetries) {
      return runWithStop(current, step, "preflight-failed", "failed " + failures + " times without an OOM (last failure: " + cls + ")");
    }
    const asked = await askFixer(wf, pipeline, step, fixer, current, { cls, attempt, logTail, config: reported, correction }, "preflight-failed");
    if (!asked.fix) return asked.run;
    current = asked.run;
    const mechanical = mechanicalFix(cls, { ...reported, ...current.overrides }, timeoutHours);
    if (mechanical.timeoutHours !== null) timeoutHours = mechanical.timeoutHours;
    if (Object.keys(mechanical.training).length > 0) {
      current = checkStepScope(pipeline, current, step, mechanical.training, "the " + cls + " fix");
      if (current.stop) return current;
      current = { ...current, overrides: { ...current.overrides, ...mechanical.training } };
    }
    fix = fixForRetry(cls, asked.fix, mechanical.timeoutHours !== null ? { ...mechanical.training, timeoutHours } : mechanical.training);
    oom = null;
    wf.log(step.title + ": attempt " + attempt + " failed (" + cls + "); retrying with the fixer's analysis");
  }
}

/** A preflight worker that returned nothing may have started a job: the stop says so, and its reservation stays committed. */
function preflightLost(run: RunState, step: DriverStep, key: string): RunState {
  if (!run.stop) return run;
  const detail = run.stop.detail + "; it may have started a preflight job that is still billing (reservation " + key + " stays committed): check the account's running jobs and cancel it";
  return { ...run, stop: { ...run.stop, detail } };
}

/**
 * Readiness checklist: every configured item must be reported satisfied with
 * evidence (`checklist-incomplete`), and the described job must pass the
 * submit invariant (`submit-invariant-violated`: reachable code, a timeout
 * long enough for the work's tier, monitoring, persistence, a flavor) and
 * the scope guard (`scope-change-requires-approval`). The accepted job is
 * `run.jobPlan`.
 */
export async function runReadinessStep(wf: WorkflowApi, pipeline: DriverPipeline, step: DriverStep, run: RunState): Promise<RunState> {
  const worker = stepAgent(step, "worker");
  if (!worker) return missingAgentStop(run, step, "worker");
  const config = step.config ?? {};
  const items = textList(config.items);
  const request = stepRequest(
    step,
    "Go through every checklist item and mark it satisfied only with concrete evidence. Then describe the job exactly as it will be submitted: " +
      "its code (inline, an http(s) URL or a repo, never a local path), timeout in hours, work kind (the given one), monitoring target, persistence destination and flavor.",
  );
  const work = derivedWorkKind(pipeline, run);
  const context = stepContext(run, step, work === null ? { items, sizing: run.sizing, trainingConfig: run.workConfig } : { items, sizing: run.sizing, work, trainingConfig: run.workConfig });
  const called = await callAgent(wf, pipeline, step, worker, run, { request, context });
  if (!called.output) return called.run;
  const output = called.output;
  const next = runWithOutput(called.run, step, output);
  const checked = checklistVerdict(next, step, items, output.items);
  if (checked.stop) return checked;
  const job = plainObject(output.job);
  const code = plainObject(job.code);
  const derived = work;
  const submission = {
    code: Object.keys(code).length > 0 ? { kind: code.kind as "inline" | "url" | "path" | "repo", value: String(code.value ?? "") } : null,
    timeoutHours: job.timeout_hours as number | string | null | undefined,
    work: workKindOf(job.work),
    monitoring: job.monitoring ? (plainObject(job.monitoring) as { kind: string; target: string }) : null,
    persistence: job.persistence ? (plainObject(job.persistence) as { destination: string }) : null,
    flavor: typeof job.flavor === "string" ? job.flavor : null,
    derivedWork: derived,
    model: sizedModel(pipeline, run, typeof run.overrides.flavor === "string" ? [run.overrides.flavor] : []),
  };
  const invariant = checkSubmitInvariant(submission);
  if (!invariant.ok) {
    const detail = invariant.violations.map((violation) => violation.code + ": " + violation.message).join("; ");
    return runWithStop(next, step, "submit-invariant-violated", detail, { violations: invariant.violations });
  }
  // The job as described may not quietly change the task (a `--model` flag in inline code counts).
  const scoped = checkStepScope(pipeline, next, step, job, "the job plan of `" + worker.name + "`");
  if (scoped.stop) return scoped;
  const jobPlan = { ...job, work: derived ?? submission.work } as JobPlan;
  return runWithEvent({ ...scoped, jobPlan }, step, "job-plan", "job on " + jobPlan.flavor + " for " + String(jobPlan.timeout_hours) + "h passed the submit invariant");
}

/** A failure the fixer is asked about. */
export interface FailureReport {
  cls: FailureClass;
  attempt: number;
  logTail: string;
  command?: unknown;
  config?: { [key: string]: unknown };
  /** The repetition guard's correction, when this failure repeated an earlier one. */
  correction?: string | null;
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
  const request = stepRequest(
    step,
    "Attempt " + failure.attempt + " failed. Read the log, say what went wrong and why (analysis), name the failure class, " +
      "and propose only the one allowed minimal fix as changes. Never change the values the user set (the baseline: method, model, dataset, sequence length and the like).",
    "fixerRequest",
  );
  const context = stepContext(run, step, {
    failure: { class: failure.cls, allowedFix, attempt: failure.attempt, command: failure.command ?? null, config: failure.config ?? null, log_tail: failure.logTail },
  });
  const correction = failure.correction ?? null;
  if (correction !== null) context.repetitionGuard = correction;
  const called = await callAgent(wf, pipeline, step, fixer, run, { request: correctedRequest(request, correction), context });
  if (!called.output) return { run: called.run, fix: null };
  const fix = called.output;
  if (nonEmptyText(fix.analysis) === null) {
    return { run: runWithStop(called.run, step, stopReason, "the fixer `" + fixer.name + "` gave no analysis, so the step is not retried blindly"), fix: null };
  }
  const scoped = checkStepScope(pipeline, called.run, step, fix.changes, "the fixer `" + fixer.name + "`");
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
