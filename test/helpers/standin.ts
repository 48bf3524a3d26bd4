import type { Pipeline, Step } from "../../compiler/pipeline.js";
import { preflightReport, submitterReport } from "../../runtime/proof/answers.js";
import { PROMPT_CONTEXT_MARKER, finishRun, runStep, startRun, stepSlots, type DriverPipeline, type RunState, type WorkflowApi } from "../../runtime/workflow/index.js";

/**
 * The machine-learning protected keys and their aliases: a test fixture (the
 * compiler takes the real table from profile data; the runtime knows none).
 */
export const ML_PROTECTED_KEYS: { [canonical: string]: string[] } = {
  method: ["method", "training_method", "approach", "peft", "use_peft", "tuning_method", "finetuning_method"],
  model: ["model", "model_name", "model_id", "base_model", "model_name_or_path", "base_model_name_or_path"],
  dataset: ["dataset", "dataset_name", "dataset_id", "train_dataset", "dataset_name_or_path"],
  sequence_length: [
    "sequence_length", "max_seq_length", "max_length", "max_seq_len", "seq_len", "seq_length",
    "max_source_length", "block_size", "context_length", "max_sequence_length",
  ],
};

/** URL roots the machine-learning fixture strips from protected values. */
export const ML_STRIP_PREFIXES = ["https://huggingface.co/datasets/", "https://huggingface.co/"];

/** What an agent call looked like, for assertions. */
export interface AgentCall {
  prompt: string;
  agentType: string;
  phase: string;
  schema: unknown;
}

export type Answer = (call: AgentCall, info: { step: Step; role: string; slot: string; count: number }) => unknown;

const SIGNATURE = ["agent", "parallel", "pipeline", "phase", "log", "args", "budget", "workflow", "Date", "Math"];

/**
 * A small stand-in for the documented Workflow API (claude-code-formats §1.4): the script body is
 * wrapped in an async function the way the runtime wraps it, `meta` stays a plain const, and the
 * clock and randomness throw, as they do in Claude Code.
 */
export async function runWorkflow(source: string, pipeline: Pipeline, options: { args?: unknown; answer: Answer }) {
  const body = source.replace(/^export const meta = /m, "const meta = ");
  const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (...params: string[]) => (...values: unknown[]) => Promise<unknown>;
  const script = new AsyncFunction(...SIGNATURE, `"use strict";\n${body}`);
  const phases: string[] = [];
  const logs: string[] = [];
  const calls: AgentCall[] = [];
  const counts = new Map<string, number>();
  const owners = new Map<string, { step: Step; role: string; slot: string }>();
  for (const step of pipeline.steps) {
    step.agents.forEach((agent, index) => owners.set(agent.name, { step, role: agent.role, slot: slotOf(step, agent.role, index) }));
  }
  const agent = async (prompt: string, opts: { agentType: string; phase: string; schema: unknown }) => {
    const call = { prompt, agentType: opts.agentType, phase: opts.phase, schema: opts.schema };
    calls.push(call);
    const owner = owners.get(opts.agentType);
    if (!owner) throw new Error(`unknown agentType ${opts.agentType}`);
    const count = (counts.get(opts.agentType) ?? 0) + 1;
    counts.set(opts.agentType, count);
    return options.answer(call, { ...owner, count });
  };
  const parallel = async (thunks: (() => Promise<unknown>)[]) => Promise.all(thunks.map((thunk) => thunk().catch(() => null)));
  const forbidden = (name: string) => () => {
    throw new Error(`${name} is not available in workflow scripts`);
  };
  const FakeDate = new Proxy(Date, { construct: (target, argsList) => (argsList.length === 0 ? forbidden("new Date()")() : new target(...(argsList as []))), get: (target, key) => (key === "now" ? forbidden("Date.now()") : Reflect.get(target, key)) });
  const FakeMath = new Proxy(Math, { get: (target, key) => (key === "random" ? forbidden("Math.random()") : Reflect.get(target, key)) });
  const result = (await script(agent, parallel, undefined, (title: string) => phases.push(title), (message: string) => logs.push(message), options.args, undefined, undefined, FakeDate, FakeMath)) as Record<string, unknown>;
  return { result, phases, logs, calls };
}

/** The driver's slot of the `index`-th agent of a step (the runtime's `stepSlots`). */
export function slotOf(step: Pick<Step, "kind" | "agents">, _role: string, index: number): string {
  return stepSlots(step as never)[index];
}

