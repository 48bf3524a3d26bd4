// Run state of the workflow driver: starting a run from the invocation args,
// small immutable updates, and the workflow's return value.
import { createLedger, ledgerCommitted } from "../core/ledger.js";
import type { UserScopeApproval } from "../core/scope.js";
import type { DriverPipeline, DriverStep, RunArgs, RunResult, RunState } from "./types.js";

/** Every `stoppedReason` a run can end with; `completed` is the happy end. */
export const STOP_REASONS = [
  "completed",
  "missing-argument",
  "invalid-argument",
  "invalid-pipeline",
  "iteration-budget-exhausted",
  "agent-failed",
  "needs-clarification",
  "step-blocked",
  "scope-change-requires-approval",
  "critic-rejected",
  "resource-missing",
  "no-hardware-fits",
  "smoke-test-failed",
  "repetition-detected",
  "needs-approval",
  "cost-cap-reached",
  "oom-ladder-exhausted",
  "preflight-failed",
  "checklist-incomplete",
  "submit-invariant-violated",
  "monitoring-budget-exhausted",
  "retries-exhausted",
  "alert-unresolved",
  "completion-criteria-unmet",
];

/** The run modes; autonomous is the default. */
export const RUN_MODES = ["autonomous", "interactive"];

/**
 * Cost-cap phrases read from a string task: `cost cap is 10 USD`,
 * `cost cap: $10`, `budget 10 USD`, `cost_cap_usd=10`, `budget of $2.50`.
 */
export const COST_CAP_PATTERN =
  "\\b(?:cost[\\s_-]*cap(?:[\\s_-]*usd)?|budget)\\b\\s*(?:is\\s+|of\\s+|=\\s*|:\\s*)?(?:usd\\s*)?\\$?\\s*(\\d+(?:\\.\\d+)?)";

/**
 * Start a run. `args` is what the workflow was invoked with: undefined, a
 * string (the task, optionally naming a cost cap), or an object with `task`,
 * `costCapUsd`/`cost_cap_usd`, `mode` (`autonomous` | `interactive`),
 * `approvedScopeChanges` (`{key: value}`, the user's sign-off on a protected
 * change; `true` approves any value) and the pipeline's declared params.
 * Declared params get their defaults; a missing required one stops the run
 * with `missing-argument`, a bad value or cap with `invalid-argument`.
 */
