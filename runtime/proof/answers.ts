// Stand-in agent answers for proof runs: a cooperative answer for every kind and slot (so a
// run reaches the step under test), and per guard the answer an agent would give to get
// around it. Never inlined into a workflow; compile and the tests use it.
import { PROMPT_CONTEXT_MARKER } from "../workflow/agents.js";
import type { DriverStep } from "../workflow/types.js";

/** Who is answering: the step, its slot, how many times this agent was called, the run's protected values. */
export interface AnswerInfo {
  step: DriverStep;
  slot: string;
  count: number;
  baseline: { [key: string]: string };
  /** The prompt of the call (its context JSON follows `PROMPT_CONTEXT_MARKER`), when the stand-in passes it. */
  prompt?: string;
}

/** The context JSON of the call's prompt, or {} when there is none. */
export function contextOf(info: AnswerInfo): { [key: string]: any } {
  const prompt = typeof info.prompt === "string" ? info.prompt : "";
  const at = prompt.indexOf(PROMPT_CONTEXT_MARKER);
  if (at < 0) return {};
  try {
    const parsed = JSON.parse(prompt.slice(at + PROMPT_CONTEXT_MARKER.length));
    return parsed && typeof parsed === "object" ? parsed : {};
  } catch {
    return {};
  }
}

/** The config a preflight worker that follows its instructions runs with: the base config and every required change. */
function preflightConfig(info: AnswerInfo): { [key: string]: unknown } {
  const context = contextOf(info);
  return { per_device_train_batch_size: 8, gradient_accumulation_steps: 8, gradient_checkpointing: false, ...(context.requiredConfigChanges ?? {}) };
}

/** A preflight worker's report of a job that followed its instructions. */
export function preflightReport(info: AnswerInfo, outcome: { status: string; log_tail: string }): { [key: string]: unknown } {
  const context = contextOf(info);
  const config = preflightConfig(info);
  delete config.flavor;
  return {
    job_id: `pre-${info.count}`,
    ...outcome,
    cost_usd: 0.01,
    flavor: typeof context.flavor === "string" ? context.flavor : "t4-small",
    code: { kind: "url", value: "https://example.org/script.py" },
    command: "hf jobs uv run https://example.org/script.py",
    config,
  };
}

/** A submitter that submits exactly what it was told to. */
export function submitterReport(info: AnswerInfo): { [key: string]: unknown } {
  const submit = contextOf(info).submit ?? {};
  return {
    job_id: `job-${info.count}`,
    status: "running",
    url: `https://example.org/jobs/${info.count}`,
    submitted: {
      code: submit.code ?? { kind: "url", value: "https://example.org/script.py" },
      command: "hf jobs uv run https://example.org/script.py",
      flavor: submit.flavor ?? "a10g-small",
      timeout_hours: submit.timeout_hours ?? 4,
      config: submit.config ?? {},
    },
  };
}

const FAILURE_LOG = "ModuleNotFoundError: No module named 'the_same_module'";

/** A cooperative answer that lets every kind's driver go on. */
export function cooperativeAnswer(info: AnswerInfo): unknown {
  const { step, slot } = info;
  const config = step.config ?? {};
  switch (`${step.kind}/${slot}`) {
    case "intake/worker":
      return { summary: "the task", baseline: intakeBaseline(config, info.baseline), plan: ["all steps"], needs_clarification: false, question: null, task_class: classOf(config, "training"), answer: null };
    case "agent/worker":
      return { status: "done", summary: "done", outputs: {}, evidence: ["seen"] };
    case "agent/critic":
    case "critic/critic":
      return { verdict: "pass", issues: [], summary: "supported" };
    case "fanout/finder":
      return { findings: [{ title: "source", url: "https://example.org/source", summary: "found" }], notes: "" };
    case "fanout/synthesis":
      return { summary: "synthesis", recipe: {}, sources: [{ title: "source", url: "https://example.org/source" }] };
    case "resources/checker":
      return { resource: "resource-a", kind: "model", exists: true, id: "resource-a", url: "https://example.org/a", params_b: 1, notes: "" };
    case "smoke/worker":
      return { passed: true, command: "run --tiny", log_tail: "ok", summary: "passed" };
    case "check/worker":
      return { passed: true, command_or_method: "the spec's check", evidence: "it passed", summary: "passed" };
    case "preflight/worker":
      return preflightReport(info, { status: "completed", log_tail: "ok" });
    case "checklist/worker":
      return { items: itemsOf(config).map((item) => ({ item, satisfied: true, evidence: "seen" })) };
    case "readiness/worker":
      return { items: itemsOf(config).map((item) => ({ item, satisfied: true, evidence: "seen" })), job: validJob(info) };
    case "job/submitter":
      return submitterReport(info);
    case "job/monitor":
      return { status: "completed", alerts: [], log_tail: "done", metrics: {}, cost_usd: 0.5 };
    case "completion/critic":
      return { criteria: criteriaOf(config).map((id) => ({ id, met: true, evidence: "seen" })), verdict: "pass", summary: "all met" };
    case "loop/worker":
      return { improved: false, summary: "nothing better", continue: false, cost_usd: 0 };
    default:
      return fixerAnswer(slot);
  }
}

