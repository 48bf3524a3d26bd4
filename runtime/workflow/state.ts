// Run state of the workflow driver: starting a run from the invocation args,
// small immutable updates, and the workflow's return value.
import { hashString, stableStringify } from "../core/hash.js";
import { createLedger, LEDGER_MAX_USD, ledgerCommitted, protoFreeRecord } from "../core/ledger.js";
import { canonicalProtectedKey, freezeBaseline, type ProtectedKeyTable, type UserScopeApproval } from "../core/scope.js";
import type { DriverPipeline, DriverStep, RunArgs, RunResult, RunState } from "./types.js";

/** The run modes; autonomous is the default. */
export const RUN_MODES = ["autonomous", "interactive"];

/**
 * Cost-cap phrases read from a string task. The amount needs a currency:
 * `cost cap is 10 USD`, `cost cap: $10`, `budget 10 USD`, `budget of $2.50`,
 * `budget: 10 dollars`, or a key that names it (`cost_cap_usd=10`). A
 * number without one (`token budget of 4096`) sets no cap. Group 1, 2 or 3
 * holds the amount.
 */
export const COST_CAP_PATTERN =
  "\\b(?:cost[\\s_-]*cap[\\s_-]*usd\\b\\s*(?:is\\s+|of\\s+|=\\s*|:\\s*)?(?:usd\\s*|\\$\\s*)?(\\d+(?:\\.\\d+)?)|(?:cost[\\s_-]*cap|budget)\\b\\s*(?:is\\s+|of\\s+|=\\s*|:\\s*)?(?:(?:usd\\s*|\\$\\s*)(\\d+(?:\\.\\d+)?)|(\\d+(?:\\.\\d+)?)\\s*(?:usd\\b|dollars?\\b|\\$)))";

/** The `approve` value that approves every spend that fits under the cost cap. */
export const APPROVE_ALL_UNDER_CAP = "all-under-cap";

/** Invocation args the driver reads itself; never frozen as the user's baseline. */
export const RUN_CONTROL_ARGS = ["cost_cap_usd", "costCapUsd", "mode", "approve", "approvedScopeChanges", "runId"];

/** A `runId` given as a name rather than a counter: letters, digits, `.`, `_`, `-`, at most 64. */
export const RUN_ID_NAME_PATTERN = "^[A-Za-z0-9._-]{1,64}$";

/**
 * Start a run. `args` is what the workflow was invoked with: undefined, a
 * string, or an object with `task`, `costCapUsd`/`cost_cap_usd`, `mode`
 * (`autonomous` | `interactive`), `approve` (step ids whose approval gate or
 * spend the user approves: a list, a comma-separated string, or
 * `all-under-cap`), `approvedScopeChanges` (`{key: value}`, the user's
 * sign-off on a protected change; `true` approves any value), `runId` (a
 * run counter or short name that makes the run id distinct) and the
 * pipeline's declared params. A string that parses as a JSON object is that
 * object; any other string is the task (optionally naming a cost cap in a
 * currency); when the pipeline has exactly one required param besides `task`
 * and `cost_cap_usd`, the string fills it too. The run gets a deterministic
 * `runId` (see `runIdOf`). Declared params get their
 * defaults; a missing required one stops the run with `missing-argument`, a
 * bad value, cap or approval with `invalid-argument`. The params the user
 * passed are frozen as the scope baseline, each protected by its own name.
 */
