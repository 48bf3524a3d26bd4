// Steps before the work itself: intake (with the task class), plain agent
// work, research fan-out, and resource verification with sizing (a kind only
// some profiles use; the others keep none of its code).
import { canonicalProtectedKey, checkScopeChange, freezeBaseline, normalizeScopeValue, scopeValuesFromText, type ProtectedKeyTable, type ScopeBaseline, type ScopeValueOptions, type UserScopeApproval } from "../core/scope.js";
import { sizeHardware, sizeTimeout, type WorkKind } from "../core/sizing.js";
import { callAgent, callAgentsParallel, stepContext, stepRequest } from "./agents.js";
import { checkStepScope, missingAgentStop, nonEmptyText, plainObject, positiveNumber, textList } from "./guards.js";
import { stepAgent, stepAgents } from "./schemas.js";
import { pipelineProtectedKeys, runParamKeys, runUserApproval, runWithEvent, runWithOutput, runWithStop } from "./state.js";
import type { AgentOutput, DriverPipeline, DriverStep, RunState, WorkflowApi } from "./types.js";

/** The class whose task the intake answers itself when the step does not set `answerClass`. */
export const INTAKE_ANSWER_CLASS = "trivial";

/**
 * Intake: the worker restates the task, records the user's baseline (the
 * keys of `config.baselineKeys`, by default the pipeline's protected keys)
 * and plans the run. The baseline is the user's words first: the values
 * passed as args, then the values the task text fixes (`scopeValuesFromText`:
 * `name value`, `--flag value`, `name=value` and the key table's phrase
 * templates); the intake's report only adds keys the user left unset. A
 * reported value that contradicts the task text is a scope change
 * (`scope-change-requires-approval`) unless the user's `approvedScopeChanges`
 * covers it; one that contradicts an arg is overruled by the arg.
 * `needs_clarification` stops with `needs-clarification` and the question.
 * With `config.classes` the worker must pick `task_class` from them (else
 * `agent-failed`), stored as `run.taskClass`; the answer class
 * (`config.answerClass`, default `trivial`) must come with an `answer`, which
 * ends the run with `answered`. Otherwise every key the task's class needs
 * (`config.keysByClass[class]`, by default all of `baselineKeys`) must be
 * known before anything runs: an unknown one stops with
 * `needs-clarification`, naming the keys, unless the user's
 * `approvedScopeChanges` names it (a value fills it in; `true` lets the run
 * choose). `config.request` adds the profile's wording to the request.
 */
