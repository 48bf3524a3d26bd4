// The workflow driver run end to end against a stand-in `wf`: the happy path
// and every stop reason, with spend checked against the cap in every run.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  STEP_KINDS,
  STOP_REASONS,
  agentSchemaFor,
  runCapFromText,
  runStep,
  startRun,
  type DriverAgent,
  type DriverPipeline,
  type DriverStep,
  type StepKind,
} from "../runtime/workflow/index.js";
import { ML_PROTECTED_KEYS, ML_STRIP_PREFIXES, driveRun, makeWf, type DriverAnswer as Answer, type DriverCall as Call } from "./helpers/standin.js";

// ---------------------------------------------------------------- fixtures

const OOM_LOG = "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB";

type Step = DriverStep;
type Pipeline = DriverPipeline;

function agentSpec(name: string, role: string, kind: StepKind, slot: string): DriverAgent {
  return { name, role, description: `${name} (${slot})`, schema: agentSchemaFor(kind, slot) };
}

function step(index: number, id: string, kind: StepKind, agents: [string, string, string][], config: Step["config"] = {}): Step {
  return { id, title: `Step ${id}`, kind, agents: agents.map(([name, role, slot]) => agentSpec(name, role, kind, slot)), config };
}

/** One step of each kind, in the order a research run has them. */
function makePipeline(options: { maxIterations?: number; costCapUsd?: number | null; steps?: (steps: Step[]) => Step[] } = {}): Pipeline {
  const steps = [
    step(0, "intake", "intake", [["t-intake", "worker", "worker"]], { baselineKeys: ["method", "model", "dataset", "sequence_length"] }),
    step(1, "plan", "agent", [["t-plan", "worker", "worker"]]),
    step(2, "research", "fanout", [
      ["t-find-papers", "finder", "finder"],
      ["t-find-docs", "finder", "finder"],
      ["t-synthesis", "synthesis", "synthesis"],
    ]),
    step(3, "verify", "critic", [["t-verify", "critic", "critic"]], { reviews: "research", maxRetries: 2 }),
    step(4, "resources", "resources", [
      ["t-check-model", "checker", "checker"],
      ["t-check-dataset", "checker", "checker"],
    ]),
    step(5, "smoke", "smoke", [["t-smoke", "worker", "worker"], ["t-smoke-fixer", "worker", "fixer"]], { maxRetries: 2 }),
    step(6, "preflight", "preflight", [["t-preflight", "worker", "worker"], ["t-preflight-fixer", "worker", "fixer"]], { maxRetries: 2, timeoutHours: 0.5 }),
    step(7, "readiness", "readiness", [["t-readiness", "worker", "worker"]], { items: ["Code is reachable by the job", "Timeout is sized"] }),
    step(8, "job", "job", [["t-job", "worker", "submitter"], ["t-job-monitor", "worker", "monitor"], ["t-job-fixer", "worker", "fixer"]], { maxRetries: 2, maxPolls: 4 }),
    step(9, "completion", "completion", [["t-completion", "critic", "critic"]], {
      criteria: [
        { id: "C1", text: "The model is pushed" },
        { id: "C2", text: "The evaluation is reported" },
      ],
    }),
    step(10, "improve", "loop", [["t-loop", "worker", "worker"]], { maxIterations: 2, enabledBy: "autonomous_loop" }),
  ];
  return {
    name: "test-research",
    params: [
      { name: "task", type: "string", required: true, default: null, description: "The ML task." },
      { name: "cost_cap_usd", type: "number", required: false, default: 10, description: "Spend cap." },
      { name: "autonomous_loop", type: "boolean", required: false, default: false, description: "Keep improving." },
    ],
    contract: {
      maxIterations: options.maxIterations ?? 100,
      maxRetries: 3,
      repetition: { window: 30, identicalStreak: 3, cycleMinLength: 2, cycleMaxLength: 5, cycleRepeats: 2 },
      costCapUsd: options.costCapUsd === undefined ? 10 : options.costCapUsd,
    },
    protectedKeys: ML_PROTECTED_KEYS,
    scopeStripPrefixes: ML_STRIP_PREFIXES,
    steps: options.steps ? options.steps(steps) : steps,
  };
}

/** Canned answers of a run where everything goes right. */
function happyAnswers(): Record<string, Answer | Answer[]> {
  const trainConfig = { per_device_train_batch_size: 4, gradient_accumulation_steps: 4, gradient_checkpointing: false, learning_rate: 0.0002 };
  return {
    "t-intake": {
      summary: "LoRA fine-tune of Qwen on Capybara",
      baseline: { method: "lora", model: "Qwen/Qwen2.5-0.5B", dataset: "trl-lib/Capybara", sequence_length: 1024 },
      plan: ["research", "validate", "train", "evaluate"],
      needs_clarification: false,
      question: "",
    },
    "t-plan": { status: "done", summary: "planned", outputs: { steps: 4 }, evidence: ["plan.md"] },
    "t-find-papers": { findings: [{ title: "LoRA", url: "https://arxiv.org/abs/2106.09685", summary: "low-rank adapters" }], notes: "" },
    "t-find-docs": { findings: [{ title: "TRL SFT", url: "https://huggingface.co/docs/trl", summary: "SFTTrainer" }], notes: "" },
    "t-synthesis": { summary: "recipe", recipe: { learning_rate: 0.0002, epochs: 1 }, sources: [{ title: "LoRA", url: "https://arxiv.org/abs/2106.09685" }] },
    "t-verify": { verdict: "pass", issues: [], summary: "all claims sourced" },
    "t-check-model": { resource: "Qwen/Qwen2.5-0.5B", kind: "model", exists: true, id: "Qwen/Qwen2.5-0.5B", url: "https://huggingface.co/Qwen/Qwen2.5-0.5B", params_b: 0.5, notes: "" },
    "t-check-dataset": { resource: "trl-lib/Capybara", kind: "dataset", exists: true, id: "trl-lib/Capybara", url: null, params_b: null, notes: "" },
    "t-smoke": { passed: true, command: "python train.py --max_steps 2", log_tail: "done", summary: "ok" },
    "t-smoke-fixer": { analysis: "the argument was renamed", failure_class: "wrong-argument", changes: { max_length: 1024 }, description: "rename max_seq_length" },
    "t-preflight": (call: Call) => ({
      job_id: `pre-${call.n}`,
      status: "completed",
      log_tail: "step 5 loss 1.2",
      cost_usd: 0.1,
      flavor: call.context.flavor,
      config: { ...trainConfig, ...pick(call.context.requiredConfigChanges) },
      ...PREFLIGHT_CODE,
    }),
    "t-preflight-fixer": { analysis: "missing package", failure_class: "import-error", changes: { dependencies: ["trackio"] }, description: "add trackio" },
    "t-readiness": {
      items: [
        { item: "Code is reachable by the job", satisfied: true, evidence: "https URL" },
        { item: "Timeout is sized", satisfied: true, evidence: "4h for 0.5B" },
      ],
      job: {
        code: { kind: "url", value: "https://huggingface.co/alice/scripts/resolve/main/train.py" },
        timeout_hours: 4,
        work: "training",
        monitoring: { kind: "trackio", target: "alice/trackio" },
        persistence: { destination: "alice/qwen-capybara-lora" },
        flavor: "t4-small",
      },
    },
    "t-job": (call: Call) => ({ job_id: `job-${call.n}`, status: "submitted", url: `https://huggingface.co/jobs/alice/job-${call.n}`, submitted: asSubmitted(call) }),
    "t-job-monitor": [
      { status: "running", alerts: [], log_tail: "step 10", metrics: { step: 10, loss: 1.5 }, cost_usd: 0.2 },
      { status: "running", alerts: [], log_tail: "step 20", metrics: { step: 20, loss: 1.2 }, cost_usd: 0.4 },
      { status: "completed", alerts: [], log_tail: "pushed", metrics: { step: 30, loss: 1.0 }, cost_usd: 1.2 },
    ],
    "t-job-fixer": { analysis: "missing package", failure_class: "import-error", changes: { dependencies: ["peft"] }, description: "add peft" },
    "t-completion": {
      criteria: [
        { id: "C1", met: true, evidence: "alice/qwen-capybara-lora" },
        { id: "C2", met: true, evidence: "eval table" },
      ],
      verdict: "pass",
      summary: "done",
    },
    "t-loop": { improved: false, summary: "no gain", continue: false, cost_usd: 0.5 },
  };
}