export function startRun(pipeline: DriverPipeline, userArgs?: unknown): RunState {
  const fresh: RunState = {
    runId: runIdOf(pipeline && typeof pipeline.name === "string" ? pipeline.name : "", stableStringify(userArgs), 0),
    args: { task: "" },
    mode: "autonomous",
    costCapUsd: null,
    baseline: null,
    ledger: createLedger(0),
    outputs: {},
    feedback: {},
    attempts: {},
    ladder: { rung: 0, attempts: 0 },
    overrides: {},
    workConfig: {},
    taskClass: null,
    notes: [],
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
  const raw = runRawArgs(pipeline, userArgs);
  if (raw === null) {
    return runWithStop(fresh, null, "invalid-argument", "args must be a string (the task) or an object, got " + typeof userArgs);
  }
  const runArgs: RunArgs = protoFreeRecord<unknown>({ task: typeof raw.task === "string" ? raw.task.trim() : "" }) as RunArgs;
  const passed: { [name: string]: unknown } = protoFreeRecord<unknown>();
  const missing: string[] = [];
  for (const param of pipeline.params) {
    if (param.name === "approve" || param.name === "mode" || param.name === "approvedScopeChanges" || param.name === "runId") continue;
    const value = runParamValue(param, raw[param.name]);
    if (value.problem === "missing") {
      missing.push(param.name);
      continue;
    }
    if (value.problem === "invalid") {
      return runWithStop({ ...fresh, args: runArgs }, null, "invalid-argument", "parameter `" + param.name + "` must be a " + param.type + ", got " + JSON.stringify(raw[param.name]));
    }
    runArgs[param.name] = value.value;
    if (value.passed && !RUN_CONTROL_ARGS.includes(param.name)) passed[param.name] = value.value;
  }
  if (missing.length > 0) {
    const about = missing.map((name) => {
      const param = pipeline.params.find((entry) => entry.name === name);
      return "`" + name + "`" + (param && param.description ? " (" + param.description + ")" : "");
    });
    const detail = "missing required parameter" + (missing.length > 1 ? "s " : " ") + about.join(", ");
    return runWithStop({ ...fresh, args: runArgs }, null, "missing-argument", detail);
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
    runArgs.approvedScopeChanges = protoFreeRecord(JSON.parse(JSON.stringify(approved)));
  }
  if (raw.approve !== undefined && raw.approve !== null) {
    const approve = runApproveList(pipeline, raw.approve);
    if (approve.problem !== null) return runWithStop({ ...fresh, args: runArgs, mode }, null, "invalid-argument", approve.problem);
    runArgs.approve = approve.list;
  }
  const cap = runCostCap(pipeline, raw);
  if (cap.invalid) {
    return runWithStop({ ...fresh, args: runArgs, mode }, null, "invalid-argument", "the cost cap must be a positive number of USD, at most " + LEDGER_MAX_USD);
  }
  const counter = runIdCounter(raw.runId);
  if (counter === null) {
    return runWithStop({ ...fresh, args: runArgs, mode }, null, "invalid-argument", "runId must be a non-negative integer (a run counter) or a name of at most 64 letters, digits, `.`, `_` or `-`, got " + JSON.stringify(raw.runId));
  }
  if (pipeline.params.some((param) => param.name === "cost_cap_usd")) runArgs.cost_cap_usd = cap.cap;
  const keys = runParamKeys(pipeline, Object.keys(passed));
  const baseline = { ...freezeBaseline(passed, keys, { stripPrefixes: pipeline.scopeStripPrefixes }) };
  const runId = runIdOf(pipeline.name, runIdArgsText(runArgs), counter);
  const started: RunState = { ...fresh, runId, args: runArgs, mode, costCapUsd: cap.cap, baseline, ledger: createLedger(cap.cap ?? 0) };
  const capText = cap.cap === null ? " with no cost cap" : " with a cost cap of $" + cap.cap;
  return runWithEvent(started, null, "start", mode + " run of " + pipeline.name + capText);
}

/**
 * The run id: the pipeline name as a slug (at most 40 characters), a dash,
 * and the 14-hex hash of the pipeline name, `argsText` and `counter`. The
 * same task and params under the same counter always give the same id (no
 * clock or randomness exists in a workflow script), so a rerun keeps its
 * ledger; a user who wants a fresh one passes another `runId`.
 */
export function runIdOf(pipelineName: string, argsText: string, counter: number | string): string {
  const name = typeof pipelineName === "string" ? pipelineName : "";
  const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 40).replace(/-+$/, "") || "run";
  return slug + "-" + hashString(stableStringify({ workflow: name, args: argsText, counter }));
}

/** The args that identify a run: the task and the params, without the control args. */
function runIdArgsText(given: RunArgs): string {
  const kept: { [name: string]: unknown } = protoFreeRecord<unknown>();
  for (const name of Object.keys(given)) if (!RUN_CONTROL_ARGS.includes(name)) kept[name] = given[name];
  return stableStringify(kept);
}

/** The user's `runId`: 0 when absent, a non-negative integer, or a short name; null when unusable. */
function runIdCounter(value: unknown): number | string | null {
  if (value === undefined || value === null) return 0;
  if (typeof value === "number") return Number.isSafeInteger(value) && value >= 0 ? value : null;
  if (typeof value !== "string") return null;
  const text = value.trim();
  if (/^\d{1,15}$/.test(text)) return Number(text);
  return new RegExp(RUN_ID_NAME_PATTERN).test(text) ? text : null;
}

