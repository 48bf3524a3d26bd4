// Attacks on the job half of the compiled ml-research workflow (issue 9, items 3, 5 and 8): agents
// that answer so as to get around monitoring, the submit invariant, the OOM ladder and the failure
// taxonomy. Each scenario drives the compiled pipeline under the stand-in and asserts the stop.
import { join } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { compile } from "../compiler/compile.js";
import type { Pipeline } from "../compiler/pipeline.js";
import { readSpec } from "../compiler/read-spec.js";
import { classifyFailureLog } from "../runtime/core/oom.js";
import { contextOf, cooperativeAnswer, preflightReport, submitterReport, type AnswerInfo } from "../runtime/proof/answers.js";
import { standInRun } from "../runtime/proof/prove.js";
import { TARGETS } from "../targets/index.js";
import { ROOT } from "./helpers/paths.js";

const BASELINE = { method: "lora", model: "org/model", dataset: "org/data", sequence_length: "2048" };
const OOM = "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB";
const ARGS = { task: "fine-tune org/model on org/data with LoRA", cost_cap_usd: 100 };

let ml: Pipeline;
beforeAll(async () => {
  const spec = "specs/ml-research.md";
  const result = await compile(readSpec(join(ROOT, spec), { displayPath: spec }), { target: TARGETS["claude-code"], sourcePath: spec, speccVersion: "test" });
  expect(result.problems).toEqual([]);
  ml = result.pipeline!;
});

type Override = (info: AnswerInfo) => unknown;

/** Run ml-research as a training task; `override` answers where it returns something, the cooperative stand-in elsewhere. */
async function attack(override: Override, options: { args?: { [key: string]: unknown }; taskClass?: string } = {}) {
  const calls: AnswerInfo[] = [];
  const answer = (info: AnswerInfo) => {
    calls.push(info);
    const given = override(info);
    if (given !== undefined) return given;
    const cooperative = cooperativeAnswer(info) as { [key: string]: unknown };
    if (info.step.kind === "intake") return { ...cooperative, task_class: options.taskClass ?? "training", answer: null };
    return cooperative;
  };
  const result = await standInRun(ml, { args: options.args ?? ARGS, answer, baseline: BASELINE });
  const of = (kind: string, slot: string) => calls.filter((info) => info.step.kind === kind && info.slot === slot);
  const cancels = () => of("job", "monitor").filter((info) => contextOf(info).cancel === true);
  return { result, calls, of, cancels };
}

const poll = (status: string, extra: { [key: string]: unknown } = {}) => ({ status, alerts: [], log_tail: "loading shards", metrics: {}, cost_usd: 0.2, ...extra });

/** A monitor that answers `polls` in turn (the last one repeated), and confirms a cancel. */
function monitorSaying(polls: unknown[]): Override {
  let n = 0;
  return (info) => {
    if (info.step.kind !== "job" || info.slot !== "monitor") return undefined;
    if (contextOf(info).cancel === true) return poll("cancelled");
    return polls[Math.min(n++, polls.length - 1)];
  };
}