export async function runIntakeStep(wf: WorkflowApi, pipeline: DriverPipeline, step: DriverStep, run: RunState): Promise<RunState> {
  const worker = stepAgent(step, "worker");
  if (!worker) return missingAgentStop(run, step, "worker");
  const config = step.config ?? {};
  const baselineKeys = Array.isArray(config.baselineKeys) ? textList(config.baselineKeys) : Object.keys(pipelineProtectedKeys(pipeline));
  const classes = textList(config.classes);
  const answerClass = nonEmptyText(config.answerClass) ?? INTAKE_ANSWER_CLASS;
  let fallback =
    "Take the task in: summarize it, record in baseline the value the user stated for each of the baselineKeys, exactly as they stated it " +
    "(null where they said nothing), and plan the run. If the task is too ambiguous to start, set needs_clarification and ask one question.";
  if (classes.length > 0) {
    fallback += " Classify the task as exactly one of the classes (task_class). If it is " + answerClass + ", answer it yourself in answer; otherwise set answer to null.";
  }
  const extra: { [key: string]: unknown } = { baselineKeys };
  if (classes.length > 0) extra.classes = classes;
  const called = await callAgent(wf, pipeline, step, worker, run, { request: stepRequest(step, fallback), context: stepContext(run, step, extra) });
  if (!called.output) return called.run;
  const output = called.output;
  const keys = runParamKeys(pipeline, baselineKeys.concat(Object.keys(run.baseline ?? {})));
  const options = { stripPrefixes: pipeline.scopeStripPrefixes ?? [] };
  const given = run.baseline ?? {};
  const written = intakeWrittenValues(run.args.task, keys, options, given);
  const reported = freezeBaseline(plainObject(output.baseline), keys, options);
  const approval = runUserApproval(run);
  let next = runWithOutput(called.run, step, output);
  const contradiction = checkScopeChange(written, reported, { keys, stripPrefixes: options.stripPrefixes }, approval);
  if (contradiction.verdict !== "ok") {
    const wanted: { [key: string]: string } = {};
    for (const touch of contradiction.touched) if (!Object.hasOwn(wanted, touch.key)) wanted[touch.key] = touch.to;
    const detail =
      "the intake `" + worker.name + "` reported " + contradiction.touched.map((touch) => touch.key + " " + JSON.stringify(touch.to)).join(", ") +
      " where the task says " + contradiction.touched.map((touch) => touch.key + " " + JSON.stringify(touch.from)).join(", ") +
      ": " + contradiction.reason + ". Rerun with the argument {\"approvedScopeChanges\": " + JSON.stringify(wanted) + "} to allow it";
    return runWithStop({ ...next, baseline: { ...written, ...given } }, step, "scope-change-requires-approval", detail, { touched: contradiction.touched });
  }
  const baseline: { [key: string]: string } = { ...reported, ...intakePinnedValues(approval, keys, options), ...written, ...given };
  next = { ...next, baseline };
  if (output.needs_clarification === true) {
    return runWithStop(next, step, "needs-clarification", nonEmptyText(output.question) ?? "the task is ambiguous; restate it with more detail");
  }
  next = runWithEvent(next, step, "baseline", "frozen baseline " + JSON.stringify(baseline));
  if (classes.length > 0) {
    const said = nonEmptyText(output.task_class);
    const taskClass = said === null ? undefined : classes.find((name) => name.toLowerCase() === said.toLowerCase());
    if (taskClass === undefined) {
      const detail = "agent `" + worker.name + "` classified the task as " + JSON.stringify(output.task_class ?? null) + ", expected one of " + classes.join(", ");
      return runWithStop(next, step, "agent-failed", detail);
    }
    next = runWithEvent({ ...next, taskClass }, step, "task-class", "the task is " + taskClass);
    if (taskClass === answerClass) {
      const answer = nonEmptyText(output.answer);
      if (answer === null) return runWithStop(next, step, "agent-failed", "agent `" + worker.name + "` classified the task as " + taskClass + " but gave no answer");
      wf.log(step.title + ": the task is " + taskClass + "; answered directly");
      return runWithStop(next, step, "answered", answer, { task_class: taskClass, answer });
    }
  }
  const unknown = intakeUnknownKeys(config.keysByClass, next.taskClass, baselineKeys, keys, baseline, approval);
  if (unknown.length === 0) return next;
  const wanted: { [key: string]: string } = {};
  for (const key of unknown) wanted[key] = "<value>";
  const detail =
    "the task leaves " + unknown.join(", ") + " unset and " + (unknown.length > 1 ? "they are" : "it is") + " protected: nothing runs or spends until the user decides. " +
    "Rerun with " + (unknown.length > 1 ? "them" : "it") + " named in the task, or with the argument {\"approvedScopeChanges\": " + JSON.stringify(wanted) + "} (true instead of a value lets the run choose)";
  return runWithStop(next, step, "needs-clarification", detail, { unknown });
}

/** The values the user's task text fixes for the keys the args left unset. */
function intakeWrittenValues(task: unknown, keys: ProtectedKeyTable, options: ScopeValueOptions, given: ScopeBaseline): ScopeBaseline {
  const written: ScopeBaseline = {};
  for (const [key, value] of Object.entries(scopeValuesFromText(task, keys, options))) if (!Object.hasOwn(given, key)) written[key] = value;
  return written;
}

/** The values the user pinned in `approvedScopeChanges`, by canonical key (they fill keys nothing else set). */
function intakePinnedValues(approval: UserScopeApproval | null, keys: ProtectedKeyTable, options: ScopeValueOptions): ScopeBaseline {
  const pinned: ScopeBaseline = {};
  for (const [name, value] of Object.entries(approval && approval.values ? approval.values : {})) {
    const key = canonicalProtectedKey(name, keys) ?? name;
    if (!Object.hasOwn(pinned, key) && value !== null && typeof value !== "object") pinned[key] = normalizeScopeValue(value, options.stripPrefixes ?? []);
  }
  return pinned;
}