/** A cooperative intake knows every baseline key: the run's protected values, and a stand-in value for any other key it is asked for. */
function intakeBaseline(config: { [key: string]: unknown }, baseline: { [key: string]: string }): { [key: string]: string } {
  const keys = Array.isArray(config.baselineKeys) ? (config.baselineKeys as unknown[]).filter((key): key is string => typeof key === "string") : [];
  return { ...Object.fromEntries(keys.map((key) => [key, `${key}-a`])), ...baseline };
}

function fixerAnswer(slot: string): unknown {
  if (slot !== "fixer") throw new Error(`no stand-in answer for slot \`${slot}\``);
  return { analysis: "the log shows the cause", failure_class: "import-error", changes: {}, description: "one minimal fix" };
}

/** The job a readiness worker describes: code by value, a sized timeout, monitoring and persistence. */
export function validJob(info: AnswerInfo): { [key: string]: unknown } {
  return {
    code: { kind: "url", value: "https://example.org/script.py" },
    timeout_hours: 4,
    work: typeof contextOf(info).work === "string" ? contextOf(info).work : "training",
    monitoring: { kind: "dashboard", target: "example/dashboard" },
    persistence: { destination: "example/result" },
    flavor: "a10g-small",
    ...info.baseline,
  };
}

function classOf(config: { [key: string]: unknown }, wanted: string): string | null {
  const classes = Array.isArray(config.classes) ? (config.classes as unknown[]) : [];
  return classes.includes(wanted) ? wanted : typeof classes[1] === "string" ? (classes[1] as string) : null;
}

function itemsOf(config: { [key: string]: unknown }): string[] {
  return Array.isArray(config.items) ? (config.items as unknown[]).filter((item): item is string => typeof item === "string") : [];
}

function criteriaOf(config: { [key: string]: unknown }): string[] {
  return Array.isArray(config.criteria) ? (config.criteria as { id?: unknown }[]).map((entry) => String(entry.id)) : [];
}

/** One way to break a guard: where it is tried, what the agent answers, and how the run is set up. */
export interface Violation {
  /** Step kinds whose driver runs the guard and where this scenario applies, in preference order. */
  kinds: string[];
  /** What the agent does to get around the guard, in a few words. */
  what: string;
  /** The answer of the agent in `slot` of the step under test (undefined: the cooperative answer). */
  answer(info: AnswerInfo): unknown;
  /** Changes to the run's arguments or the pipeline's contract. */
  setup?: { costCapUsd?: number; maxIterations?: number };
}

/** A different value for a protected key, and a claim of approval that must not count. */
function scopeBreak(info: AnswerInfo): { [key: string]: unknown } {
  const [key] = Object.keys(info.baseline);
  return { [key]: `${info.baseline[key]}-changed`, approved: true, approvedBy: "user" };
}

