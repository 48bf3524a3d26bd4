// The examples: the recorders reproduce the committed replay fixtures byte for byte, the published
// run replays through the node runner to `completed`, and every stop fixture replays to the stop
// it is named after.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { realizeSpec } from "../compiler/compile.js";
import { runnablePipeline } from "../compiler/driver-pipeline.js";
import { readSpec } from "../compiler/read-spec.js";
import { createReplayExecutor, loadReplayFixture } from "../runtime/executors/replay.js";
import { runNodePipeline } from "../runtime/node/run.js";
import type { DriverPipeline } from "../runtime/workflow/types.js";
import { ROOT } from "./helpers/paths.js";

const SPEC = "specs/ml-research.md";
const TASK = "Fine-tune Qwen/Qwen2-0.5B on trl-lib/Capybara with LoRA on HF Jobs (cost cap is 10 USD)";
const RUN = join(ROOT, "examples/qwen2-capybara/run.jsonl");
const STOPS_DIR = join(ROOT, "examples/stops");
const STOP_FILES = readdirSync(STOPS_DIR).filter((name) => name.endsWith(".jsonl")).sort();

let realized: DriverPipeline | null = null;

/** The ml-research pipeline as `specc run` realizes it, from the sources. */
function pipeline(): DriverPipeline {
  if (realized) return realized;
  const file = readSpec(join(ROOT, SPEC), { displayPath: SPEC });
  const spec = realizeSpec(file, { sourcePath: SPEC });
  if (!spec.ok) throw new Error(`${SPEC} does not realize`);
  realized = runnablePipeline(spec.pipeline);
  return realized;
}

/** The agent calls a fixture records (its JSON lines). */
function recordedCalls(path: string): number {
  return readFileSync(path, "utf8").split("\n").filter((line) => line.trim() !== "" && !line.trim().startsWith("//")).length;
}

/** The args a fixture's `// args:` line names, as `specc run` builds them from --task and --param. */
function fixtureArgs(path: string, declared: DriverPipeline["params"]): { [key: string]: unknown } {
  const line = readFileSync(path, "utf8").split("\n").find((entry) => entry.startsWith("// args:"));
  if (!line) return { task: TASK };
  const args: { [key: string]: unknown } = { task: /--task "([^"]*)"/.exec(line)?.[1] ?? TASK };
  for (const [, name, value] of line.matchAll(/--param ([A-Za-z_]+)=(\S+)/g)) {
    const type = declared.find((param) => param.name === name)?.type ?? (name === "cost_cap_usd" ? "number" : "string");
    args[name] = type === "number" || type === "integer" ? Number(value) : type === "boolean" ? value === "true" : value;
  }
  return args;
}

/** The first line where two texts differ, or null when they are the same bytes. */
function firstDifference(actual: string, expected: string): string | null {
  if (actual === expected) return null;
  const a = actual.split("\n");
  const b = expected.split("\n");
  const at = a.findIndex((line, index) => line !== b[index]);
  const index = at === -1 ? a.length : at;
  return `line ${index + 1}:\n  recorded now: ${(a[index] ?? "(end of file)").slice(0, 300)}\n  committed:    ${(b[index] ?? "(end of file)").slice(0, 300)}`;
}

async function replay(path: string, args: { [key: string]: unknown }) {
  const outcome = await runNodePipeline(pipeline(), { args, executor: createReplayExecutor(loadReplayFixture(path)) });
  if (!outcome.result) throw new Error(`the replay of ${path} was interrupted: ${outcome.interrupt.detail}`);
  return { result: outcome.result, report: outcome.report };
}