describe("monitoring that waits", () => {
  test("three identical 'running' polls (a shard download), then completed: the run completes", async () => {
    const { result, of } = await attack(monitorSaying([poll("running"), poll("running"), poll("running"), poll("completed", { log_tail: "pushed" })]));
    expect(result.status).toBe("completed");
    expect(result.outputs["full-job"]).toMatchObject({ status: "completed" });
    const polls = of("job", "monitor");
    expect(polls).toHaveLength(4);
    // Each check waits a bounded time sized to the job's timeout.
    const context = contextOf(polls[0]);
    expect(context.waitSeconds).toBeGreaterThanOrEqual(60);
    expect(context.waitSeconds).toBeLessThanOrEqual(540);
    expect(polls[0].prompt).toContain(`Wait up to ${context.waitSeconds} seconds`);
  });

  test("a healthy job still changing after 60 polls within its timeout is not stopped early", async () => {
    const running = Array.from({ length: 60 }, (_, index) => poll("running", { metrics: { step: index * 10 } }));
    const { result, of } = await attack(monitorSaying([...running, poll("completed")]), { args: { ...ARGS, cost_cap_usd: 1000 } });
    expect(result.status).toBe("completed");
    const polls = of("job", "monitor");
    expect(polls).toHaveLength(61);
    // The 60 checks span the 4h timeout: they are spread over it, not back to back.
    expect(contextOf(polls[0]).waitSeconds * 60).toBeGreaterThanOrEqual(4 * 3600);
  });

  test("a job still running past its timeout ends the run, and the stop cancels it by id", async () => {
    const { result, cancels } = await attack(monitorSaying([poll("running")]));
    expect(result).toMatchObject({ status: "stopped", stoppedReason: "monitoring-budget-exhausted", step: "full-job" });
    expect(cancels()).toHaveLength(1);
    expect(result.detail).toMatch(/job job-1 was cancelled/);
  });

  test("a monitor that dies mid-job stops the run, and the job is cancelled or named as still billing", async () => {
    let n = 0;
    const { result, cancels } = await attack((info) => {
      if (info.step.kind !== "job" || info.slot !== "monitor") return undefined;
      if (contextOf(info).cancel === true) return null; // it cannot even cancel
      return n++ < 2 ? poll("running", { metrics: { n } }) : null;
    });
    expect(result).toMatchObject({ status: "stopped", stoppedReason: "agent-failed", step: "full-job" });
    expect(cancels()).toHaveLength(1);
    expect(result.detail).toMatch(/job job-1 could not be confirmed cancelled .*may still be billing/);
  });

  test("a job whose failures repeat gets the repetition guard's correction first, and only a repeat after it stops", async () => {
    const failing = { status: "failed", alerts: [], log_tail: "ModuleNotFoundError: No module named 'trackio'", metrics: {}, cost_usd: 0.2 };
    const { result, of } = await attack(monitorSaying([failing]), { args: { ...ARGS, cost_cap_usd: 1000 } });
    expect(result).toMatchObject({ status: "stopped", stoppedReason: "repetition-detected", step: "full-job" });
    expect(result.detail).toContain("after the correction was injected");
    const submits = of("job", "submitter");
    expect(submits).toHaveLength(4);
    expect(contextOf(submits[3]).repetitionGuard).toContain("REPETITION GUARD");
    expect(contextOf(submits[2]).repetitionGuard).toBeUndefined();
  });

  test("a training alert on a running job cancels it before the resubmission", async () => {
    const alert = poll("running", { alerts: [{ kind: "overfitting", text: "eval loss rising" }], metrics: { weight_decay: 0.01 } });
    const { result, of, cancels } = await attack(monitorSaying([alert, poll("completed")]));
    expect(result.status).toBe("completed");
    expect(cancels()).toHaveLength(1);
    const second = contextOf(of("job", "submitter")[1]);
    expect(second.previousJob).toMatchObject({ job_id: "job-1", status: "cancelled" });
    expect(second.submit.config).toMatchObject({ weight_decay: 0.1 });
  });
});

