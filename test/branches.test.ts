// Stand-in runs of compiled pipelines: the ML task branches, approvals a rerun can carry, the one
// required parameter filled by a string, and critics whose soft issues do not send a step back.
import { join } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { compile } from "../compiler/compile.js";
import type { Pipeline } from "../compiler/pipeline.js";
import { readSpec } from "../compiler/read-spec.js";
import { cooperativeAnswer, type AnswerInfo } from "../runtime/proof/answers.js";
import { standInRun } from "../runtime/proof/prove.js";
import { startRun } from "../runtime/workflow/index.js";
import { TARGETS } from "../targets/index.js";
import { ROOT } from "./helpers/paths.js";

async function pipelineOf(spec: string): Promise<Pipeline> {
  const result = await compile(readSpec(join(ROOT, spec), { displayPath: spec }), { target: TARGETS["claude-code"], sourcePath: spec, speccVersion: "test" });
  expect(result.problems).toEqual([]);
  return result.pipeline!;
}

const BASELINE = { method: "lora", model: "org/model", dataset: "org/data", sequence_length: "2048" };

function answering(taskClass: string, override?: (info: AnswerInfo) => unknown) {
  return (info: AnswerInfo) => {
    const given = override?.(info);
    if (given !== undefined) return given;
    const answer = cooperativeAnswer(info) as { [key: string]: unknown };
    if (info.step.kind === "intake") return { ...answer, task_class: taskClass, answer: taskClass === "trivial" ? "42" : null };
    return answer;
  };
}

let ml: Pipeline;
beforeAll(async () => {
  ml = await pipelineOf("specs/ml-research.md");
});

function ran(result: Awaited<ReturnType<typeof standInRun>>): string[] {
  return Object.entries(result.outputs as { [id: string]: { skipped?: boolean } })
    .filter(([, output]) => !(output && output.skipped === true))
    .map(([id]) => id);
}

describe("task branches of the ML pipeline", () => {
  test("a trivial request is answered at intake and the run ends", async () => {
    const result = await standInRun(ml, { args: { task: "what is LoRA?" }, answer: answering("trivial"), baseline: BASELINE });
    expect(result).toMatchObject({ status: "completed", stoppedReason: "answered" });
    expect(ran(result)).toEqual(["intake-and-planning"]);
    expect(result.spend.committedUsd).toBe(0);
  });

  test("training runs every step", async () => {
    const result = await standInRun(ml, { args: { task: "fine-tune", cost_cap_usd: 1000 }, answer: answering("training"), baseline: BASELINE });
    expect(result).toMatchObject({ status: "completed", stoppedReason: "completed" });
    expect(ran(result)).toEqual(expect.arrayContaining(["cpu-smoke-test", "gpu-preflight", "full-job", "final-verification"]));
  });

  test("evaluation skips the training smoke test and the preflight, but still sizes, gates and persists its job", async () => {
    const result = await standInRun(ml, { args: { task: "evaluate org/model on a benchmark", cost_cap_usd: 1000 }, answer: answering("evaluation"), baseline: BASELINE });
    expect(result).toMatchObject({ status: "completed", stoppedReason: "completed" });
    const steps = ran(result);
    expect(steps).not.toContain("cpu-smoke-test");
    expect(steps).not.toContain("gpu-preflight");
    expect(steps).toEqual(expect.arrayContaining(["resources", "job-readiness", "full-job", "evaluation-and-persistence", "final-verification"]));
    expect(Object.keys(result.spend.settled).some((key) => key.startsWith("full-job/"))).toBe(true);
    expect(result.events.find((event) => event.kind === "sizing")?.detail).toMatch(/eval/);
  });

  test("inference skips the preflight and the data audit", async () => {
    const result = await standInRun(ml, { args: { task: "run inference", cost_cap_usd: 1000 }, answer: answering("inference"), baseline: BASELINE });
    expect(result).toMatchObject({ status: "completed" });
    expect(ran(result)).not.toContain("gpu-preflight");
    expect(ran(result)).not.toContain("data-audit");
  });

  test("data-only ends after processing and persistence, before the final verification", async () => {
    const result = await standInRun(ml, { args: { task: "clean a dataset", cost_cap_usd: 1000 }, answer: answering("data"), baseline: BASELINE });
    expect(result).toMatchObject({ status: "completed", stoppedReason: "completed" });
    const steps = ran(result);
    expect(steps.at(-1)).toBe("evaluation-and-persistence");
    expect(steps).not.toContain("gpu-preflight");
    expect(steps).not.toContain("final-verification");
  });

  test("an intake that answers outside the classes stops the run", async () => {
    const result = await standInRun(ml, { args: { task: "x" }, answer: answering("astrology"), baseline: BASELINE });
    expect(result.status).toBe("stopped");
  });
});