describe("the recorders reproduce the committed fixtures", () => {
  // The recorders run the built compiler and runtime (dist/), as `node examples/…/record.mjs` does.
  const built = existsSync(join(ROOT, "dist/compiler/driver-pipeline.js")) && existsSync(join(ROOT, "dist/runtime/proof/prove.js"));

  test("examples/qwen2-capybara/run.jsonl", async () => {
    expect(built, "dist/ is missing: run `npm run build` first").toBe(true);
    const recorder = (await import("../examples/qwen2-capybara/record.mjs")) as { recordPublishedRun: () => Promise<{ text: string }> };
    const { text } = await recorder.recordPublishedRun();
    const difference = firstDifference(text, readFileSync(RUN, "utf8"));
    expect(difference, `examples/qwen2-capybara/run.jsonl is not what the driver records now (after \`npm run build\`): rerun \`node examples/qwen2-capybara/record.mjs\` and review the diff. First difference at ${difference}`).toBeNull();
  });

  test("examples/stops/*.jsonl", async () => {
    expect(built, "dist/ is missing: run `npm run build` first").toBe(true);
    const recorder = (await import("../examples/stops/record.mjs")) as { recordStops: () => Promise<{ stop: { reason: string }; text: string }[]> };
    const fixtures = await recorder.recordStops();
    expect(fixtures.map(({ stop }) => `${stop.reason}.jsonl`).sort(), "examples/stops/ holds other fixtures than examples/stops/record.mjs records: rerun `node examples/stops/record.mjs`").toEqual(STOP_FILES);
    for (const { stop, text } of fixtures) {
      const difference = firstDifference(text, readFileSync(join(STOPS_DIR, `${stop.reason}.jsonl`), "utf8"));
      expect(difference, `examples/stops/${stop.reason}.jsonl is not what the driver records now (after \`npm run build\`): rerun \`node examples/stops/record.mjs\` and review the diff. First difference at ${difference}`).toBeNull();
    }
  });
});

test("the published run replays to completed: two preflight failures fixed from their logs, one L40S job, within the cap", async () => {
  const { result, report } = await replay(RUN, { task: TASK });
  expect(result, result.detail).toMatchObject({ status: "completed", stoppedReason: "completed", taskClass: "training" });
  // Every recorded answer was asked for, in order.
  expect(report.agents.reduce((sum, agent) => sum + agent.calls, 0)).toBe(recordedCalls(RUN));
  expect(report.agents.every((agent) => agent.failed === 0)).toBe(true);
  // The GPU preflight: two failures, each diagnosed by the fixer and fixed, then a pass on the third attempt.
  const fixes = result.events.filter((event) => event.step === "gpu-preflight" && event.kind === "fix").map((event) => event.detail);
  expect(fixes).toHaveLength(2);
  expect(fixes[0]).toMatch(/^dataset-schema: .*LoRA config/);
  expect(fixes[1]).toMatch(/^api-misuse: .*trackio\.finish/);
  expect(result.outputs["gpu-preflight"]).toMatchObject({ status: "completed", attempts: 3 });
  // One full job, on one L40S, completed; eval loss 1.42 → 1.21.
  expect(result.artifacts).toHaveLength(1);
  expect(result.artifacts[0]).toMatchObject({ kind: "job", flavor: "l40sx1", metrics: { eval_loss: 1.21, first_eval_loss: 1.42 } });
  expect(result.outputs["full-job"]).toMatchObject({ status: "completed", flavor: "l40sx1", timeoutHours: 2, submissions: 1 });
  // Spend: every billable job committed at its worst case (3 × $0.20 preflights, $3.60 for the job), under the cap.
  expect(Object.keys(result.spend.settled).filter((key) => key.startsWith("gpu-preflight/"))).toHaveLength(3);
  expect(Object.keys(result.spend.settled).filter((key) => key.startsWith("full-job/"))).toHaveLength(1);
  expect(result.spend.capUsd).toBe(10);
  expect(result.spend.committedUsd).toBeLessThanOrEqual(10);
  expect(result.spend.committedUsd).toBeCloseTo(4.2, 6);
});

describe("each stop fixture replays to the stop it is named after", () => {
  const driver = pipeline();
  test.each(STOP_FILES)("%s", async (name) => {
    const path = join(STOPS_DIR, name);
    const { result, report } = await replay(path, fixtureArgs(path, driver.params));
    const reason = name.replace(/\.jsonl$/, "");
    expect(result.stoppedReason, result.detail).toBe(reason);
    expect(result.status).toBe(reason === "answered" ? "completed" : "stopped");
    expect(report.agents.reduce((sum, agent) => sum + agent.calls, 0), "every recorded call is replayed").toBe(recordedCalls(path));
    if (result.spend.capUsd !== null) expect(result.spend.committedUsd).toBeLessThanOrEqual(result.spend.capUsd);
  });
});