/** The code and command a preflight worker reports it ran. */
const PREFLIGHT_CODE = { code: { kind: "url", value: "https://huggingface.co/alice/scripts/resolve/main/train.py" }, command: "hf jobs uv run --flavor t4-small train.py-url" };

/** What a submitter that follows its instructions reports it submitted. */
function asSubmitted(call: Call): Record<string, unknown> {
  const submit = pick(call.context.submit);
  return { code: submit.code, command: "hf jobs uv run", flavor: submit.flavor, timeout_hours: submit.timeout_hours, config: pick(submit.config) };
}

function pick(value: unknown): Record<string, unknown> {
  return value && typeof value === "object" ? { ...(value as Record<string, unknown>) } : {};
}

const seenReasons = new Set<string>();

/**
 * Run a pipeline exactly as the generated script does, with the pipeline and
 * every run state frozen (the driver must never mutate its inputs), and
 * check the invariants every run keeps.
 */
async function runAll(pipeline: Pipeline, args: unknown, answers: Record<string, Answer | Answer[]>) {
  const done = await driveRun(pipeline, args, answers);
  const { result, run } = done;
  seenReasons.add(result.stoppedReason);
  expect(STOP_REASONS).toContain(result.stoppedReason);
  expect(result.status).toBe(["completed", "answered"].includes(result.stoppedReason) ? "completed" : "stopped");
  if (result.spend.capUsd !== null) expect(result.spend.committedUsd).toBeLessThanOrEqual(result.spend.capUsd);
  else expect(result.spend.committedUsd).toBe(0);
  expect(run.iterations).toBe(done.calls.length);
  expect(JSON.parse(JSON.stringify(result))).toEqual(result);
  return done;
}

const TASK = { task: "Fine-tune Qwen/Qwen2.5-0.5B on trl-lib/Capybara with LoRA", autonomous_loop: true };

// ---------------------------------------------------------------- tests

describe("agentSchemaFor", () => {
  it("gives an object schema with its required fields for every slot of every kind", () => {
    for (const [kind, { slots }] of Object.entries(STEP_KINDS)) {
      for (const { slot } of slots as { slot: string }[]) {
        const schema = agentSchemaFor(kind, slot) as any;
        expect(schema.type).toBe("object");
        expect(schema.additionalProperties).toBe(true);
        expect(schema.required.length).toBeGreaterThan(0);
        for (const name of schema.required) expect(Object.keys(schema.properties)).toContain(name);
      }
    }
    expect((agentSchemaFor("job", "monitor") as any).required).toEqual(["status", "alerts", "log_tail", "metrics", "cost_usd"]);
    expect((agentSchemaFor("agent", "worker") as any).required).not.toContain("proposed_changes");
  });

  it("returns a fresh copy and refuses pairs the driver never runs", () => {
    const first = agentSchemaFor("smoke", "fixer") as any;
    first.required.push("mutated");
    expect((agentSchemaFor("smoke", "fixer") as any).required).not.toContain("mutated");
    expect(() => agentSchemaFor("intake", "critic")).toThrow(/Unexpected agent role `critic` for a `intake` step/);
    expect(() => agentSchemaFor("nope", "worker")).toThrow();
  });
});

describe("startRun", () => {
  const pipeline = makePipeline();

  it("reads a string task with an optional cost cap", () => {
    expect(startRun(pipeline, "train X, cost cap is 7 USD").costCapUsd).toBe(7);
    expect(startRun(pipeline, "train X; cost cap: $12.5").costCapUsd).toBe(12.5);
    expect(startRun(pipeline, "budget 3 USD for training X").costCapUsd).toBe(3);
    expect(startRun(pipeline, "train X").costCapUsd).toBe(10);
    expect(runCapFromText("no budget here")).toBeNull();
    const run = startRun(pipeline, "train X");
    expect(run).toMatchObject({ mode: "autonomous", stop: null, args: { task: "train X", cost_cap_usd: 10, autonomous_loop: false } });
    expect(run.ledger).toEqual({ capUsd: 10, reserved: {}, settled: {} });
  });

  it("reads an object with the cap, the mode and coerced params", () => {
    const run = startRun(pipeline, { task: "t", costCapUsd: "4", mode: "interactive", autonomous_loop: "yes" });
    expect(run).toMatchObject({ costCapUsd: 4, mode: "interactive", args: { autonomous_loop: true } });
    expect(startRun(pipeline, { task: "t", cost_cap_usd: 2 }).costCapUsd).toBe(2);
  });

  it("falls back to the contract's cap when no param declares one", () => {
    const bare = makePipeline({ costCapUsd: 6 });
    const run = startRun({ ...bare, params: bare.params.filter((param) => param.name !== "cost_cap_usd") }, "t");
    expect(run.costCapUsd).toBe(6);
  });

  it("stops with missing-argument without a required task", async () => {
    for (const args of [undefined, "", { task: "  " }, {}]) {
      const { result, calls } = await runAll(makePipeline(), args, happyAnswers());
      expect(result).toMatchObject({ status: "stopped", stoppedReason: "missing-argument", step: null });
      expect(result.detail).toContain("task");
      expect(calls).toEqual([]);
    }
  });

  it("stops with invalid-argument on a bad cap, mode or param", () => {
    for (const args of [{ task: "t", costCapUsd: 0 }, { task: "t", costCapUsd: -1 }, { task: "t", cost_cap_usd: "lots" }, { task: "t", mode: "yolo" }, { task: "t", autonomous_loop: "maybe" }, 42]) {
      expect(startRun(pipeline, args).stop?.stoppedReason).toBe("invalid-argument");
    }
  });
});

