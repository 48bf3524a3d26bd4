// Lean, routed agents and diffs a reviewer can read (issue 9, items 6 and 7). Prompts carry what
// their step needs (a poll stays under 6 KB however much earlier steps wrote), pollers and finders
// run on a cheaper model, every call has its own label, the token budget stops a run before it
// overruns, and one rule's text plus one contract number changed in the canonical spec touch at
// most 4 files and 12 lines of the compiled output, with the new rule text in the workflow file.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { VFile } from "vfile";
import { beforeAll, describe, expect, test } from "vitest";
import { compile } from "../compiler/compile.js";
import type { Pipeline } from "../compiler/pipeline.js";
import { cooperativeAnswer, type AnswerInfo } from "../runtime/proof/answers.js";
import { finishRun, pipelineWithSchemas, runStep, startRun, type AgentCallOptions, type DriverPipeline, type RunResult, type WorkflowApi } from "../runtime/workflow/index.js";
import { pipelineRules, pipelineSchemas, scriptPipeline } from "../targets/claude-code/workflow.js";
import { TARGETS } from "../targets/index.js";
import { ROOT } from "./helpers/paths.js";
import { slotOf } from "./helpers/standin.js";

const SPEC = "specs/ml-research.md";
const OLD_RULE = "Every\n  training job gets at least 2 hours, sized by model size and written down with its basis;";
const NEW_RULE = "Every\n  training job gets at least 3 hours, sized by model size and written down with its basis;";
const NEW_RULE_TEXT = "Every training job gets at least 3 hours";

async function compiled(text: string): Promise<Map<string, string>> {
  const result = await compile(new VFile({ path: SPEC, value: text }), { target: TARGETS["claude-code"], sourcePath: SPEC, speccVersion: "test" });
  expect(result.problems).toEqual([]);
  return new Map(result.files.map((file) => [file.path, file.content]));
}

/** Lines removed plus lines added by a longest-common-subsequence line diff. */
export function changedLines(before: string, after: string): number {
  const a = before.split("\n");
  const b = after.split("\n");
  // Trim the common prefix and suffix so the table stays small.
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const x = a.slice(start, endA);
  const y = b.slice(start, endB);
  const table: number[][] = Array.from({ length: x.length + 1 }, () => new Array<number>(y.length + 1).fill(0));
  for (let i = x.length - 1; i >= 0; i--) for (let j = y.length - 1; j >= 0; j--) table[i][j] = x[i] === y[j] ? table[i + 1][j + 1] + 1 : Math.max(table[i + 1][j], table[i][j + 1]);
  return x.length + y.length - 2 * table[0][0];
}

function diff(before: Map<string, string>, after: Map<string, string>): { files: string[]; lines: number } {
  const files: string[] = [];
  let lines = 0;
  for (const path of new Set([...before.keys(), ...after.keys()])) {
    const count = changedLines(before.get(path) ?? "", after.get(path) ?? "");
    if (count > 0) {
      files.push(path);
      lines += count;
    }
  }
  return { files: files.sort(), lines };
}

describe("a one-rule text change plus one contract number", () => {
  test("touches at most 4 files and 12 lines, and the rule text shows in the workflow", async () => {
    const original = readFileSync(join(ROOT, SPEC), "utf8");
    expect(original).toContain(OLD_RULE);
    expect(original).toContain("- max_iterations: 300\n");
    const edited = original.replace(OLD_RULE, NEW_RULE).replace("- max_iterations: 300\n", "- max_iterations: 250\n");
    const before = await compiled(original);
    const after = await compiled(edited);
    const changed = diff(before, after);
    expect(changed.files.length).toBeLessThanOrEqual(4);
    expect(changed.lines).toBeLessThanOrEqual(12);
    const workflow = after.get(".claude/workflows/ml-research.js")!;
    expect(workflow).toContain(NEW_RULE_TEXT);
    expect(workflow).toContain("250");
    expect(before.get(".claude/workflows/ml-research.js")).not.toContain(NEW_RULE_TEXT);
  });

  test("the line diff counts removed plus added lines", () => {
    expect(changedLines("a\nb\nc", "a\nb\nc")).toBe(0);
    expect(changedLines("a\nb\nc", "a\nx\nc")).toBe(2);
    expect(changedLines("a\nb\nc", "a\nc")).toBe(1);
  });
});

// ---- lean, routed agents ----

const BASELINE = { method: "lora", model: "org/model", dataset: "org/data", sequence_length: "2048" };
const BULK = "x".repeat(4000);

let ml: Pipeline;
let driven: DriverPipeline;
beforeAll(async () => {
  const result = await compile(new VFile({ path: SPEC, value: readFileSync(join(ROOT, SPEC), "utf8") }), { target: TARGETS["claude-code"], sourcePath: SPEC, speccVersion: "test" });
  ml = result.pipeline!;
  // The pipeline exactly as the generated script hands it to the driver: schemas by key, rules once.
  const { schemas, keys } = pipelineSchemas(ml);
  driven = pipelineWithSchemas({ ...(scriptPipeline(ml, keys) as DriverPipeline), rules: pipelineRules(ml) }, schemas);
});