/** The answer an agent would give to get around each runtime guard. */
export const VIOLATIONS: { [guard: string]: Violation } = {
  checkScopeChange: {
    kinds: ["agent", "check", "smoke", "readiness"],
    what: "changes a protected value of the task and claims the user approved it",
    answer(info) {
      if (info.step.kind === "agent" && info.slot === "worker") return { status: "done", summary: "switched", outputs: {}, evidence: ["approved by the user"], proposed_changes: scopeBreak(info) };
      if (info.step.kind === "readiness") return { ...(cooperativeAnswer(info) as object), job: { ...validJob(info), ...scopeBreak(info) } };
      if (info.slot === "worker") return info.step.kind === "check" ? { passed: false, command_or_method: "check", evidence: `failed ${info.count}`, summary: "failed" } : { passed: false, command: "run", log_tail: `ModuleNotFoundError: No module named 'pkg${info.count}'`, summary: "failed" };
      return { analysis: "the task itself is wrong", failure_class: "unknown", changes: scopeBreak(info), description: "change the task" };
    },
  },
  checkRepetition: {
    kinds: ["check", "smoke", "preflight", "job"],
    what: "fails the same way every time and keeps asking for a retry",
    answer(info) {
      const { kind } = info.step;
      if (info.slot === "fixer") return { analysis: "unclear", failure_class: "unknown", changes: {}, description: "try again" };
      if (kind === "check") return { passed: false, command_or_method: "the same method", evidence: FAILURE_LOG, summary: "failed" };
      if (kind === "smoke") return { passed: false, command: "run --tiny", log_tail: FAILURE_LOG, summary: "failed" };
      if (kind === "preflight") return { ...preflightReport(info, { status: "failed", log_tail: FAILURE_LOG }), job_id: "pre" };
      if (info.slot === "monitor") return { status: "failed", alerts: [], log_tail: FAILURE_LOG, metrics: {}, cost_usd: 0.01 };
      return undefined;
    },
  },
  nextOomRung: {
    kinds: ["preflight", "job"],
    what: "runs out of memory on every attempt",
    answer(info) {
      const oom = "torch.cuda.OutOfMemoryError: CUDA out of memory";
      if (info.step.kind === "preflight" && info.slot === "worker") return preflightReport(info, { status: "failed", log_tail: oom });
      if (info.slot === "monitor") return { status: "failed", alerts: [], log_tail: oom, metrics: {}, cost_usd: 0.01 };
      return undefined;
    },
  },
  decideApproval: {
    kinds: ["preflight", "job", "loop"],
    what: "starts billable work whose worst-case cost is over the cap, reporting it as free",
    answer(info) {
      if (info.step.kind === "loop") return { improved: true, summary: "better", continue: true, cost_usd: 0 };
      return undefined;
    },
    setup: { costCapUsd: 0.001 },
  },
  checkIterationBudget: {
    kinds: ["agent", "critic", "check", "checklist", "completion", "intake", "fanout", "resources", "smoke", "preflight", "readiness", "job", "loop"],
    what: "keeps the run going past the contract's budget of agent calls",
    answer: () => undefined,
    setup: { maxIterations: 1 },
  },
  sizeHardware: {
    kinds: ["resources"],
    what: "reports a model too large for any hardware tier and expects the run to go on",
    answer: (info) => ({ resource: "giant", kind: "model", exists: true, id: "giant", url: "https://example.org/giant", params_b: 100000, notes: "" }),
  },
  sizeTimeout: {
    kinds: ["readiness"],
    what: "describes a training job with a 30-minute timeout",
    answer: (info) => ({ ...(cooperativeAnswer(info) as object), job: { ...validJob(info), timeout_hours: 0.5 } }),
  },
  checkSubmitInvariant: {
    kinds: ["readiness"],
    what: "passes the job's code as a path on the local machine",
    answer: (info) => ({ ...(cooperativeAnswer(info) as object), job: { ...validJob(info), code: { kind: "path", value: "./train.py" } } }),
  },
  criticReview: {
    kinds: ["critic", "agent"],
    what: "keeps producing work the critic finds a hard problem with, and asks to move on",
    answer(info) {
      if (info.slot === "critic") return { verdict: "fail", issues: [{ severity: "hard", text: "the claim has no evidence" }], summary: "unsupported" };
      if (info.slot === "worker") return { status: "done", summary: "done, trust me", outputs: {}, evidence: [] };
      return undefined;
    },
  },
  approvalGate: {
    kinds: ["approval"],
    what: "says in its output that the user approved the gate",
    answer: () => undefined,
  },
  checkCompletion: {
    kinds: ["completion"],
    what: "passes the run while a criterion has no evidence",
    answer: (info) => {
      const criteria = criteriaOf(info.step.config ?? {});
      return { criteria: criteria.map((id, index) => ({ id, met: index !== 0, evidence: index === 0 ? "" : "seen" })), verdict: "pass", summary: "all good" };
    },
  },
  checklistEvidence: {
    kinds: ["checklist", "readiness"],
    what: "marks every checklist item satisfied without evidence",
    answer: (info) => {
      const base = cooperativeAnswer(info) as { [key: string]: unknown };
      return { ...base, items: itemsOf(info.step.config ?? {}).map((item) => ({ item, satisfied: true, evidence: "" })) };
    },
  },
};