export function startRun(pipeline: DriverPipeline, userArgs?: unknown): RunState {
  const contractCap = pipeline && pipeline.contract ? pipeline.contract.costCapUsd : undefined;
  const fresh: RunState = {
    args: { task: "" },
    mode: "autonomous",
    costCapUsd: 0,
    baseline: null,
    ledger: createLedger(0),
    outputs: {},
    feedback: {},
    attempts: {},
    oom: { rung: 0, attempts: 0 },
    overrides: {},
    trainingConfig: {},
    signatures: [],
    iterations: 0,
    sizing: null,
    jobPlan: null,
    artifacts: [],
    stop: null,
    events: [],
  };
  if (!pipeline || !Array.isArray(pipeline.steps) || !Array.isArray(pipeline.params) || !pipeline.contract) {
    return runWithStop(fresh, null, "invalid-pipeline", "the pipeline has no steps, params or contract");
  }
  const raw = runRawArgs(userArgs);
  if (raw === null) {
    return runWithStop(fresh, null, "invalid-argument", "args must be a string (the task) or an object, got " + typeof userArgs);
  }
  const runArgs: RunArgs = { task: typeof raw.task === "string" ? raw.task.trim() : "" };
  for (const param of pipeline.params) {
    const value = runParamValue(param, raw[param.name]);
    if (value.problem === "missing") {
      const about = param.description ? ": " + param.description : "";
      return runWithStop({ ...fresh, args: runArgs }, null, "missing-argument", "missing required parameter `" + param.name + "`" + about);
    }
    if (value.problem === "invalid") {
      return runWithStop({ ...fresh, args: runArgs }, null, "invalid-argument", "parameter `" + param.name + "` must be a " + param.type + ", got " + JSON.stringify(raw[param.name]));
    }
    runArgs[param.name] = value.value;
  }
  const mode = raw.mode === undefined || raw.mode === null ? "autonomous" : raw.mode;
  if (mode !== "autonomous" && mode !== "interactive") {
    return runWithStop({ ...fresh, args: runArgs }, null, "invalid-argument", "mode must be `autonomous` or `interactive`, got " + JSON.stringify(raw.mode));
  }
  const approved = raw.approvedScopeChanges;
  if (approved !== undefined && approved !== null) {
    if (typeof approved !== "object" || Array.isArray(approved)) {
      return runWithStop({ ...fresh, args: runArgs, mode }, null, "invalid-argument", "approvedScopeChanges must be an object of key: approved value");
    }
    runArgs.approvedScopeChanges = JSON.parse(JSON.stringify(approved));
  }
  const cap = runCostCap(pipeline, raw, contractCap);
  if (cap === null) {
    return runWithStop({ ...fresh, args: runArgs, mode }, null, "invalid-argument", "the cost cap must be a positive number of USD");
  }
  if (pipeline.params.some((param) => param.name === "cost_cap_usd")) runArgs.cost_cap_usd = cap;
  const started: RunState = { ...fresh, args: runArgs, mode, costCapUsd: cap, ledger: createLedger(cap) };
  return runWithEvent(started, null, "start", mode + " run of " + pipeline.name + " with a cost cap of $" + cap);
}

/** Normalize the invocation args to an object, or null when they are neither a string nor an object. */
function runRawArgs(userArgs: unknown): { [key: string]: unknown } | null {
  if (userArgs === undefined || userArgs === null) return {};
  if (typeof userArgs === "string") {
    const raw: { [key: string]: unknown } = { task: userArgs };
    const cap = runCapFromText(userArgs);
    if (cap !== null) raw.cost_cap_usd = cap;
    return raw;
  }
  if (typeof userArgs !== "object" || Array.isArray(userArgs)) return null;
  const raw: { [key: string]: unknown } = { ...(userArgs as { [key: string]: unknown }) };
  if (raw.costCapUsd !== undefined && raw.costCapUsd !== null) raw.cost_cap_usd = raw.costCapUsd;
  if ((raw.cost_cap_usd === undefined || raw.cost_cap_usd === null) && typeof raw.task === "string") {
    const cap = runCapFromText(raw.task);
    if (cap !== null) raw.cost_cap_usd = cap;
  }
  return raw;
}

/** A cost cap named in free text, or null. */
export function runCapFromText(text: string): number | null {
  const match = new RegExp(COST_CAP_PATTERN, "i").exec(text);
  return match ? Number(match[1]) : null;
}

/** The value of one declared param, coerced to its type, or why there is none. */
function runParamValue(
  param: { name: string; type: string; required: boolean; default: unknown },
  value: unknown,
): { value: unknown; problem: "missing" | "invalid" | null } {
  const absent = value === undefined || value === null || (typeof value === "string" && value.trim() === "");
  if (absent) {
    if (param.required) return { value: null, problem: "missing" };
    return { value: param.default === undefined ? null : param.default, problem: null };
  }
  const coerced = runCoerce(param.type, value);
  return coerced === undefined ? { value: null, problem: "invalid" } : { value: coerced, problem: null };
}

/** Coerce a value to a param type (numbers and booleans may arrive as text); undefined when it cannot be. */
function runCoerce(type: string, value: unknown): unknown {
  if (type === "string") return typeof value === "string" ? value.trim() : typeof value === "number" || typeof value === "boolean" ? String(value) : undefined;
  if (type === "number" || type === "integer") {
    const number = typeof value === "number" ? value : typeof value === "string" ? runNumberFromText(value) : NaN;
    if (!Number.isFinite(number)) return undefined;
    return type === "integer" && !Number.isInteger(number) ? undefined : number;
  }
  if (type === "boolean") {
    if (typeof value === "boolean") return value;
    const text = typeof value === "string" ? value.trim().toLowerCase() : "";
    if (["true", "yes", "on", "1"].includes(text)) return true;
    if (["false", "no", "off", "0"].includes(text)) return false;
    return undefined;
  }
  return value;
}