describe("the submit invariant on what is actually submitted", () => {
  const readiness = (job: { [key: string]: unknown }): Override => (info) =>
    info.step.kind === "readiness" ? { ...(cooperativeAnswer(info) as object), job: { ...((cooperativeAnswer(info) as { job: object }).job), ...job } } : undefined;

  test("a100x8 for a 1B LoRA job is refused before any job is submitted", async () => {
    const { result, of } = await attack(readiness({ flavor: "a100x8" }));
    expect(result).toMatchObject({ stoppedReason: "submit-invariant-violated", step: "job-readiness" });
    expect((result.data as { violations: { code: string }[] }).violations.map((violation) => violation.code)).toContain("flavor-oversized");
    expect(of("job", "submitter")).toHaveLength(0);
  });

  test("a training job that calls itself inference (to get 30 minutes) is refused", async () => {
    const { result, of } = await attack(readiness({ work: "inference", timeout_hours: 0.5 }));
    expect(result).toMatchObject({ stoppedReason: "submit-invariant-violated", step: "job-readiness" });
    const codes = (result.data as { violations: { code: string }[] }).violations.map((violation) => violation.code);
    expect(codes).toEqual(expect.arrayContaining(["work-kind-mismatch", "timeout-platform-default"]));
    expect(of("job", "submitter")).toHaveLength(0);
  });

  test("`python train.py` as inline code is a local path, not code", async () => {
    const { result } = await attack(readiness({ code: { kind: "inline", value: "python train.py --learning_rate 2e-4" } }));
    expect(result).toMatchObject({ stoppedReason: "submit-invariant-violated", step: "job-readiness" });
    expect(result.detail).toContain("code-local-path");
  });

  test("a submitter that submits on a bigger flavor than approved is caught and its job cancelled", async () => {
    const { result, cancels } = await attack((info) => {
      if (info.step.kind === "job" && info.slot === "submitter") {
        const report = submitterReport(info) as { submitted: object };
        return { ...report, submitted: { ...report.submitted, flavor: "a100x8" } };
      }
      return monitorSaying([poll("running")])(info);
    });
    expect(result).toMatchObject({ stoppedReason: "submit-invariant-violated", step: "full-job" });
    expect(result.detail).toContain("flavor-not-approved");
    expect(cancels()).toHaveLength(1);
    expect(result.detail).toMatch(/job job-1 was cancelled/);
  });

  test("a resubmission whose fixed script is a local path is refused, though the frozen plan was fine", async () => {
    const failing = { status: "failed", alerts: [], log_tail: "ModuleNotFoundError: No module named 'peft'", metrics: {}, cost_usd: 0.2 };
    const { result, of } = await attack((info) => {
      if (info.step.kind === "job" && info.slot === "submitter") {
        const report = submitterReport(info) as { submitted: object };
        return info.count === 1 ? report : { ...report, submitted: { ...report.submitted, code: { kind: "url", value: "file:///home/me/train_fixed.py" } } };
      }
      return monitorSaying([failing, poll("running")])(info);
    });
    expect(result).toMatchObject({ stoppedReason: "submit-invariant-violated", step: "full-job" });
    expect(result.detail).toMatch(/job job-2 as submitted: code-local-path/);
    expect(of("job", "submitter")).toHaveLength(2);
  });

  test("the GPU preflight is checked too: a preflight run from a local path stops before the next spend", async () => {
    const { result, of } = await attack((info) =>
      info.step.kind === "preflight" && info.slot === "worker" ? { ...preflightReport(info, { status: "completed", log_tail: "ok" }), code: { kind: "path", value: "./train.py" } } : undefined,
    );
    expect(result).toMatchObject({ stoppedReason: "submit-invariant-violated", step: "gpu-preflight" });
    expect(of("job", "submitter")).toHaveLength(0);
  });
});