/**
 * The protected keys the task's class needs that are still unknown: the
 * class's entry of `keysByClass` (a class it does not list, or a run with no
 * class, needs every baseline key), minus the keys the baseline holds and
 * the keys the user's approval names.
 */
function intakeUnknownKeys(
  keysByClass: unknown,
  taskClass: string | null,
  baselineKeys: string[],
  keys: ProtectedKeyTable,
  baseline: ScopeBaseline,
  approval: UserScopeApproval | null,
): string[] {
  const table = plainObject(keysByClass);
  const listed = taskClass !== null && Object.hasOwn(table, taskClass) && Array.isArray(table[taskClass]) ? textList(table[taskClass]) : baselineKeys;
  const needed = listed.filter((key) => baselineKeys.includes(key));
  const approved = (approval ? approval.keys : []).map((name) => canonicalProtectedKey(name, keys) ?? name);
  return needed.filter((key) => {
    const canonical = canonicalProtectedKey(key, keys) ?? key;
    return !Object.hasOwn(baseline, canonical) && !approved.includes(canonical);
  });
}

/**
 * A plain agent step: `blocked` stops with `step-blocked`; proposed changes
 * pass the scope guard (`scope-change-requires-approval`), whatever the
 * agent claims about approval. `config.request` adds the profile's wording.
 */
export async function runAgentStep(wf: WorkflowApi, pipeline: DriverPipeline, step: DriverStep, run: RunState): Promise<RunState> {
  const worker = stepAgent(step, "worker");
  if (!worker) return missingAgentStop(run, step, "worker");
  const request = stepRequest(
    step,
    "Carry out this step as your instructions describe. Report status (done, or blocked when you cannot proceed), " +
      "a summary, your outputs, the evidence, and in proposed_changes any change you want to the task's configuration.",
  );
  const called = await callAgent(wf, pipeline, step, worker, run, { request, context: stepContext(run, step, {}) });
  if (!called.output) return called.run;
  const output = called.output;
  if (output.status !== "done") {
    return runWithStop(runWithOutput(called.run, step, output), step, "step-blocked", nonEmptyText(output.summary) ?? "the agent reported the step blocked");
  }
  const scoped = checkStepScope(pipeline, called.run, step, { proposed_changes: output.proposed_changes, outputs: output.outputs }, "the agent `" + worker.name + "`");
  if (scoped.stop) return scoped;
  return runWithOutput(scoped, step, output);
}

/**
 * Fan-out research: every finder in parallel (a failed one is logged and
 * skipped; all failed stops with `agent-failed`), then the synthesis agent
 * combines the findings, with any critic feedback on this step.
 * `config.finderRequest` and `config.request` add the profile's wording to
 * the finders' and the synthesis agent's requests.
 */
export async function runFanoutStep(wf: WorkflowApi, pipeline: DriverPipeline, step: DriverStep, run: RunState): Promise<RunState> {
  const finders = stepAgents(step, "finder");
  const synthesis = stepAgent(step, "synthesis");
  if (finders.length === 0) return missingAgentStop(run, step, "finder");
  if (!synthesis) return missingAgentStop(run, step, "synthesis");
  const request = stepRequest(step, "Search with your one capability and report what you find, each finding with its title, URL and a summary.", "finderRequest");
  const calls = finders.map(() => ({ request, context: stepContext(run, step, {}) }));
  const batch = await callAgentsParallel(wf, pipeline, step, finders, run, calls);
  if (batch.run.stop) return batch.run;
  let next = batch.run;
  const findings: { finder: string; findings: unknown; notes: unknown }[] = [];
  batch.outputs.forEach((output, index) => {
    const name = finders[index].name;
    if (output === null) {
      wf.log("Finder " + name + " returned nothing; continuing without it");
      next = runWithEvent(next, step, "skip", "finder `" + name + "` returned nothing");
    } else {
      findings.push({ finder: name, findings: output.findings, notes: output.notes });
    }
  });
  if (findings.length === 0) {
    return runWithStop(next, step, "agent-failed", "all " + finders.length + " finders returned nothing: " + finders.map((finder) => finder.name).join(", "));
  }
  const synthesisRequest = stepRequest(
    step,
    "Synthesize the finders' findings into one result (the recipe): every value with its source. If there is critic feedback, fix every issue it lists.",
  );
  const called = await callAgent(wf, pipeline, step, synthesis, next, { request: synthesisRequest, context: stepContext(next, step, { findings }) });
  if (!called.output) return called.run;
  return runWithOutput(called.run, step, called.output);
}