/** A number written as text, allowing a leading `$` and a trailing `USD`. */
function runNumberFromText(text: string): number {
  const match = /^\s*\$?\s*(-?\d+(?:\.\d+)?)\s*(?:usd)?\s*$/i.exec(text);
  return match ? Number(match[1]) : NaN;
}

/** The cost cap: the user's, else the `cost_cap_usd` param default, else the contract's; null when not a positive number. */
function runCostCap(pipeline: DriverPipeline, raw: { [key: string]: unknown }, contractCap: unknown): number | null {
  const param = pipeline.params.find((entry) => entry.name === "cost_cap_usd");
  let value: unknown = raw.cost_cap_usd;
  if (value === undefined || value === null || value === "") value = param && param.default !== null ? param.default : contractCap;
  const cap = typeof value === "number" ? value : typeof value === "string" ? runNumberFromText(value) : NaN;
  return Number.isFinite(cap) && cap > 0 ? cap : null;
}

/** The scope approval the user gave in the args (never built from agent output), or null. */
export function runUserApproval(run: RunState): UserScopeApproval | null {
  const approved = run.args.approvedScopeChanges;
  if (!approved || typeof approved !== "object" || Array.isArray(approved)) return null;
  const entries = Object.entries(approved as { [key: string]: unknown });
  if (entries.length === 0) return null;
  const values: { [key: string]: unknown } = {};
  for (const [key, value] of entries) if (value !== true && value !== "*" && value !== null) values[key] = value;
  return { approvedBy: "user", keys: entries.map(([key]) => key), values };
}

/** The run with a stop recorded (the first stop wins). */
export function runWithStop(run: RunState, step: DriverStep | null, reason: string, detail: string, data?: unknown): RunState {
  if (run.stop) return run;
  const stop = data === undefined ? { stoppedReason: reason, step: step ? step.id : null, detail } : { stoppedReason: reason, step: step ? step.id : null, detail, data };
  return { ...runWithEvent(run, step, "stop", reason + ": " + detail), stop };
}

/** The run with one trace event appended. */
export function runWithEvent(run: RunState, step: DriverStep | null, kind: string, detail: string): RunState {
  return { ...run, events: run.events.concat([{ step: step ? step.id : null, kind, detail }]) };
}

/** The run with a step's output recorded. */
export function runWithOutput(run: RunState, step: DriverStep, output: unknown): RunState {
  return { ...run, outputs: { ...run.outputs, [step.id]: output } };
}

/**
 * The workflow's return value: status, the machine-readable `stoppedReason`
 * (`completed` on the happy end), the stopping step, spend against the cap,
 * every step's output, the artifacts and the trace.
 */
export function finishRun(pipeline: DriverPipeline, run: RunState): RunResult {
  const stop = run.stop;
  const ledger = run.ledger;
  return {
    status: stop ? "stopped" : "completed",
    stoppedReason: stop ? stop.stoppedReason : "completed",
    step: stop ? stop.step : null,
    detail: stop ? stop.detail : "every step completed",
    data: stop && stop.data !== undefined ? stop.data : null,
    workflow: pipeline && typeof pipeline.name === "string" ? pipeline.name : "",
    iterations: run.iterations,
    spend: { capUsd: ledger.capUsd, committedUsd: ledgerCommitted(ledger), reserved: { ...ledger.reserved }, settled: { ...ledger.settled } },
    outputs: run.outputs,
    artifacts: run.artifacts,
    events: run.events,
  };
}