describe("the OOM ladder, each rung once and verified", () => {
  test("OOM on every attempt: halve once, checkpointing once, one larger flavor once, then stop (4 billable preflights)", async () => {
    const { result, of } = await attack((info) => (info.step.kind === "preflight" && info.slot === "worker" ? preflightReport(info, { status: "failed", log_tail: OOM }) : undefined));
    expect(result).toMatchObject({ stoppedReason: "oom-ladder-exhausted", step: "gpu-preflight" });
    const attempts = of("preflight", "worker").map(contextOf);
    expect(attempts.map((context) => context.flavor)).toEqual(["t4-small", "t4-small", "t4-small", "l4x1"]);
    expect(attempts.map((context) => context.oom?.step ?? null)).toEqual([null, "halve-batch", "gradient-checkpointing", "larger-hardware"]);
    expect(Object.keys(result.spend.settled).filter((key) => key.startsWith("gpu-preflight/"))).toHaveLength(4);
  });

  test("a preflight worker that ignores the halved batch is caught before the next spend", async () => {
    const { result, of } = await attack((info) => {
      if (info.step.kind !== "preflight" || info.slot !== "worker") return undefined;
      const report = preflightReport(info, { status: "failed", log_tail: OOM });
      return { ...report, config: { per_device_train_batch_size: 8, gradient_accumulation_steps: 8, gradient_checkpointing: false } };
    });
    expect(result).toMatchObject({ stoppedReason: "submit-invariant-violated", step: "gpu-preflight" });
    expect(result.detail).toContain("override-not-applied");
    expect(of("preflight", "worker")).toHaveLength(2);
  });

  test("a job submitter that ignores the ladder's override on the resubmission is caught and its job cancelled", async () => {
    const failed = { status: "failed", alerts: [], log_tail: OOM, metrics: {}, cost_usd: 0.3 };
    const { result, cancels } = await attack((info) => {
      if (info.step.kind === "job" && info.slot === "submitter") {
        const report = submitterReport(info) as { submitted: object };
        return { ...report, submitted: { ...report.submitted, config: {} } };
      }
      return monitorSaying([failed, poll("running")])(info);
    });
    expect(result).toMatchObject({ stoppedReason: "submit-invariant-violated", step: "full-job" });
    expect(result.detail).toMatch(/job job-2 as submitted: override-not-applied/);
    expect(cancels()).toHaveLength(1);
  });

  test("a megabyte log tail is classified (and an OOM buried at its end still climbs the ladder)", async () => {
    const huge = "Because a depends on b ".repeat(45_000) + "\n" + OOM;
    expect(huge.length).toBeGreaterThan(1_000_000);
    expect(classifyFailureLog(huge)).toBe("oom");
    const { result } = await attack((info) => (info.step.kind === "preflight" && info.slot === "worker" ? preflightReport(info, { status: "failed", log_tail: huge }) : undefined));
    expect(result.stoppedReason).toBe("oom-ladder-exhausted");
  });
});

describe("failure classes", () => {
  test("a library used out of order is an api-misuse the fixer may repair; a megabyte of its words is still read", () => {
    expect(classifyFailureLog("RuntimeError: Call trackio.init() before trackio.finish().")).toBe("api-misuse");
    expect(classifyFailureLog("wandb.errors.Error: run has already been finished")).toBe("api-misuse");
    expect(classifyFailureLog("ValueError: finish() called twice")).toBe("api-misuse");
    expect(classifyFailureLog("we call it before lunch")).toBe("unknown");
    expect(classifyFailureLog("call ".repeat(200_000) + "x")).toBe("unknown");
  });

  test("an unknown failure in the preflight stops at once: no fixer, no second billable attempt", async () => {
    const { result, of } = await attack((info) =>
      info.step.kind === "preflight" && info.slot === "worker" ? preflightReport(info, { status: "failed", log_tail: "Segmentation fault (core dumped)" }) : undefined,
    );
    expect(result).toMatchObject({ stoppedReason: "preflight-failed", step: "gpu-preflight" });
    expect(result.detail).toContain("Segmentation fault");
    expect(of("preflight", "worker")).toHaveLength(1);
    expect(of("preflight", "fixer")).toHaveLength(0);
  });

  test("an unknown failure of the full job is reported, never resubmitted", async () => {
    const failed = { status: "failed", alerts: [], log_tail: "something odd happened", metrics: {}, cost_usd: 0.3 };
    const { result, of } = await attack(monitorSaying([failed]));
    expect(result).toMatchObject({ status: "stopped", step: "full-job" });
    expect(result.detail).toContain("the taxonomy does not know");
    expect(of("job", "submitter")).toHaveLength(1);
    expect(of("job", "fixer")).toHaveLength(0);
  });
});