describe("runStep: the happy end", () => {
  it("runs every kind of step to completed, with spend under the cap", async () => {
    const { result, calls, batches, of, run } = await runAll(makePipeline(), TASK, happyAnswers());
    expect(result).toMatchObject({ status: "completed", stoppedReason: "completed", step: null, workflow: "test-research" });
    expect(Object.keys(result.outputs)).toEqual(["intake", "plan", "research", "verify", "resources", "smoke", "preflight", "readiness", "job", "completion", "improve"]);
    // Finders and checkers ran through parallel, as thunks.
    expect(batches()).toBe(2);
    expect(of("t-find-papers")).toHaveLength(1);
    // Every call carries the task, its step's phase title, its agent type and the agent's schema.
    for (const call of calls) {
      expect(call.prompt.startsWith("Task: " + TASK.task)).toBe(true);
      expect(call.options.label).toContain(call.agentType);
      expect(call.options.phase).toBe(`Step ${call.context.step.id}`);
      expect((call.options.schema as any).type).toBe("object");
    }
    // The user's params (each by its own name), then the intake's report under the pipeline's keys.
    expect(run.baseline).toEqual({
      task: TASK.task.toLowerCase(),
      autonomous_loop: "true",
      method: "lora",
      model: "qwen/qwen2.5-0.5b",
      dataset: "trl-lib/capybara",
      sequence_length: "1024",
    });
    expect(run.taskClass).toBeNull();
    expect(run.sizing).toMatchObject({ flavor: "t4-small", timeoutHours: 4 });
    expect(run.jobPlan?.flavor).toBe("t4-small");
    // Preflight, job and one loop iteration report 0.1, 1.2 and 0.5; with no verified cost each settles at its reservation.
    expect(result.spend).toMatchObject({ capUsd: 10, reserved: {}, settled: { "preflight/1#1": 0.2, "job/1#1": 1.6, "improve/1#1": 1.6 } });
    expect(result.spend.committedUsd).toBeCloseTo(3.4, 6);
    expect(result.artifacts).toEqual([expect.objectContaining({ step: "job", job_id: "job-1" })]);
    expect(of("t-job-monitor")).toHaveLength(3);
    expect(of("t-loop")).toHaveLength(1);
  });

  it("skips the loop when its enabling param is off", async () => {
    const { result, of } = await runAll(makePipeline(), { task: TASK.task }, happyAnswers());
    expect(result.stoppedReason).toBe("completed");
    expect(of("t-loop")).toHaveLength(0);
    expect(result.outputs.improve).toMatchObject({ skipped: true });
  });

  it("ends the loop at its bound, or when the cap leaves no room", async () => {
    const answers = { ...happyAnswers(), "t-loop": { improved: true, summary: "better", continue: true, cost_usd: 0.5 } };
    const bounded = await runAll(makePipeline(), TASK, answers);
    expect(bounded.result.stoppedReason).toBe("completed");
    expect(bounded.of("t-loop")).toHaveLength(2);
    // A cap of 4.5: preflight and job settle at their reservations (0.2 + 1.6, whatever they report), leaving 2.7;
    // one loop iteration is reserved and settled at 1.6 though it reports 0.5; the next does not fit in the 1.1 left.
    const capped = await runAll(makePipeline(), { ...TASK, costCapUsd: 4.5 }, answers);
    expect(capped.result.stoppedReason).toBe("completed");
    expect(capped.of("t-loop")).toHaveLength(1);
    expect((capped.result.outputs.improve as any).ended).toMatch(/cost cap/);
  });
});

