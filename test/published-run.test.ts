// The happy path of the published experiment, under the stand-in: a GPU preflight that fails twice
// on monitoring bugs and is fixed, then one full job of about an hour on one L40S, within a 10 USD cap.
import { join } from "node:path";
import { expect, test } from "vitest";
import { compile } from "../compiler/compile.js";
import { readSpec } from "../compiler/read-spec.js";
import { contextOf, cooperativeAnswer, preflightReport, submitterReport, type AnswerInfo } from "../runtime/proof/answers.js";
import { standInRun } from "../runtime/proof/prove.js";
import { TARGETS } from "../targets/index.js";
import { ROOT } from "./helpers/paths.js";

const TASK = "Fine-tune Qwen/Qwen2-0.5B on trl-lib/Capybara with LoRA, max length 2048 (cost cap is 10 USD)";
const BUGS = [
  "TypeError: Trackio.init() got an unexpected keyword argument 'space'",
  "TypeError: log() got an unexpected keyword argument 'step_metrics'",
];

test("the published run: two preflight failures fixed from their logs, then one hour on one L40S, completed under the cap", async () => {
  const spec = "specs/ml-research.md";
  const { pipeline, problems } = await compile(readSpec(join(ROOT, spec), { displayPath: spec }), { target: TARGETS["claude-code"], sourcePath: spec, speccVersion: "test" });
  expect(problems).toEqual([]);
  const fixes: string[] = [];
  const answer = (info: AnswerInfo): unknown => {
    const base = cooperativeAnswer(info) as { [key: string]: unknown };
    if (info.step.kind === "intake") return { ...base, baseline: { method: "lora", model: "Qwen/Qwen2-0.5B", dataset: "trl-lib/Capybara", sequence_length: "2048" } };
    if (info.step.kind === "preflight" && info.slot === "worker") {
      const bug = BUGS[info.count - 1];
      return bug ? preflightReport(info, { status: "failed", log_tail: bug }) : preflightReport(info, { status: "completed", log_tail: "step 10: loss 1.9; metric logged" });
    }
    if (info.step.kind === "preflight" && info.slot === "fixer") {
      fixes.push(String(contextOf(info).failure?.class));
      return { analysis: "the dashboard call uses an argument the installed version does not take", failure_class: "wrong-argument", changes: {}, description: "drop the argument" };
    }
    if (info.step.kind === "readiness") {
      const job = (base.job ?? {}) as { [key: string]: unknown };
      return { ...base, job: { ...job, flavor: "l40sx1", timeout_hours: 2 } };
    }
    if (info.step.kind === "job" && info.slot === "submitter") return submitterReport(info);
    if (info.step.kind === "job" && info.slot === "monitor") return { status: "completed", alerts: [], log_tail: "train_runtime 3600s", metrics: { eval_loss: 1.21 }, cost_usd: 1.8 };
    return base;
  };
  const result = await standInRun(pipeline!, { args: { task: TASK }, answer, baseline: {} });
  expect(result, result.detail).toMatchObject({ status: "completed", stoppedReason: "completed" });
  expect(fixes).toEqual(["wrong-argument", "wrong-argument"]);
  // Nothing settles below its reservation on an agent's word: three half-hour preflights and one
  // two-hour L40S job are committed at their worst case, and it all fits under the cap.
  expect(result.spend.capUsd).toBe(10);
  expect(result.spend.committedUsd).toBeLessThanOrEqual(10);
  expect(Object.keys(result.spend.settled).filter((key) => key.startsWith("gpu-preflight/"))).toHaveLength(3);
  expect(Object.keys(result.spend.settled).filter((key) => key.startsWith("full-job/"))).toHaveLength(1);
});