interface Captured {
  prompt: string;
  options: AgentCallOptions;
  slot: string;
  step: string;
}

/**
 * Drive the pipeline with cooperative stand-ins whose outputs are bulky (4 KB of text each), a
 * monitor that reports a running job five times before it completes, and an optional token budget.
 */
async function drive(options: { budget?: WorkflowApi["budget"]; answer?: (info: AnswerInfo) => unknown } = {}): Promise<{ result: RunResult; calls: Captured[]; logs: string[] }> {
  const calls: Captured[] = [];
  const logs: string[] = [];
  const counts = new Map<string, number>();
  const owners = new Map<string, { step: (typeof driven.steps)[number]; slot: string }>();
  for (const step of driven.steps) step.agents.forEach((agent, index) => owners.set(agent.name, { step, slot: slotOf(step as never, agent.role, index) }));
  const wf: WorkflowApi = {
    async agent(prompt, callOptions) {
      const owner = owners.get(callOptions.agentType)!;
      calls.push({ prompt, options: callOptions, slot: owner.slot, step: owner.step.id });
      const count = (counts.get(callOptions.agentType) ?? 0) + 1;
      counts.set(callOptions.agentType, count);
      const info: AnswerInfo = { ...owner, count, baseline: BASELINE, prompt };
      const given = options.answer?.(info);
      if (given !== undefined) return given;
      const answer = cooperativeAnswer(info) as { [key: string]: unknown };
      if (owner.slot === "monitor" && count <= 5) return { status: "running", alerts: [], log_tail: `step ${count * 10}`, metrics: { step: count * 10, loss: 2 - count / 10 }, cost_usd: 0.1 * count };
      if (owner.slot === "monitor" || owner.slot === "submitter") return answer;
      // Everything else writes a lot: the old prompts re-sent all of it on every poll.
      return { ...answer, summary: `${String(answer.summary ?? "done")} ${BULK}`, notes: BULK };
    },
    async parallel(thunks) {
      return Promise.all(thunks.map((thunk) => thunk().catch(() => null)));
    },
    log(line) {
      logs.push(line);
    },
    budget: options.budget,
  };
  let run = startRun(driven, { task: "fine-tune org/model on org/data with lora", cost_cap_usd: 1000, mode: "autonomous" });
  for (const step of driven.steps) {
    if (run.stop) break;
    run = await runStep(wf, driven, step, run);
  }
  return { result: finishRun(driven, run), calls, logs };
}

describe("lean prompts", () => {
  test("every poll of a running job stays under 6 KB, however much earlier steps wrote", async () => {
    const { result, calls } = await drive();
    const polls = calls.filter((call) => call.slot === "monitor");
    expect(polls.length).toBeGreaterThanOrEqual(6);
    for (const poll of polls) expect(Buffer.byteLength(poll.prompt, "utf8")).toBeLessThanOrEqual(6 * 1024);
    // Earlier outputs alone are far over 6 KB: re-sending them (the old prompts) could not fit.
    const written = Object.values(result.outputs).map((output) => JSON.stringify(output).length).reduce((a, b) => a + b, 0);
    expect(written).toBeGreaterThan(30 * 1024);
    expect(result.stoppedReason).not.toBe("repetition-detected");
  });

  test("a step gets the whole output of the step before it and a one-line summary of the rest", async () => {
    const { calls } = await drive();
    const implement = calls.find((call) => call.step === "implement" && call.slot === "worker")!;
    const context = JSON.parse(implement.prompt.slice(implement.prompt.indexOf("{")));
    expect(Object.keys(context.inputs)).toEqual(["data-audit"]);
    const smoke = calls.find((call) => call.step === "cpu-smoke-test" && call.slot === "worker")!;
    // After a critic step, the work it reviewed, not the verdict.
    expect(Object.keys(JSON.parse(smoke.prompt.slice(smoke.prompt.indexOf("{"))).inputs)).toEqual(["implement"]);
    expect(context.inputs["data-audit"].notes).toContain("more characters");
    for (const line of Object.values(context.earlierSteps as { [id: string]: string })) expect(line.length).toBeLessThanOrEqual(160);
    expect(context.earlierSteps).toHaveProperty("intake-and-planning");
    expect(context).not.toHaveProperty("previousOutputs");
  });

  test("a critic gets the reviewed output once, in its review", async () => {
    const { calls } = await drive();
    const critic = calls.find((call) => call.step === "code-review")!;
    const context = JSON.parse(critic.prompt.slice(critic.prompt.indexOf("{")));
    expect(context.review.step.id).toBe("implement");
    expect(context.inputs ?? {}).not.toHaveProperty("implement");
  });

  test("rule texts reach the agents bound by them; a poll gets their headlines", async () => {
    const { calls } = await drive();
    const rule = pipelineRules(ml).R5;
    expect(rule).toContain("at least 2 hours");
    const implement = calls.find((call) => call.step === "implement" && call.slot === "worker")!;
    expect(implement.prompt).toContain(rule);
    const poll = calls.find((call) => call.slot === "monitor")!;
    expect(poll.prompt).toContain("- R5 (MUST) Size timeouts\n");
    expect(poll.prompt).not.toContain("at least 2 hours");
  });

});