describe("runStep: stop reasons", () => {
  it("needs-clarification", async () => {
    const answers = { ...happyAnswers(), "t-intake": { ...(happyAnswers()["t-intake"] as object), needs_clarification: true, question: "Which dataset split?" } };
    const { result, calls } = await runAll(makePipeline(), TASK, answers);
    expect(result).toMatchObject({ stoppedReason: "needs-clarification", step: "intake", detail: "Which dataset split?" });
    expect(calls).toHaveLength(1);
  });

  it("agent-failed when an agent returns null, naming it", async () => {
    const { result, logs } = await runAll(makePipeline(), TASK, { ...happyAnswers(), "t-plan": null });
    expect(result).toMatchObject({ stoppedReason: "agent-failed", step: "plan" });
    expect(result.detail).toContain("t-plan");
    expect(logs.join("\n")).toContain("agent-failed");
  });

  it("skips a failed finder, and stops with agent-failed when every finder fails", async () => {
    const one = await runAll(makePipeline(), TASK, { ...happyAnswers(), "t-find-docs": null });
    expect(one.result.stoppedReason).toBe("completed");
    expect(one.logs.some((line) => line.includes("t-find-docs"))).toBe(true);
    expect(one.of("t-synthesis")[0].context.findings).toEqual([expect.objectContaining({ finder: "t-find-papers" })]);
    const all = await runAll(makePipeline(), TASK, { ...happyAnswers(), "t-find-docs": null, "t-find-papers": null });
    expect(all.result).toMatchObject({ stoppedReason: "agent-failed", step: "research" });
    expect(all.of("t-synthesis")).toHaveLength(0);
  });

  it("step-blocked", async () => {
    const { result } = await runAll(makePipeline(), TASK, { ...happyAnswers(), "t-plan": { status: "blocked", summary: "no GPU quota", outputs: {}, evidence: [] } });
    expect(result).toMatchObject({ stoppedReason: "step-blocked", step: "plan", detail: "no GPU quota" });
  });

  it("critic-rejected after maxRetries re-runs, every retry carrying the critic's issues", async () => {
    const issues = [{ severity: "hard", text: "learning rate has no source" }];
    const { result, of } = await runAll(makePipeline(), TASK, { ...happyAnswers(), "t-verify": { verdict: "fail", issues, summary: "unsourced values" } });
    expect(result).toMatchObject({ stoppedReason: "critic-rejected", step: "verify" });
    expect(result.data).toMatchObject({ issues, round: 3 });
    // maxRetries 2: the research ran 3 times and was reviewed 3 times.
    const syntheses = of("t-synthesis");
    expect(syntheses).toHaveLength(3);
    expect(of("t-verify")).toHaveLength(3);
    expect(syntheses[0].context.criticFeedback).toBeUndefined();
    for (const retry of syntheses.slice(1)) expect(retry.context.criticFeedback).toMatchObject({ critic: "t-verify", issues });
    expect(of("t-find-papers")[1].context.criticFeedback.issues).toEqual(issues);
    expect(of("t-check-model")).toHaveLength(0);
  });

  it("a critic pass after one retry continues, with the feedback cleared", async () => {
    const answers = { ...happyAnswers(), "t-verify": [{ verdict: "fail", issues: [{ severity: "hard", text: "cite TRL" }], summary: "x" }, { verdict: "pass", issues: [], summary: "ok" }] };
    const { result, run, of } = await runAll(makePipeline(), TASK, answers);
    expect(result.stoppedReason).toBe("completed");
    expect(of("t-synthesis")[1].context.criticFeedback.issues[0].text).toBe("cite TRL");
    expect(run.feedback).toEqual({});
    // Re-runs get their own billing keys and attempt counts.
    expect(run.attempts.research).toBe(2);
  });

  it("resource-missing, never substituting", async () => {
    const answers = { ...happyAnswers(), "t-check-dataset": { resource: "trl-lib/Capybara-v9", kind: "dataset", exists: false, id: null, url: null, params_b: null, notes: "404" } };
    const { result, of } = await runAll(makePipeline(), TASK, answers);
    expect(result).toMatchObject({ stoppedReason: "resource-missing", step: "resources" });
    expect(result.detail).toContain("trl-lib/Capybara-v9");
    expect(of("t-smoke")).toHaveLength(0);
  });

  it("agent-failed when a checker cannot verify, and no-hardware-fits for a huge model", async () => {
    const unverified = await runAll(makePipeline(), TASK, { ...happyAnswers(), "t-check-model": null });
    expect(unverified.result).toMatchObject({ stoppedReason: "agent-failed", step: "resources" });
    const huge = { ...(happyAnswers()["t-check-model"] as object), params_b: 5000 };
    const { result } = await runAll(makePipeline(), TASK, { ...happyAnswers(), "t-check-model": huge });
    expect(result).toMatchObject({ stoppedReason: "no-hardware-fits", step: "resources" });
  });

  it("smoke-test-failed after maxRetries, every retry carrying the fixer's analysis", async () => {
    const failing = (call: Call) => ({ passed: false, command: "python train.py", log_tail: `TypeError: got an unexpected keyword argument 'arg${call.n}'`, summary: "bad arg" });
    const { result, of } = await runAll(makePipeline(), TASK, { ...happyAnswers(), "t-smoke": failing });
    expect(result).toMatchObject({ stoppedReason: "smoke-test-failed", step: "smoke" });
    const attempts = of("t-smoke");
    expect(attempts).toHaveLength(3);
    expect(of("t-smoke-fixer")).toHaveLength(2);
    expect(of("t-smoke-fixer")[0].context.failure).toMatchObject({ class: "wrong-argument", attempt: 1 });
    expect(attempts[0].context.fix).toBeNull();
    for (const retry of attempts.slice(1)) expect(retry.context.fix).toMatchObject({ failure_class: "wrong-argument", analysis: "the argument was renamed" });
  });

  it("never retries without an analysis", async () => {
    const answers = {
      ...happyAnswers(),
      "t-smoke": { passed: false, command: "python train.py", log_tail: "ModuleNotFoundError: No module named 'trl'", summary: "failed" },
      "t-smoke-fixer": { analysis: "  ", failure_class: "import-error", changes: {}, description: "" },
    };
    const { result, of } = await runAll(makePipeline(), TASK, answers);
    expect(result).toMatchObject({ stoppedReason: "smoke-test-failed", step: "smoke" });
    expect(result.detail).toContain("no analysis");
    expect(of("t-smoke")).toHaveLength(1);
  });

  it("repetition-detected when the same command fails the same way", async () => {
    const steps = (list: Step[]) => list.map((entry) => (entry.id === "smoke" ? { ...entry, config: { maxRetries: 10 } } : entry));
    const answers = { ...happyAnswers(), "t-smoke": { passed: false, command: "python train.py", log_tail: "KeyError: 'messages'", summary: "schema" } };
    const { result, of } = await runAll(makePipeline({ steps }), TASK, answers);
    expect(result).toMatchObject({ stoppedReason: "repetition-detected", step: "smoke" });
    expect(result.detail).toContain("REPETITION GUARD");
    expect(result.detail).toContain("after the correction was injected");
    // The third identical failure injects the correction into the fourth attempt; the fourth repeat stops.
    const attempts = of("t-smoke");
    expect(attempts).toHaveLength(4);
    expect(attempts[2].context.repetitionGuard).toBeUndefined();
    expect(attempts[3].context.repetitionGuard).toContain("REPETITION GUARD");
    expect(attempts[3].prompt).toContain("REPETITION GUARD");
  });

  it("an unknown failure class stops at once: the taxonomy has no automatic fix", async () => {
    const answers = { ...happyAnswers(), "t-smoke": { passed: false, command: "python train.py", log_tail: "Segmentation fault (core dumped)", summary: "crashed" } };
    const { result, of } = await runAll(makePipeline(), TASK, answers);
    expect(result).toMatchObject({ stoppedReason: "smoke-test-failed", step: "smoke" });
    expect(result.detail).toContain("Segmentation fault");
    expect(of("t-smoke")).toHaveLength(1);
    expect(of("t-smoke-fixer")).toHaveLength(0);
  });

  it("identical polls of a running job are not repetition: the monitor waits, and the job completes", async () => {
    const same = { status: "running", alerts: [], log_tail: "downloading shards", metrics: {}, cost_usd: 0.1 };
    const done = { status: "completed", alerts: [], log_tail: "pushed", metrics: { loss: 1 }, cost_usd: 1.2 };
    const { result, of } = await runAll(makePipeline(), TASK, { ...happyAnswers(), "t-job-monitor": [same, same, same, same, same, done] });
    expect(result.stoppedReason).not.toBe("repetition-detected");
    expect(result.outputs.job).toMatchObject({ status: "completed" });
    const polls = of("t-job-monitor");
    expect(polls).toHaveLength(6);
    // Told to wait a bounded time sized to the 4h timeout, never "do not wait".
    expect(polls[0].context.waitSeconds).toBeGreaterThanOrEqual(60);
    expect(polls[0].prompt).toContain("Wait up to " + polls[0].context.waitSeconds + " seconds");
    expect(polls[0].prompt).not.toMatch(/do not wait/i);
  });
  it("scope-change-requires-approval, unless the user's args approve that change", async () => {
    const failing = [{ passed: false, command: "python train.py", log_tail: "KeyError: 'messages'", summary: "schema" }, { passed: true, command: "python train.py", log_tail: "ok", summary: "ok" }];
    const swap = { analysis: "the dataset lacks messages", failure_class: "dataset-schema", changes: { dataset_name: "HuggingFaceH4/ultrachat_200k" }, description: "use another dataset", approved: true };
    const answers = { ...happyAnswers(), "t-smoke": failing, "t-smoke-fixer": swap };
    const refused = await runAll(makePipeline(), TASK, answers);
    expect(refused.result).toMatchObject({ stoppedReason: "scope-change-requires-approval", step: "smoke" });
    expect(refused.result.detail).toContain("dataset");
    expect(refused.of("t-smoke")).toHaveLength(1);
    const approved = await runAll(makePipeline(), { ...TASK, approvedScopeChanges: { dataset: "HuggingFaceH4/ultrachat_200k" } }, answers);
    expect(approved.result.stoppedReason).toBe("completed");
    expect(approved.of("t-smoke")).toHaveLength(2);
    // An approval of a different value does not cover it.
    const other = await runAll(makePipeline(), { ...TASK, approvedScopeChanges: { dataset: "other/set" } }, answers);
    expect(other.result.stoppedReason).toBe("scope-change-requires-approval");
  });

  it("scope-change-requires-approval for an agent step's proposed changes, whatever the agent claims", async () => {
    const answers = { ...happyAnswers(), "t-plan": { status: "done", summary: "switch", outputs: {}, evidence: [], proposed_changes: { method: "full", user_approved: true } } };
    const { result } = await runAll(makePipeline(), TASK, answers);
    expect(result).toMatchObject({ stoppedReason: "scope-change-requires-approval", step: "plan" });
    expect((result.data as any).touched).toEqual([{ key: "method", from: "lora", to: "full" }]);
  });

  it("needs-approval for a billable job in interactive mode, before anything is spent", async () => {
    const { result, of } = await runAll(makePipeline(), { ...TASK, mode: "interactive" }, happyAnswers());
    expect(result).toMatchObject({ stoppedReason: "needs-approval", step: "preflight" });
    expect(of("t-preflight")).toHaveLength(0);
    expect(result.spend.committedUsd).toBe(0);
  });

  it("needs-approval when the cost cannot be estimated", async () => {
    const steps = (list: Step[]) => list.map((entry) => (entry.id === "preflight" ? { ...entry, config: { maxRetries: 2, timeoutHours: 0.5, flavor: "mystery-gpu" } } : entry));
    const { result } = await runAll(makePipeline({ steps }), TASK, happyAnswers());
    expect(result).toMatchObject({ stoppedReason: "needs-approval", step: "preflight" });
    expect(result.detail).toContain("cost could not be estimated");
  });

  it("needs-approval names the exact argument, and a rerun carrying it goes ahead", async () => {
    const asked = await runAll(makePipeline(), { ...TASK, mode: "interactive" }, happyAnswers());
    expect(asked.result.detail).toContain('Rerun with the argument {"approve": ["preflight"]}');
    expect(asked.result.detail).toContain('"all-under-cap"');
    // Approving the preflight moves the stop to the next spend, which names its own step.
    const preflight = await runAll(makePipeline(), { ...TASK, mode: "interactive", approve: ["preflight"] }, happyAnswers());
    expect(preflight.result).toMatchObject({ stoppedReason: "needs-approval", step: "job" });
    expect(preflight.result.detail).toContain('{"approve": ["job"]}');
    expect(preflight.of("t-preflight")).toHaveLength(1);
    // A comma-separated list, or all-under-cap, approves every spend that fits.
    for (const approve of ["preflight, job, improve", "all-under-cap"]) {
      const all = await runAll(makePipeline(), { ...TASK, mode: "interactive", approve }, happyAnswers());
      expect(all.result.stoppedReason).toBe("completed");
      // Reported costs below the reservations (0.1, 1.2, 0.5) settle at the reservations: the agent's word never frees room.
      expect(all.result.spend.settled).toEqual({ "preflight/1#1": 0.2, "job/1#1": 1.6, "improve/1#1": 1.6 });
    }
  });

  it("an approval never lifts the cap, and an approved spend of unknown cost reserves what is left", async () => {
    const over = await runAll(makePipeline(), { ...TASK, mode: "interactive", approve: "all-under-cap", costCapUsd: 0.15 }, happyAnswers());
    expect(over.result).toMatchObject({ stoppedReason: "cost-cap-reached", step: "preflight" });
    expect(over.of("t-preflight")).toHaveLength(0);
    const steps = (list: Step[]) => list.map((entry) => (entry.id === "preflight" ? { ...entry, config: { maxRetries: 2, timeoutHours: 0.5, flavor: "mystery-gpu" } } : entry));
    const unknown = await runAll(makePipeline({ steps }), { ...TASK, approve: ["preflight"] }, happyAnswers());
    expect(unknown.of("t-preflight")).toHaveLength(1);
    expect(unknown.result.events.find((event) => event.kind === "approval" && event.step === "preflight")?.detail).toContain("reserved $10");
  });

  it("an agent claiming approval does not approve a spend", async () => {
    const claims = { ...happyAnswers(), "t-plan": { status: "done", summary: "approved", outputs: { approve: ["preflight"], approved: true }, evidence: [], approve: "all-under-cap" } };
    const { result, of } = await runAll(makePipeline(), { ...TASK, mode: "interactive" }, claims);
    expect(result).toMatchObject({ stoppedReason: "needs-approval", step: "preflight" });
    expect(of("t-preflight")).toHaveLength(0);
  });

  it("with no cost cap anywhere, a billable step stops with needs-approval naming cost_cap_usd", async () => {
    const capless = (() => {
      const pipeline = makePipeline({ costCapUsd: null });
      return { ...pipeline, params: pipeline.params.filter((param) => param.name !== "cost_cap_usd") };
    })();
    const start = startRun(capless, { task: "t" });
    expect(start).toMatchObject({ costCapUsd: null, stop: null });
    expect(start.events[0].detail).toBe("autonomous run of test-research with no cost cap");
    expect(start.events[0].detail).not.toContain("null");
    for (const args of [TASK, { ...TASK, approve: "all-under-cap" }]) {
      const { result, of } = await runAll(capless, args, happyAnswers());
      expect(result).toMatchObject({ stoppedReason: "needs-approval", step: "preflight" });
      expect(result.detail).toContain('{"cost_cap_usd": <USD>}');
      expect(result.spend.capUsd).toBeNull();
      expect(of("t-preflight")).toHaveLength(0);
    }
    // The user's cap is enough.
    const capped = await runAll(capless, { ...TASK, costCapUsd: 10 }, happyAnswers());
    expect(capped.result.stoppedReason).toBe("completed");
    // A billable loop without a cap stops the same way.
    const loopOnly = { ...capless, steps: capless.steps.filter((entry) => entry.kind === "intake" || entry.kind === "loop") };
    const loop = await runAll(loopOnly, TASK, happyAnswers());
    expect(loop.result).toMatchObject({ stoppedReason: "needs-approval", step: "improve" });
    expect(loop.result.detail).toContain("cost_cap_usd");
  });

  it("cost-cap-reached when the estimate is over the cap", async () => {
    // The preflight is estimated at 0.4 $/h × 0.5 h = 0.2 against a cap of 0.15.
    const { result, of } = await runAll(makePipeline(), { ...TASK, costCapUsd: 0.15 }, happyAnswers());
    expect(result).toMatchObject({ stoppedReason: "cost-cap-reached", step: "preflight" });
    expect(of("t-preflight")).toHaveLength(0);
    // And for the job: 0.4 × 4 h = 1.6 does not fit in 1.5 after the preflight's 0.1.
    const job = await runAll(makePipeline(), { ...TASK, costCapUsd: 1.5 }, happyAnswers());
    expect(job.result).toMatchObject({ stoppedReason: "cost-cap-reached", step: "job" });
    expect(job.of("t-job")).toHaveLength(0);
  });

  it("oom-ladder-exhausted in the preflight: OOM every attempt, the effective batch kept on batch rungs", async () => {
    const steps = (list: Step[]) => list.map((entry) => (entry.id === "preflight" ? { ...entry, config: { maxRetries: 1, timeoutHours: 0.5, flavor: "a100x4" } } : entry));
    const base = { per_device_train_batch_size: 4, gradient_accumulation_steps: 4, gradient_checkpointing: false };
    const oom = (call: Call) => ({ job_id: `p${call.n}`, status: "failed", log_tail: OOM_LOG, cost_usd: 0.5, flavor: call.context.flavor, config: { ...base, ...pick(call.context.requiredConfigChanges) }, ...PREFLIGHT_CODE });
    const { result, of, run } = await runAll(makePipeline({ steps }), { ...TASK, costCapUsd: 100 }, { ...happyAnswers(), "t-preflight": oom });
    expect(result).toMatchObject({ stoppedReason: "oom-ladder-exhausted", step: "preflight" });
    const attempts = of("t-preflight");
    // Each rung once: halve once, checkpointing once, one larger flavor once.
    expect(attempts.map((call) => call.context.flavor)).toEqual(["a100x4", "a100x4", "a100x4", "a100x8"]);
    const configs = attempts.map((call) => ({ ...base, ...pick(call.context.requiredConfigChanges) }));
    expect(configs.map((config) => config.per_device_train_batch_size)).toEqual([4, 2, 2, 2]);
    for (const config of configs) expect(config.per_device_train_batch_size * config.gradient_accumulation_steps).toBe(16);
    expect(configs.map((config) => config.gradient_checkpointing)).toEqual([false, false, true, true]);
    expect(attempts.map((call) => call.context.oom?.step ?? null)).toEqual([null, "halve-batch", "gradient-checkpointing", "larger-hardware"]);
    expect(run.ladder.rung).toBe(3);
    // OOM retries are bounded by the ladder, not by maxRetries, and never go to the fixer.
    expect(of("t-preflight-fixer")).toHaveLength(0);
    expect(Object.keys(result.spend.settled)).toHaveLength(4);
  });

  it("oom-ladder-exhausted in the job, with the rung carried from the preflight", async () => {
    const steps = (list: Step[]) => list.map((entry) => (entry.id === "preflight" ? { ...entry, config: { maxRetries: 1, timeoutHours: 0.5, flavor: "a100x4" } } : entry));
    const base = { per_device_train_batch_size: 2, gradient_accumulation_steps: 4, gradient_checkpointing: false };
    const preflight = (call: Call) => ({
      job_id: `p${call.n}`,
      status: call.n < 3 ? "failed" : "completed",
      log_tail: call.n < 3 ? OOM_LOG : "ok",
      cost_usd: 0.5,
      flavor: call.context.flavor,
      config: { ...base, ...pick(call.context.requiredConfigChanges) },
      ...PREFLIGHT_CODE,
    });
    const checklist = structuredClone(happyAnswers()["t-readiness"]) as any;
    checklist.job.flavor = "a10g-large";
    const monitor = { status: "failed", alerts: [], log_tail: OOM_LOG, metrics: {}, cost_usd: 2 };
    const answers = { ...happyAnswers(), "t-preflight": preflight, "t-readiness": checklist, "t-job-monitor": monitor };
    const { result, of, run } = await runAll(makePipeline({ steps }), { ...TASK, costCapUsd: 500 }, answers);
    expect(result).toMatchObject({ stoppedReason: "oom-ladder-exhausted", step: "job" });
    // The preflight climbed to rung 2 (halve, then checkpointing) and passed.
    expect(result.outputs.preflight).toMatchObject({ status: "completed", attempts: 3 });
    const submits = of("t-job");
    expect(submits).toHaveLength(2);
    // The job started from the preflight's changes and rung: its first OOM went straight to rung 3.
    expect(submits[0].context.requiredConfigChanges).toMatchObject({ per_device_train_batch_size: 1, gradient_accumulation_steps: 8, gradient_checkpointing: true });
    expect(submits[1].context).toMatchObject({ flavor: "l40sx1", changes: { kind: "oom", rung: 3, step: "larger-hardware", changes: { flavor: "l40sx1" } } });
    const oomEvents = result.events.filter((event) => event.kind === "oom").map((event) => `${event.step} ${event.detail.split(" (")[0]}`);
    expect(oomEvents).toEqual(["preflight rung 1", "preflight rung 2", "job rung 3"]);
    expect(run.ladder).toEqual({ rung: 3, attempts: 3 });
  });

  it("preflight-failed after maxRetries non-OOM failures, each retried with the fixer's analysis", async () => {
    const failing = (call: Call) => ({ job_id: `p${call.n}`, status: "failed", log_tail: `ModuleNotFoundError: No module named 'pkg${call.n}'`, cost_usd: 0.1, flavor: "t4-small", config: {}, ...PREFLIGHT_CODE });
    const { result, of } = await runAll(makePipeline(), TASK, { ...happyAnswers(), "t-preflight": failing });
    expect(result).toMatchObject({ stoppedReason: "preflight-failed", step: "preflight" });
    expect(of("t-preflight")).toHaveLength(3);
    expect(of("t-preflight-fixer")).toHaveLength(2);
    expect(of("t-preflight")[1].context.fix).toMatchObject({ failure_class: "import-error", analysis: "missing package" });
  });

  it("checklist-incomplete for an unsatisfied, unreported or unevidenced readiness item", async () => {
    const base = happyAnswers()["t-readiness"] as any;
    const unsatisfied = { ...base, items: [base.items[0], { ...base.items[1], satisfied: false }] };
    const first = await runAll(makePipeline(), TASK, { ...happyAnswers(), "t-readiness": unsatisfied });
    expect(first.result).toMatchObject({ stoppedReason: "checklist-incomplete", step: "readiness" });
    expect(first.result.data).toMatchObject({ unsatisfied: ["Timeout is sized"], missing: [] });
    const unreported = { ...base, items: [base.items[0]] };
    const second = await runAll(makePipeline(), TASK, { ...happyAnswers(), "t-readiness": unreported });
    expect(second.result.data).toMatchObject({ unsatisfied: [], missing: ["Timeout is sized"] });
    expect(second.of("t-job")).toHaveLength(0);
    // Marking an item satisfied with no evidence is not enough.
    const bare = { ...base, items: [base.items[0], { ...base.items[1], evidence: "  " }] };
    const third = await runAll(makePipeline(), TASK, { ...happyAnswers(), "t-readiness": bare });
    expect(third.result).toMatchObject({ stoppedReason: "checklist-incomplete", data: { unevidenced: ["Timeout is sized"] } });
    expect(third.run.jobPlan).toBeNull();
  });

  it("submit-invariant-violated for a local path as job code", async () => {
    const checklist = structuredClone(happyAnswers()["t-readiness"]) as any;
    checklist.job.code = { kind: "path", value: "./train.py" };
    const { result, of, run } = await runAll(makePipeline(), TASK, { ...happyAnswers(), "t-readiness": checklist });
    expect(result).toMatchObject({ stoppedReason: "submit-invariant-violated", step: "readiness" });
    expect((result.data as any).violations.map((violation: any) => violation.code)).toEqual(["code-local-path"]);
    expect(run.jobPlan).toBeNull();
    expect(of("t-job")).toHaveLength(0);
  });

  it("submit-invariant-violated for a training timeout under the tier floor, whatever the plan claims", async () => {
    const readiness = structuredClone(happyAnswers()["t-readiness"]) as any;
    readiness.job.timeout_hours = "30m";
    readiness.items = readiness.items.map((item: any) => ({ ...item, evidence: "timeout checked and approved" }));
    const { result, of } = await runAll(makePipeline(), TASK, { ...happyAnswers(), "t-readiness": readiness });
    expect(result).toMatchObject({ stoppedReason: "submit-invariant-violated", step: "readiness" });
    expect((result.data as any).violations.map((violation: any) => violation.code)).toEqual(["timeout-platform-default"]);
    expect(of("t-job")).toHaveLength(0);
  });

  it("scope-change-requires-approval for a job plan whose code swaps the model", async () => {
    const checklist = structuredClone(happyAnswers()["t-readiness"]) as any;
    checklist.job.code = { kind: "inline", value: "# SFT with TRL\npython -m trl sft --model_name_or_path meta-llama/Llama-3.1-8B --dataset_name trl-lib/Capybara" };
    const { result, of } = await runAll(makePipeline(), TASK, { ...happyAnswers(), "t-readiness": checklist });
    expect(result).toMatchObject({ stoppedReason: "scope-change-requires-approval", step: "readiness" });
    expect((result.data as any).touched).toEqual([{ key: "model", from: "qwen/qwen2.5-0.5b", to: "meta-llama/llama-3.1-8b" }]);
    expect(of("t-job")).toHaveLength(0);
  });

  it("submit-invariant-violated for a job step without a checked plan", async () => {
    const steps = (list: Step[]) => list.filter((entry) => entry.id !== "readiness");
    const { result, of } = await runAll(makePipeline({ steps }), TASK, happyAnswers());
    expect(result).toMatchObject({ stoppedReason: "submit-invariant-violated", step: "job" });
    expect(of("t-job")).toHaveLength(0);
  });

  it("monitoring-budget-exhausted, keeping the reservation of the job that may still run", async () => {
    const running = (call: Call) => ({ status: "running", alerts: [], log_tail: `step ${call.n * 10}`, metrics: { step: call.n * 10 }, cost_usd: 0.1 * call.n });
    const { result, of } = await runAll(makePipeline(), TASK, { ...happyAnswers(), "t-job-monitor": running });
    expect(result).toMatchObject({ stoppedReason: "monitoring-budget-exhausted", step: "job" });
    // 4h at up to 540s a check, plus the slack: the budget is the job's timeout, not a fixed count.
    const polls = of("t-job-monitor").filter((call) => call.context.cancel !== true);
    expect(polls).toHaveLength(30);
    expect(polls[0].context.waitSeconds * (polls.length - 3)).toBeGreaterThanOrEqual(4 * 3600);
    // The stop cancels the job through the monitor, and says so.
    expect(of("t-job-monitor").filter((call) => call.context.cancel === true)).toHaveLength(1);
    expect(result.detail).toMatch(/job job-1 could not be confirmed cancelled .* may still be billing/);
    expect(result.spend.reserved).toEqual({ "job/1#1": 1.6 });
  });

  it("retries-exhausted when the job keeps failing, each resubmission carrying the fixer's analysis", async () => {
    const failed = (call: Call) => ({ status: "failed", alerts: [], log_tail: `ModuleNotFoundError: No module named 'm${call.n}'`, metrics: {}, cost_usd: 0.3 });
    const { result, of } = await runAll(makePipeline(), TASK, { ...happyAnswers(), "t-job-monitor": failed });
    expect(result).toMatchObject({ stoppedReason: "retries-exhausted", step: "job" });
    const submits = of("t-job");
    expect(submits).toHaveLength(3);
    expect(of("t-job-fixer")).toHaveLength(2);
    expect(submits[0].context.changes).toBeNull();
    for (const resubmit of submits.slice(1)) expect(resubmit.context.changes).toMatchObject({ kind: "fix", failure_class: "import-error", analysis: "missing package" });
    // Each reports 0.3 but settles at its reservation (0.4 × 0.5 h for the preflight, 0.4 × 4 h for each job).
    expect(Object.values(result.spend.settled)).toEqual([0.2, 1.6, 1.6, 1.6]);
  });

  it("resubmits after a training alert with only the alert policy's change", async () => {
    const monitor = [
      { status: "running", alerts: [{ kind: "diverged", text: "loss is nan" }], log_tail: "nan", metrics: { learning_rate: 0.0002 }, cost_usd: 0.3 },
      { status: "completed", alerts: [], log_tail: "pushed", metrics: { loss: 1 }, cost_usd: 1.2 },
    ];
    const { result, of } = await runAll(makePipeline(), TASK, { ...happyAnswers(), "t-job-monitor": monitor });
    expect(result.stoppedReason).toBe("completed");
    const second = of("t-job")[1].context;
    expect(second.changes).toMatchObject({ kind: "alert", changes: { learning_rate: 0.00002 } });
    expect(Object.keys(second.changes.changes)).toEqual(["learning_rate"]);
    expect(second.previousJob).toMatchObject({ job_id: "job-1" });
  });

  it("alert-unresolved when the alert policy has nothing to scale", async () => {
    const monitor = { status: "running", alerts: [{ kind: "diverged", text: "loss is nan" }], log_tail: "nan", metrics: {}, cost_usd: 0.3 };
    // The preflight reports no learning rate, and neither does the monitor.
    const preflight = (call: Call) => ({ job_id: "p", status: "completed", log_tail: "ok", cost_usd: 0.1, flavor: call.context.flavor, config: { per_device_train_batch_size: 4, gradient_accumulation_steps: 4, gradient_checkpointing: false }, ...PREFLIGHT_CODE });
    const cancelling = (call: Call) => (call.context.cancel === true ? { ...monitor, status: "cancelled", alerts: [] } : monitor);
    const answers = { ...happyAnswers(), "t-job-monitor": cancelling, "t-preflight": preflight };
    const { result, of } = await runAll(makePipeline(), TASK, answers);
    expect(result).toMatchObject({ stoppedReason: "alert-unresolved", step: "job" });
    // The job with alerts was cancelled before the policy was consulted.
    expect(of("t-job-monitor").map((call) => call.context.cancel === true)).toEqual([false, true]);
    expect(result.events.find((event) => event.kind === "cancel")?.detail).toContain('status "cancelled"');
  });

  it("completion-criteria-unmet for an unmet or unanswered criterion", async () => {
    const unmet = { criteria: [{ id: "C1", met: true, evidence: "x" }, { id: "C2", met: false, evidence: "" }], verdict: "fail", summary: "no eval" };
    const first = await runAll(makePipeline(), TASK, { ...happyAnswers(), "t-completion": unmet });
    expect(first.result).toMatchObject({ stoppedReason: "completion-criteria-unmet", step: "completion", data: { unmet: ["C2"] } });
    const unanswered = { criteria: [{ id: "C1", met: true, evidence: "x" }], verdict: "pass", summary: "ok" };
    const second = await runAll(makePipeline(), TASK, { ...happyAnswers(), "t-completion": unanswered });
    expect(second.result.data).toEqual({ unmet: ["C2"] });
    expect(second.of("t-loop")).toHaveLength(0);
    // A pass verdict does not cover a criterion answered unmet, or met under another id.
    const claimed = { criteria: [{ id: "C1", met: true, evidence: "x" }, { id: "C2", met: false, evidence: "" }, { id: "c2", met: true, evidence: "trust me" }], verdict: "pass", summary: "all good" };
    const third = await runAll(makePipeline(), TASK, { ...happyAnswers(), "t-completion": claimed });
    expect(third.result).toMatchObject({ stoppedReason: "completion-criteria-unmet", data: { unmet: ["C2"] } });
  });

  it("iteration-budget-exhausted when the agent calls do not fit the contract", async () => {
    // intake and plan use 2 of 3 calls; the fan-out needs 2 finders at once.
    const { result, calls } = await runAll(makePipeline({ maxIterations: 3 }), TASK, happyAnswers());
    expect(result).toMatchObject({ stoppedReason: "iteration-budget-exhausted", step: "research" });
    expect(calls).toHaveLength(2);
    const single = await runAll(makePipeline({ maxIterations: 1 }), TASK, happyAnswers());
    expect(single.result).toMatchObject({ stoppedReason: "iteration-budget-exhausted", step: "plan" });
  });

  it("invalid-pipeline for an unknown kind or a critic without a target", async () => {
    const unknown = (list: Step[]) => [list[0], { ...list[1], kind: "teleport" as StepKind }];
    const first = await runAll(makePipeline({ steps: unknown }), TASK, happyAnswers());
    expect(first.result).toMatchObject({ stoppedReason: "invalid-pipeline", step: "plan" });
    const orphan = (list: Step[]) => [list[0], { ...list[3], config: { reviews: "nowhere" } }];
    const second = await runAll(makePipeline({ steps: orphan }), TASK, happyAnswers());
    expect(second.result).toMatchObject({ stoppedReason: "invalid-pipeline", step: "verify" });
  });

  it("a run that already stopped is returned unchanged", async () => {
    const pipeline = makePipeline();
    const stand = makeWf(happyAnswers());
    const stopped = startRun(pipeline, {});
    expect(await runStep(stand.wf, pipeline, pipeline.steps[0], stopped)).toBe(stopped);
    expect(stand.calls).toEqual([]);
  });
});

