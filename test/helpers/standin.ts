import type { Pipeline, Step } from "../../compiler/pipeline.js";

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

/** The driver's slot of an agent: job agents are submitter, monitor, fixer; smoke/preflight worker, fixer. */
function slotOf(step: Step, role: string, index: number): string {
  if (step.kind === "job") return ["submitter", "monitor", "fixer"][index];
  if ((step.kind === "smoke" || step.kind === "preflight") && index === 1) return "fixer";
  return role;
}

/** A canned answer for every agent that lets the ml-research pipeline reach its happy end. */
export const happy: Answer = (_call, { step, slot }) => {
  switch (`${step.kind}/${slot}`) {
    case "intake/worker":
      return { summary: "Fine-tune with LoRA", task_type: "fine-tune", baseline: { method: "lora", model: "Qwen/Qwen2-0.5B", dataset: "trl-lib/Capybara", sequence_length: 2048 }, plan: ["research", "train"], needs_clarification: false, question: "" };
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
    case "preflight/worker":
      return { job_id: "pre-1", status: "completed", log_tail: "ok", cost_usd: 0.05, flavor: "t4-small", config: { per_device_train_batch_size: 8, gradient_accumulation_steps: 8, gradient_checkpointing: false } };
    case "checklist/worker":
      return {
        items: (step.config.items as string[]).map((item) => ({ item, satisfied: true, evidence: "checked" })),
        job: { code: { kind: "url", value: "https://huggingface.co/datasets/alice/scripts/resolve/main/train.py" }, timeout_hours: 4, work: "training", monitoring: { kind: "trackio", target: "alice/trackio" }, persistence: { destination: "alice/qwen2-0.5b-capybara-lora" }, flavor: "l40sx1" },
      };
    case "job/submitter":
      return { job_id: "job-1", status: "RUNNING", url: "https://huggingface.co/jobs/alice/job-1" };
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