/**
 * The pipeline's protected-key table (`{}` when it has none; a plain list of
 * names protects each name by itself).
 */
export function pipelineProtectedKeys(pipeline: DriverPipeline): ProtectedKeyTable {
  const keys: unknown = pipeline ? pipeline.protectedKeys : undefined;
  const table: ProtectedKeyTable = protoFreeRecord<string[]>();
  if (Array.isArray(keys)) {
    for (const name of keys) if (typeof name === "string" && name !== "") table[name] = [name];
    return table;
  }
  if (keys === null || typeof keys !== "object") return table;
  for (const [name, aliases] of Object.entries(keys as { [key: string]: unknown })) {
    if (name === "") continue;
    table[name] = Array.isArray(aliases) ? aliases.filter((alias): alias is string => typeof alias === "string") : [name];
  }
  return table;
}

/** The pipeline's key table plus each named param the table does not cover, protected by its own name. */
export function runParamKeys(pipeline: DriverPipeline, names: string[]): ProtectedKeyTable {
  const table = pipelineProtectedKeys(pipeline);
  for (const name of names) if (canonicalProtectedKey(name, table) === null) table[name] = [name];
  return table;
}

/** The required params a string argument fills: every required one but `task` and the control args. */
function runFillableParams(pipeline: DriverPipeline): string[] {
  return pipeline.params.filter((param) => param.required && param.name !== "task" && !RUN_CONTROL_ARGS.includes(param.name)).map((param) => param.name);
}

/**
 * Normalize the invocation args to a prototype-free object, or null when
 * they are neither a string nor an object. A string that parses as a JSON
 * object is read as that object.
 */
function runRawArgs(pipeline: DriverPipeline, userArgs: unknown): { [key: string]: unknown } | null {
  if (userArgs === undefined || userArgs === null) return protoFreeRecord<unknown>();
  const parsed = runJsonObject(userArgs);
  if (parsed !== null) return runRawArgs(pipeline, parsed);
  if (typeof userArgs === "string") {
    const raw: { [key: string]: unknown } = protoFreeRecord<unknown>({ task: userArgs });
    const fillable = runFillableParams(pipeline);
    if (fillable.length === 1) raw[fillable[0]] = userArgs;
    const cap = runCapFromText(userArgs);
    if (cap !== null) raw.cost_cap_usd = cap;
    return raw;
  }
  if (typeof userArgs !== "object" || Array.isArray(userArgs)) return null;
  const raw: { [key: string]: unknown } = protoFreeRecord(userArgs as { [key: string]: unknown });
  if (raw.costCapUsd !== undefined && raw.costCapUsd !== null) raw.cost_cap_usd = raw.costCapUsd;
  if ((raw.cost_cap_usd === undefined || raw.cost_cap_usd === null) && typeof raw.task === "string") {
    const cap = runCapFromText(raw.task);
    if (cap !== null) raw.cost_cap_usd = cap;
  }
  return raw;
}

/** A string holding a JSON object, parsed (only a plain object counts); anything else is null. */
function runJsonObject(value: unknown): { [key: string]: unknown } | null {
  if (typeof value !== "string") return null;
  const text = value.trim();
  if (!text.startsWith("{") || !text.endsWith("}")) return null;
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed !== null && typeof parsed === "object" && !Array.isArray(parsed) ? (parsed as { [key: string]: unknown }) : null;
  } catch {
    return null;
  }
}

/** The `approve` arg as a list of step ids (or `all-under-cap`), or why it is unusable. */
function runApproveList(pipeline: DriverPipeline, value: unknown): { list: string[]; problem: string | null } {
  const usage = "approve must be a list of step ids, a comma-separated string of them, or \"" + APPROVE_ALL_UNDER_CAP + "\"";
  let items: unknown[];
  if (typeof value === "string") items = value.split(",");
  else if (Array.isArray(value)) items = value;
  else return { list: [], problem: usage + ", got " + JSON.stringify(value) };
  if (!items.every((item) => typeof item === "string")) return { list: [], problem: usage + ", got " + JSON.stringify(value) };
  const list = (items as string[]).map((item) => item.trim()).filter((item) => item !== "");
  const ids = pipeline.steps.map((entry) => entry.id);
  const unknown = list.filter((item) => item !== APPROVE_ALL_UNDER_CAP && !ids.includes(item));
  if (unknown.length > 0) return { list: [], problem: "approve names no step " + unknown.map((item) => "`" + item + "`").join(", ") + "; the steps are " + ids.join(", ") };
  return { list, problem: null };
}