describe("spend never exceeds the cap", () => {
  it("for any cap and any mix of job outcomes whose actual cost stays within the estimate", async () => {
    const outcome = fc.constantFrom("completed", "oom", "import", "alert", "running");
    await fc.assert(
      fc.asyncProperty(
        fc.double({ min: 0.05, max: 40, noNaN: true }),
        fc.array(outcome, { minLength: 1, maxLength: 6 }),
        fc.array(outcome, { minLength: 1, maxLength: 6 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        async (cap, preflightOutcomes, monitorOutcomes, costShare) => {
          const preflight = (call: Call) => {
            const kind = preflightOutcomes[Math.min(call.n - 1, preflightOutcomes.length - 1)];
            const failed = kind !== "completed";
            return {
              job_id: `p${call.n}`,
              status: failed ? "failed" : "completed",
              log_tail: kind === "oom" ? OOM_LOG : failed ? `ModuleNotFoundError: No module named 'x${call.n}'` : "ok",
              cost_usd: Number((call.context.estimateUsd * costShare).toFixed(6)),
              flavor: call.context.flavor,
              config: { per_device_train_batch_size: 8, gradient_accumulation_steps: 1, gradient_checkpointing: false, ...pick(call.context.requiredConfigChanges) },
              ...PREFLIGHT_CODE,
            };
          };
          let lastEstimate = 0;
          const submitter = (call: Call) => {
            lastEstimate = call.context.estimateUsd;
            return { job_id: `j${call.n}`, status: "submitted", url: null, submitted: asSubmitted(call) };
          };
          const monitor = (call: Call) => {
            const kind = monitorOutcomes[Math.min(call.n - 1, monitorOutcomes.length - 1)];
            const cost = Number((lastEstimate * costShare).toFixed(6));
            if (kind === "completed") return { status: "completed", alerts: [], log_tail: "done", metrics: {}, cost_usd: cost };
            if (kind === "alert") return { status: "running", alerts: [{ kind: "overfitting", text: "eval loss up" }], log_tail: `a${call.n}`, metrics: { n: call.n }, cost_usd: cost };
            if (kind === "running") return { status: "running", alerts: [], log_tail: `r${call.n}`, metrics: { n: call.n }, cost_usd: cost };
            return { status: "failed", alerts: [], log_tail: kind === "oom" ? OOM_LOG + ` ${call.n}` : `ModuleNotFoundError: No module named 'y${call.n}'`, metrics: {}, cost_usd: cost };
          };
          const answers = { ...happyAnswers(), "t-preflight": preflight, "t-job": submitter, "t-job-monitor": monitor, "t-loop": { improved: true, summary: "s", continue: true, cost_usd: 0.01 } };
          const { result } = await runAll(makePipeline(), { ...TASK, costCapUsd: cap }, answers);
          expect(result.spend.committedUsd).toBeLessThanOrEqual(cap + 1e-9);
          expect(STOP_REASONS).toContain(result.stoppedReason);
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe("STOP_REASONS", () => {
  it("lists every reason the tests reached, and they reached all but the rare ones", () => {
    for (const reason of seenReasons) expect(STOP_REASONS).toContain(reason);
    // Only meaningful after the whole file ran (not under a -t filter).
    if (seenReasons.size < 10) return;
    const required = [
      "completed", "missing-argument", "needs-clarification", "agent-failed", "critic-rejected", "resource-missing", "smoke-test-failed",
      "repetition-detected", "scope-change-requires-approval", "needs-approval", "cost-cap-reached", "oom-ladder-exhausted", "checklist-incomplete",
      "submit-invariant-violated", "monitoring-budget-exhausted", "retries-exhausted", "completion-criteria-unmet", "iteration-budget-exhausted",
      "step-blocked", "no-hardware-fits", "preflight-failed", "alert-unresolved", "invalid-pipeline",
    ];
    for (const reason of required) expect([...seenReasons]).toContain(reason);
    expect(new Set(STOP_REASONS).size).toBe(STOP_REASONS.length);
  });
});