/** The kinds of work `sizeTimeout` knows. */
export const WORK_KINDS = ["training", "inference", "data", "eval"];

/** A valid work kind, else training (the strictest timeout rules). */
export function workKindOf(value: unknown): WorkKind {
  return typeof value === "string" && WORK_KINDS.includes(value) ? (value as WorkKind) : "training";
}

/**
 * Resource verification: every checker in parallel; an unverified resource
 * (null checker) stops with `agent-failed`, a missing one with
 * `resource-missing` (never substituted). Then the first model with a
 * parameter count sizes the hardware and timeout (`no-hardware-fits`).
 */
export async function runResourcesStep(wf: WorkflowApi, pipeline: DriverPipeline, step: DriverStep, run: RunState): Promise<RunState> {
  const checkers = stepAgents(step, "checker");
  if (checkers.length === 0) return missingAgentStop(run, step, "checker");
  const request = stepRequest(
    step,
    "Check that every resource you are responsible for exists as named, and report its facts (for a model, its parameter count in billions). Never substitute another resource.",
  );
  const calls = checkers.map(() => ({ request, context: stepContext(run, step, {}) }));
  const batch = await callAgentsParallel(wf, pipeline, step, checkers, run, calls);
  if (batch.run.stop) return batch.run;
  const failed = checkers.filter((_, index) => batch.outputs[index] === null).map((checker) => checker.name);
  if (failed.length > 0) {
    return runWithStop(batch.run, step, "agent-failed", "could not verify resources: checker " + failed.join(", ") + " returned nothing");
  }
  const resources = batch.outputs as AgentOutput[];
  const missing = resources.filter((resource) => resource.exists !== true);
  if (missing.length > 0) {
    const names = missing.map((resource) => "`" + String(resource.resource) + "` (" + String(resource.kind) + (nonEmptyText(resource.notes) ? ": " + resource.notes : "") + ")");
    const detail = "not found: " + names.join(", ") + ". Nothing is substituted; fix the task or the resource and rerun";
    return runWithStop(runWithOutput(batch.run, step, { resources, sizing: null }), step, "resource-missing", detail, { missing });
  }
  const model = resources.find((resource) => resource.kind === "model" && positiveNumber(resource.params_b) !== null);
  if (!model) {
    const next = runWithEvent(batch.run, step, "sizing", "no verified model with a parameter count: hardware not sized here");
    return runWithOutput(next, step, { resources, sizing: null });
  }
  const paramsB = model.params_b as number;
  const config = step.config ?? {};
  const hardware = sizeHardware({
    paramsB,
    bytesPerParam: positiveNumber(config.bytesPerParam) ?? undefined,
    overhead: positiveNumber(config.overhead) ?? undefined,
    perGpu: config.perGpu === true,
  });
  // The kind of work follows the task's class when the step maps classes to work kinds.
  const byClass = plainObject(config.workByClass);
  const work = run.taskClass !== null && Object.hasOwn(byClass, run.taskClass) ? byClass[run.taskClass] : config.work;
  const timeout = sizeTimeout({ paramsB, work: workKindOf(work) });
  if (hardware.flavor === null) {
    return runWithStop(runWithOutput(batch.run, step, { resources, sizing: null }), step, "no-hardware-fits", hardware.reason);
  }
  const sizing = { flavor: hardware.flavor, timeoutHours: timeout.timeoutHours, basis: timeout.basis + "; " + hardware.reason, footprintGb: hardware.footprintGb };
  const next = runWithEvent({ ...batch.run, sizing }, step, "sizing", sizing.flavor + " for " + sizing.timeoutHours + "h: " + sizing.basis);
  return runWithOutput(next, step, { resources, sizing });
}