/** A canned answer for every agent that lets the ml-research pipeline reach its happy end. */
export const happy: Answer = (_call, { step, slot }) => {
  switch (`${step.kind}/${slot}`) {
    case "intake/worker": {
      const classes = Array.isArray(step.config.classes) ? (step.config.classes as string[]) : [];
      const taskClass = classes.includes("training") ? "training" : classes.find((name) => name !== "trivial") ?? null;
      return {
        summary: "Fine-tune with LoRA",
        baseline: { method: "lora", model: "Qwen/Qwen2-0.5B", dataset: "trl-lib/Capybara", sequence_length: 2048 },
        plan: ["research", "train"],
        needs_clarification: false,
        question: "",
        task_class: taskClass,
        answer: null,
      };
    }
    case "fanout/finder":
      return { findings: [{ title: "LoRA", url: "https://arxiv.org/abs/2106.09685", summary: "low-rank adapters" }], notes: "" };
    case "fanout/synthesis":
      return { summary: "recipe", recipe: { method: "lora", learning_rate: 0.0001 }, sources: [{ title: "LoRA", url: "https://arxiv.org/abs/2106.09685" }] };
    case "critic/critic":
    case "agent/critic":
      return { verdict: "pass", issues: [], summary: "supported" };
    case "resources/checker":
      return { resource: "Qwen/Qwen2-0.5B", kind: "model", exists: true, id: "Qwen/Qwen2-0.5B", url: "https://huggingface.co/Qwen/Qwen2-0.5B", params_b: 0.5, notes: "" };
    case "agent/worker":
      return { status: "done", summary: "done", outputs: {}, evidence: ["log"] };
    case "smoke/worker":
      return { passed: true, command: "python train.py --max-steps 2", log_tail: "ok", summary: "passed" };
    case "check/worker":
      return { passed: true, command_or_method: "ran the check", evidence: "the check's output", summary: "passed" };
    case "check/fixer":
      return { analysis: "what went wrong", changes: {}, description: "the fix" };
    case "preflight/worker":
      // Reports what it was told to run (code, command, config with the required changes).
      return { ...preflightReport({ step: step as never, slot, count: 1, baseline: {}, prompt: _call.prompt }, { status: "completed", log_tail: "ok" }), job_id: "pre-1", cost_usd: 0.05 };
    case "checklist/worker":
      return { items: ((step.config.items as string[]) ?? []).map((item) => ({ item, satisfied: true, evidence: "checked" })) };
    case "readiness/worker":
      return {
        items: ((step.config.items as string[]) ?? []).map((item) => ({ item, satisfied: true, evidence: "checked" })),
        job: { code: { kind: "url", value: "https://huggingface.co/datasets/alice/scripts/resolve/main/train.py" }, timeout_hours: 4, work: "training", monitoring: { kind: "trackio", target: "alice/trackio" }, persistence: { destination: "alice/qwen2-0.5b-capybara-lora" }, flavor: "l40sx1" },
      };
    case "job/submitter":
      return { ...submitterReport({ step: step as never, slot, count: 1, baseline: {}, prompt: _call.prompt }), job_id: "job-1", url: "https://huggingface.co/jobs/alice/job-1" };
    case "job/monitor":
      return { status: "completed", alerts: [], log_tail: "training done", metrics: { eval_loss: 1.2 }, cost_usd: 1.77 };
    case "completion/critic":
      return { criteria: (step.config.criteria as { id: string }[]).map((criterion) => ({ id: criterion.id, met: true, evidence: "seen" })), verdict: "pass", summary: "all met" };
    case "loop/worker":
      return { improved: false, summary: "no better idea", continue: false, cost_usd: 0 };
    default:
      throw new Error(`no canned answer for ${step.kind}/${slot}`);
  }
};

/** `happy`, except where `override` answers (return undefined to fall through). */
export function withOverride(override: (call: AgentCall, info: Parameters<Answer>[1]) => unknown): Answer {
  return (call, info) => {
    const answer = override(call, info);
    return answer === undefined ? happy(call, info) : answer;
  };
}

// ------------------------------------------------ driving the runtime directly

/** One agent call a driver stand-in saw, with the context JSON parsed back out of the prompt. */
export interface DriverCall {
  agentType: string;
  prompt: string;
  options: { label: string; phase: string; schema: unknown; agentType: string };
  context: any;
  n: number;
}

/** A canned answer: a value, or a function of the call (arrays give successive calls' answers; the last repeats). */
export type DriverAnswer = unknown | ((call: DriverCall) => unknown);

/** A stand-in for the workflow globals of the driver: canned answers by agent type. */
export function makeWf(answers: Record<string, DriverAnswer | DriverAnswer[]>) {
  const calls: DriverCall[] = [];
  const logs: string[] = [];
  const counts: Record<string, number> = {};
  let batches = 0;
  const wf: WorkflowApi = {
    async agent(prompt, options) {
      const n = (counts[options.agentType] = (counts[options.agentType] ?? 0) + 1);
      const at = prompt.indexOf(PROMPT_CONTEXT_MARKER);
      const context = JSON.parse(prompt.slice(at + PROMPT_CONTEXT_MARKER.length));
      const call: DriverCall = { agentType: options.agentType, prompt, options, context, n };
      calls.push(call);
      const entry = answers[options.agentType];
      const answer = Array.isArray(entry) ? entry[Math.min(n - 1, entry.length - 1)] : entry;
      const value = typeof answer === "function" ? (answer as (call: DriverCall) => unknown)(call) : answer;
      return value === undefined ? null : structuredClone(value);
    },
    async parallel(thunks) {
      batches++;
      return Promise.all(thunks.map((thunk) => thunk().catch(() => null)));
    },
    log(message) {
      logs.push(message);
    },
  };
  return { wf, calls, logs, batches: () => batches, of: (type: string) => calls.filter((call) => call.agentType === type) };
}

export function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/**
 * Run a pipeline exactly as the generated script does (start, each step in
 * order until a stop, finish), with the pipeline and every run state frozen
 * (the driver must never mutate its inputs).
 */
export async function driveRun(pipeline: DriverPipeline, args: unknown, answers: Record<string, DriverAnswer | DriverAnswer[]>) {
  const stand = makeWf(answers);
  deepFreeze(pipeline);
  let run: RunState = deepFreeze(startRun(pipeline, args));
  if (!run.stop) {
    for (const current of pipeline.steps) {
      run = deepFreeze(await runStep(stand.wf, pipeline, current, run));
      if (run.stop) break;
    }
  }
  const result = finishRun(pipeline, run);
  return { ...stand, run, result };
}
