// Steps before any code runs: intake, plain agent work, research fan-out and
// resource verification with hardware sizing.
import { freezeBaseline } from "../core/scope.js";
import { sizeHardware, sizeTimeout, type WorkKind } from "../core/sizing.js";
import { callAgent, callAgentsParallel, stepContext } from "./agents.js";
import { checkStepScope, nonEmptyText, plainObject, positiveNumber } from "./guards.js";
import { stepAgent, stepAgents } from "./schemas.js";
import { runWithEvent, runWithOutput, runWithStop } from "./state.js";
import type { AgentOutput, DriverPipeline, DriverStep, RunState, WorkflowApi } from "./types.js";

/** The kinds of work `sizeTimeout` knows. */
export const WORK_KINDS = ["training", "inference", "data", "eval"];

/** A valid work kind, else training (the strictest timeout rules). */
export function workKindOf(value: unknown): WorkKind {
  return typeof value === "string" && WORK_KINDS.includes(value) ? (value as WorkKind) : "training";
}

/** Stop for a step the compiler built without the agents its kind needs. */
export function missingAgentStop(run: RunState, step: DriverStep, slot: string): RunState {
  return runWithStop(run, step, "invalid-pipeline", "the " + step.kind + " step `" + step.id + "` has no " + slot + " agent");
}

/** What the user typed that names protected values (everything but the task text and the approvals). */
function intakeUserIntent(run: RunState): { [key: string]: unknown } {
  const intent: { [key: string]: unknown } = {};
  for (const [name, value] of Object.entries(run.args)) {
    if (name !== "task" && name !== "approvedScopeChanges") intent[name] = value;
  }
  return intent;
}

/**
 * Intake: the worker restates the task and records the user's baseline,
 * which is frozen for the scope guard (values the user passed as args win).
 * `needs_clarification` stops with `needs-clarification` and the question.
 */
export async function runIntakeStep(wf: WorkflowApi, pipeline: DriverPipeline, step: DriverStep, run: RunState): Promise<RunState> {
  const worker = stepAgent(step, "worker");
  if (!worker) return missingAgentStop(run, step, "worker");
  const request =
    "Take the task in: summarize it, classify its type, record the user's baseline exactly as they stated it " +
    "(method, model, dataset, sequence_length; null where they said nothing) and plan the run. " +
    "If the task is too ambiguous to start, set needs_clarification and ask one question.";
  const called = await callAgent(wf, pipeline, step, worker, run, { request, context: stepContext(run, step, {}) });
  if (!called.output) return called.run;
  const output = called.output;
  const baseline = freezeBaseline([intakeUserIntent(called.run), plainObject(output.baseline)]);
  const next = runWithOutput({ ...called.run, baseline: { ...baseline } }, step, output);
  if (output.needs_clarification === true) {
    return runWithStop(next, step, "needs-clarification", nonEmptyText(output.question) ?? "the task is ambiguous; restate it with more detail");
  }
  return runWithEvent(next, step, "baseline", "frozen baseline " + JSON.stringify(baseline));
}

/**
 * A plain agent step: `blocked` stops with `step-blocked`; proposed changes
 * pass the scope guard (`scope-change-requires-approval`).
 */
export async function runAgentStep(wf: WorkflowApi, pipeline: DriverPipeline, step: DriverStep, run: RunState): Promise<RunState> {
  const worker = stepAgent(step, "worker");
  if (!worker) return missingAgentStop(run, step, "worker");
  const request =
    "Carry out this step as your instructions describe. Report status (done, or blocked when you cannot proceed), " +
    "a summary, your outputs, the evidence, and in proposed_changes any change you want to the task's configuration.";
  const called = await callAgent(wf, pipeline, step, worker, run, { request, context: stepContext(run, step, {}) });
  if (!called.output) return called.run;
  const output = called.output;
  if (output.status !== "done") {
    return runWithStop(runWithOutput(called.run, step, output), step, "step-blocked", nonEmptyText(output.summary) ?? "the agent reported the step blocked");
  }
  const scoped = checkStepScope(called.run, step, output.proposed_changes, "the agent `" + worker.name + "`");
  if (scoped.stop) return scoped;
  return runWithOutput(scoped, step, output);
}

/**
 * Fan-out research: every finder in parallel (a failed one is logged and
 * skipped; all failed stops with `agent-failed`), then the synthesis agent
 * combines the findings, with any critic feedback on this step.
 */
export async function runFanoutStep(wf: WorkflowApi, pipeline: DriverPipeline, step: DriverStep, run: RunState): Promise<RunState> {
  const finders = stepAgents(step, "finder");
  const synthesis = stepAgent(step, "synthesis");
  if (finders.length === 0) return missingAgentStop(run, step, "finder");
  if (!synthesis) return missingAgentStop(run, step, "synthesis");
  const request = "Search with your one capability and report what you find, each finding with its title, URL and a summary.";
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
  const synthesisRequest =
    "Synthesize the finders' findings into one recipe (data, method, hyperparameters, evaluation), every value with its source. " +
    "If there is critic feedback, fix every issue it lists.";
  const called = await callAgent(wf, pipeline, step, synthesis, next, { request: synthesisRequest, context: stepContext(next, step, { findings }) });
  if (!called.output) return called.run;
  return runWithOutput(called.run, step, called.output);
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
  const request = "Check that every resource you are responsible for exists as named, and report its facts (for a model, its parameter count in billions). Never substitute another resource.";
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
  const timeout = sizeTimeout({ paramsB, work: workKindOf(config.work) });
  if (hardware.flavor === null) {
    return runWithStop(runWithOutput(batch.run, step, { resources, sizing: null }), step, "no-hardware-fits", hardware.reason);
  }
  const sizing = { flavor: hardware.flavor, timeoutHours: timeout.timeoutHours, basis: timeout.basis + "; " + hardware.reason, footprintGb: hardware.footprintGb };
  const next = runWithEvent({ ...batch.run, sizing }, step, "sizing", sizing.flavor + " for " + sizing.timeoutHours + "h: " + sizing.basis);
  return runWithOutput(next, step, { resources, sizing });
}