describe("routed agents", () => {
  test("pollers and finders run on a cheaper model; the rest inherit the session's", async () => {
    const { calls } = await drive();
    for (const call of calls) {
      if (call.slot === "monitor") expect(call.options).toMatchObject({ model: "haiku", effort: "low" });
      else if (call.slot === "finder") expect(call.options).toMatchObject({ model: "haiku" });
      else expect(call.options).not.toHaveProperty("model");
    }
    expect(calls.some((call) => call.slot === "finder")).toBe(true);
  });

  test("a route in the pipeline data cannot replace the agent type, label, phase or schema", async () => {
    const forged = { ...driven, steps: driven.steps.map((step) => ({ ...step, agents: step.agents.map((agent) => ({ ...agent, route: { agentType: "general-purpose", label: "x", phase: "y", schema: "z", model: "opus" } })) })) };
    const seen: AgentCallOptions[] = [];
    const wf: WorkflowApi = { agent: async (_prompt, options) => (seen.push(options), null), parallel: async (thunks) => Promise.all(thunks.map((thunk) => thunk())), log() {} };
    const run = startRun(forged, { task: "x" });
    await runStep(wf, forged, forged.steps[0], run);
    expect(seen[0]).toMatchObject({ agentType: forged.steps[0].agents[0].name, phase: forged.steps[0].title, model: "opus" });
    expect(seen[0].label).not.toBe("x");
    expect(typeof seen[0].schema).toBe("object");
  });

  test("a schema key that names no schema (or the prototype) still checks for an object", () => {
    const pipeline = pipelineWithSchemas({ ...driven, steps: [{ ...driven.steps[0], agents: [{ ...driven.steps[0].agents[0], schema: "__proto__" as never }] }] }, Object.create(null));
    expect(pipeline.steps[0].agents[0].schema).toEqual({ type: "object" });
  });

  test("every call has its own label, naming its step and attempt", async () => {
    const { calls } = await drive();
    const labels = calls.map((call) => call.options.label);
    expect(new Set(labels).size).toBe(labels.length);
    for (const call of calls) expect(call.options.label).toMatch(new RegExp(`^${call.step}(-review)? · ${call.options.agentType} · attempt \\d+ · call \\d+$`));
    expect(labels.filter((label) => label.includes("monitor")).every((label) => /attempt \d+ · call \d+$/.test(label))).toBe(true);
  });

  test("one progress line per phase with spend against the cap", async () => {
    const { logs, result } = await drive();
    const ran = driven.steps.filter((step) => Object.hasOwn(result.outputs, step.id) && !(result.outputs[step.id] as { skipped?: boolean }).skipped);
    expect(ran.length).toBeGreaterThan(10);
    for (const { title } of ran) {
      expect(logs.filter((line) => line.startsWith(title + ": starting ($"))).toHaveLength(1);
    }
    expect(logs.some((line) => / of \$1000\.00 cap committed, \d+ of 300 agent calls\)$/.test(line))).toBe(true);
  });
});

describe("the token budget", () => {
  test("an agent that burns tokens stops the run before the budget is gone, not after", async () => {
    let spent = 0;
    const total = 60000;
    const budget = { total, spent: () => spent, remaining: () => Math.max(0, total - spent) };
    const { result, calls, logs } = await drive({ budget, answer: () => ((spent += 5000), undefined) });
    expect(result).toMatchObject({ status: "stopped", stoppedReason: "iteration-budget-exhausted" });
    expect(result.detail).toMatch(/token budget of 60000 has \d+ tokens left/);
    expect(spent).toBeLessThanOrEqual(total);
    expect(calls.length).toBe(12);
    expect(logs.some((line) => / of 60000 tokens\)$/.test(line))).toBe(true);
  });

  test("a budget whose numbers are not finite, or that throws, never stops a run", async () => {
    const broken = { total: 100, spent: () => Number.NaN, remaining: () => { throw new Error("gone"); } };
    const { result } = await drive({ budget: broken });
    expect(result.stoppedReason).not.toBe("iteration-budget-exhausted");
    const none = await drive({ budget: { total: null, spent: () => 0, remaining: () => 0 } });
    expect(none.result.stoppedReason).not.toBe("iteration-budget-exhausted");
  });
});