describe("approvals a rerun can carry", () => {
  test("an interactive run stops at the first spend and names the argument that approves it; the rerun passes it", async () => {
    const first = await standInRun(ml, { args: { task: "fine-tune", mode: "interactive", cost_cap_usd: 1000 }, answer: answering("training"), baseline: BASELINE });
    expect(first).toMatchObject({ status: "stopped", stoppedReason: "needs-approval", step: "gpu-preflight" });
    expect(first.detail).toContain('{"approve": ["gpu-preflight"]}');
    const second = await standInRun(ml, { args: { task: "fine-tune", mode: "interactive", cost_cap_usd: 1000, approve: ["gpu-preflight"] }, answer: answering("training"), baseline: BASELINE });
    expect(second).toMatchObject({ status: "stopped", stoppedReason: "needs-approval", step: "full-job" });
    const third = await standInRun(ml, { args: { task: "fine-tune", mode: "interactive", cost_cap_usd: 1000, approve: "all-under-cap" }, answer: answering("training"), baseline: BASELINE });
    expect(third).toMatchObject({ status: "completed" });
  });

  test("an approval gate stops in autonomous mode too, until its id is approved; an agent saying it is approved does not count", async () => {
    const pipeline = await pipelineOf("specs/dataset-curation.md");
    const gate = pipeline.steps.find((step) => step.kind === "approval")!;
    const claiming = (info: AnswerInfo) => ({ ...(cooperativeAnswer(info) as object), approved: true, approve: [gate.id] });
    const args = { topic: "x", target_repo: "org/repo", cost_cap_usd: 1000 };
    const first = await standInRun(pipeline, { args, answer: claiming, baseline: {} });
    expect(first).toMatchObject({ status: "stopped", stoppedReason: "needs-approval", step: gate.id });
    expect(first.detail).toContain(`{"approve": ["${gate.id}"]}`);
    const second = await standInRun(pipeline, { args: { ...args, approve: [gate.id] }, answer: claiming, baseline: {} });
    expect(second.step).not.toBe(gate.id);
  });
});

describe("arguments", () => {
  test("a string argument fills the spec's one required parameter, whatever its name", async () => {
    const pipeline = await pipelineOf("test/corpus/newsletter.md");
    expect(pipeline.params.filter((param) => param.required).map((param) => param.name)).toEqual(["issue_date"]);
    const run = startRun(pipeline, "2026-03-06");
    expect(run.stop).toBeNull();
    expect(run.args).toMatchObject({ task: "2026-03-06", issue_date: "2026-03-06" });
    // The newsletter's approval gate still stops a string-only run, and names what to pass.
    const result = await standInRun(pipeline, { args: "2026-03-06" as never, answer: answering("x"), baseline: {} });
    expect(result).toMatchObject({ stoppedReason: "needs-approval" });
    const gates = pipeline.steps.filter((step) => step.kind === "approval").map((step) => step.id);
    const approved = await standInRun(pipeline, { args: { task: "2026-03-06", issue_date: "2026-03-06", approve: gates }, answer: answering("x"), baseline: {} });
    expect(approved.stoppedReason).toBe("completed");
  });
});

describe("critics with hard and soft issues", () => {
  test("a soft warning is passed on, not rerun; a hard issue sends the step back", async () => {
    const soft = await standInRun(ml, {
      args: { task: "fine-tune", cost_cap_usd: 1000 },
      answer: answering("training", (info) => (info.step.id === "verify-research" ? { verdict: "fail", issues: [{ severity: "soft", text: "one source is a preprint" }], summary: "minor" } : undefined)),
      baseline: BASELINE,
    });
    expect(soft.status).toBe("completed");
    expect(soft.events.filter((event) => event.step === "research").length).toBeLessThanOrEqual(1);
    expect(JSON.stringify(soft.notes)).toContain("preprint");
    let reruns = 0;
    const hard = await standInRun(ml, {
      args: { task: "fine-tune", cost_cap_usd: 1000 },
      answer: answering("training", (info) => {
        if (info.step.id === "research" && info.slot === "synthesis") reruns++;
        return info.step.id === "verify-research" ? { verdict: "pass", issues: [{ severity: "hard", text: "the paper does not exist" }], summary: "looks fine" } : undefined;
      }),
      baseline: BASELINE,
    });
    expect(hard).toMatchObject({ status: "stopped", stoppedReason: "critic-rejected" });
    expect(reruns).toBe(1 + ml.contract.maxRetries);
  });
});