/** A cost cap named in free text with a currency (`$`, `USD`, `dollars`, or the `cost_cap_usd` key), or null. */
export function runCapFromText(text: string): number | null {
  if (typeof text !== "string") return null;
  const match = new RegExp(COST_CAP_PATTERN, "i").exec(text);
  if (!match) return null;
  const amount = Number(match[1] ?? match[2] ?? match[3]);
  return Number.isFinite(amount) ? amount : null;
}

/** The value of one declared param, coerced to its type, or why there is none. */
function runParamValue(
  param: { name: string; type: string; required: boolean; default: unknown },
  value: unknown,
): { value: unknown; problem: "missing" | "invalid" | null; passed: boolean } {
  const absent = value === undefined || value === null || (typeof value === "string" && value.trim() === "");
  if (absent) {
    if (param.required) return { value: null, problem: "missing", passed: false };
    return { value: param.default === undefined ? null : param.default, problem: null, passed: false };
  }
  const coerced = runCoerce(param.type, value);
  return coerced === undefined ? { value: null, problem: "invalid", passed: false } : { value: coerced, problem: null, passed: true };
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

/**
 * The cost cap: the user's, else the `cost_cap_usd` param default, else the
 * contract's. `cap` is null when none of them sets one; `invalid` when the
 * one that applies is not a positive number.
 */
function runCostCap(pipeline: DriverPipeline, raw: { [key: string]: unknown }): { cap: number | null; invalid: boolean } {
  const param = pipeline.params.find((entry) => entry.name === "cost_cap_usd");
  let value: unknown = raw.cost_cap_usd;
  if (value === undefined || value === null || value === "") value = param && param.default !== null && param.default !== undefined ? param.default : pipeline.contract.costCapUsd;
  if (value === undefined || value === null) return { cap: null, invalid: false };
  const cap = typeof value === "number" ? value : typeof value === "string" ? runNumberFromText(value) : NaN;
  return Number.isFinite(cap) && cap > 0 && cap <= LEDGER_MAX_USD ? { cap, invalid: false } : { cap: null, invalid: true };
}

/** The step ids the user approved in the args (may hold `all-under-cap`). */
export function runApprovals(run: RunState): string[] {
  const approve = run.args.approve;
  return Array.isArray(approve) ? approve.filter((item): item is string => typeof item === "string") : [];
}

/** The exact argument that approves `stepId` on a rerun, as a sentence for a stop detail. */
export function approveArgument(stepId: string): string {
  return "Rerun with the argument {\"approve\": [" + JSON.stringify(stepId) + "]}";
}

/** The scope approval the user gave in the args (never built from agent output), or null. */
export function runUserApproval(run: RunState): UserScopeApproval | null {
  const approved = run.args.approvedScopeChanges;
  if (!approved || typeof approved !== "object" || Array.isArray(approved)) return null;
  const entries = Object.entries(approved as { [key: string]: unknown });
  if (entries.length === 0) return null;
  const values: { [key: string]: unknown } = protoFreeRecord<unknown>();
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
 * (`completed` on the happy end, also when a task branch ends early;
 * `answered` when the intake answered the task itself, both with status
 * `completed`), the stopping step, spend against the cap (null when there is
 * none), every step's output, the artifacts, the review notes and the trace.
 */
export function finishRun(pipeline: DriverPipeline, run: RunState): RunResult {
  const stop = run.stop;
  const ledger = run.ledger;
  const ended = stop !== null && (stop.stoppedReason === "completed" || stop.stoppedReason === "answered");
  return {
    runId: typeof run.runId === "string" ? run.runId : "",
    status: stop && !ended ? "stopped" : "completed",
    stoppedReason: stop ? stop.stoppedReason : "completed",
    step: stop ? stop.step : null,
    detail: stop ? stop.detail : "every step completed",
    data: stop && stop.data !== undefined ? stop.data : null,
    workflow: pipeline && typeof pipeline.name === "string" ? pipeline.name : "",
    iterations: run.iterations,
    taskClass: run.taskClass ?? null,
    notes: Array.isArray(run.notes) ? run.notes : [],
    spend: {
      capUsd: run.costCapUsd === null || run.costCapUsd === undefined ? null : ledger.capUsd,
      committedUsd: ledgerCommitted(ledger),
      reserved: { ...ledger.reserved },
      settled: { ...ledger.settled },
    },
    outputs: run.outputs,
    artifacts: run.artifacts,
    events: run.events,
  };
}
