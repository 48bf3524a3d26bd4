// Attacks on the spend ledger and the run's inputs: the answers (and arguments) an agent or a
// careless caller would give to get more spend through the cost cap, each ending in the right
// stop or refusal. The ml-research pipeline is compiled and driven under the stand-in.
import { join } from "node:path";
import fc from "fast-check";
import { beforeAll, describe, expect, test } from "vitest";
import { compile } from "../compiler/compile.js";
import type { Pipeline } from "../compiler/pipeline.js";
import { readSpec } from "../compiler/read-spec.js";
import {
  LEDGER_MAX_USD,
  REPETITION_DEFAULTS,
  REPETITION_MAX_WINDOW,
  checkRepetition,
  createLedger,
  decideApproval,
  ledgerCommitted,
  ledgerRemaining,
  repetitionParams,
  reserve,
  reserveBatch,
  settle,
  type Ledger,
} from "../runtime/core/index.js";
import { cooperativeAnswer, type AnswerInfo } from "../runtime/proof/answers.js";
import { standInRun } from "../runtime/proof/prove.js";
import { approveBillable, finishRun, runCapFromText, settleBillable, startRun, type DriverStep } from "../runtime/workflow/index.js";
import { TARGETS } from "../targets/index.js";
import { ROOT } from "./helpers/paths.js";

const BASELINE = { method: "lora", model: "org/model", dataset: "org/data", sequence_length: "2048" };
/** One L40S for 4 hours: the full job's worst case, as in the published run. */
const L40S_4H_USD = 7.2;

let ml: Pipeline;
beforeAll(async () => {
  const spec = "specs/ml-research.md";
  const compiled = await compile(readSpec(join(ROOT, spec), { displayPath: spec }), { target: TARGETS["claude-code"], sourcePath: spec, speccVersion: "test" });
  // Others' enforcement proofs may report problems while they work; the pipeline is what these attacks drive.
  expect(compiled.pipeline).not.toBeNull();
  ml = compiled.pipeline!;
});

/** Cooperative answers, a 7B model trained on one L40S for 4 h, and `monitor` for the job's monitor. */
function withMonitor(monitor: (info: AnswerInfo) => unknown) {
  return (info: AnswerInfo) => {
    const answer = cooperativeAnswer(info) as { [key: string]: unknown };
    if (info.step.kind === "resources") return { ...answer, params_b: 7 };
    if (info.step.kind === "readiness") return { ...answer, job: { ...(answer.job as object), flavor: "l40sx1", timeout_hours: 4 } };
    if (info.step.kind === "job" && info.slot === "monitor") return monitor(info);
    return answer;
  };
}

function submissionsOf(result: { events: { step: string | null; kind: string }[] }): number {
  return result.events.filter((event) => event.step === "full-job" && event.kind === "submitted").length;
}

function settledUnder(result: { spend: { settled: { [key: string]: number } } }, prefix: string): number[] {
  return Object.entries(result.spend.settled).filter(([key]) => key.startsWith(prefix)).map(([, usd]) => usd);
}

const JOB_STEP = { id: "job", title: "Job", kind: "job", agents: [], config: {} } as DriverStep;

describe("settlement is never talked down by the agent's report", () => {
  // The scenario: four 7.20 USD resubmissions under a 10 USD cap, each reported as free.
  test.each([
    // Every other monitor call is the driver asking it to cancel the alerted job: it confirms, again at cost 0.
    ["training alerts", (info: AnswerInfo) => info.count % 2 === 0 ? { status: "cancelled", alerts: [], log_tail: "cancelled", metrics: {}, cost_usd: 0 } : { status: "running", alerts: [{ kind: "diverged", text: "loss is nan" }], log_tail: `nan at ${info.count}`, metrics: { learning_rate: 0.0002 / info.count }, cost_usd: 0 }],
    ["failures the fixer retries", (info: AnswerInfo) => ({ status: "failed", alerts: [], log_tail: `ModuleNotFoundError: No module named 'pkg${info.count}'`, metrics: {}, cost_usd: 0 })],
  ])("a monitor reporting cost 0 on %s gets one 7.20 USD job under a 10 USD cap, not four", async (_route, monitor) => {
    const result = await standInRun(ml, { args: { task: "fine-tune org/model on org/data with LoRA", cost_cap_usd: 10 }, answer: withMonitor(monitor), baseline: BASELINE });
    expect(result).toMatchObject({ status: "stopped", stoppedReason: "cost-cap-reached", step: "full-job" });
    expect(submissionsOf(result)).toBe(1);
    expect(settledUnder(result, "full-job/")).toEqual([L40S_4H_USD]);
    expect(result.spend.committedUsd).toBeGreaterThanOrEqual(L40S_4H_USD);
    expect(result.spend.committedUsd).toBeLessThanOrEqual(10);
  });

  test("a report above the reservation is taken and ends the run over the cap", async () => {
    const overrun = () => ({ status: "completed", alerts: [], log_tail: "done", metrics: {}, cost_usd: 42 });
    const result = await standInRun(ml, { args: { task: "fine-tune", cost_cap_usd: 10 }, answer: withMonitor(overrun), baseline: BASELINE });
    expect(result).toMatchObject({ stoppedReason: "cost-cap-reached", step: "full-job" });
    expect(settledUnder(result, "full-job/")).toEqual([42]);
  });

  test("a cost of Number.MAX_VALUE or Infinity stores a finite amount that still trips the cap", async () => {
    for (const cost of [Number.MAX_VALUE, Infinity]) {
      const result = await standInRun(ml, { args: { task: "fine-tune", cost_cap_usd: 10 }, answer: withMonitor(() => ({ status: "completed", alerts: [], log_tail: "done", metrics: {}, cost_usd: cost })), baseline: BASELINE });
      expect(result).toMatchObject({ stoppedReason: "cost-cap-reached", step: "full-job" });
      expect(Number.isFinite(result.spend.committedUsd)).toBe(true);
      const written = JSON.parse(JSON.stringify(result.spend));
      expect(written.settled["full-job/1#1"]).toBe(LEDGER_MAX_USD);
      expect(written.committedUsd).toBe(result.spend.committedUsd);
    }
  });

  test("negative, NaN and text costs settle at the reservation", () => {
    for (const reported of [-7.2, NaN, "0", null, undefined, { usd: 0 }]) {
      const run = startRun(ml, { task: "fine-tune", cost_cap_usd: 10 });
      const approved = approveBillable(run, JOB_STEP, { key: "job/1#1", what: "the job", estimateUsd: L40S_4H_USD }).run;
      const settled = settleBillable(approved, JOB_STEP, "job/1#1", reported);
      expect(settled.ledger.settled["job/1#1"]).toBe(L40S_4H_USD);
      expect(ledgerRemaining(settled.ledger)).toBeCloseTo(10 - L40S_4H_USD, 6);
    }
  });

  test("only a verified cost (a read-only check's result) settles below the reservation", () => {
    const run = startRun(ml, { task: "fine-tune", cost_cap_usd: 10 });
    const approved = approveBillable(run, JOB_STEP, { key: "job/1#1", what: "the job", estimateUsd: L40S_4H_USD }).run;
    const claimed = settleBillable(approved, JOB_STEP, "job/1#1", 1.77);
    expect(claimed.ledger.settled["job/1#1"]).toBe(L40S_4H_USD);
    expect(claimed.events.at(-1)?.detail).toMatch(/unverified/);
    const verified = settleBillable(approved, JOB_STEP, "job/1#1", 0, 1.77);
    expect(verified.ledger.settled["job/1#1"]).toBe(1.77);
    expect(verified.events.at(-1)?.detail).toMatch(/verified cost/);
    // A verifier that returns garbage is no verification.
    expect(settleBillable(approved, JOB_STEP, "job/1#1", 0, NaN).ledger.settled["job/1#1"]).toBe(L40S_4H_USD);
  });
});

describe("the ledger has no prototype to hide behind", () => {
  test("five 9 USD reservations keyed __proto__ under a 10 USD cap: only the first goes through", () => {
    for (const key of ["__proto__", "constructor", "toString", "hasOwnProperty", "valueOf"]) {
      let ledger = createLedger(10);
      const outcomes = [];
      for (let index = 0; index < 5; index++) {
        const result = reserve(ledger, { key, estimateUsd: 9 });
        outcomes.push(result.ok ? "ok" : result.reason);
        ledger = result.ledger;
      }
      expect(outcomes).toEqual(["ok", "duplicate-key", "duplicate-key", "duplicate-key", "duplicate-key"]);
      expect(ledgerCommitted(ledger)).toBe(9);
      expect(reserve(ledger, { key: "other", estimateUsd: 9 })).toMatchObject({ ok: false, reason: "over-cap" });
      expect(Object.getPrototypeOf(ledger.reserved)).toBeNull();
      expect(JSON.parse(JSON.stringify(ledger)).reserved).toEqual({ [key]: 9 });
    }
  });

  test("distinct keys never make room: __proto__, then others, through decideApproval", () => {
    let ledger: Ledger = createLedger(10);
    const decisions = [];
    for (const key of ["__proto__", "__proto__", "constructor", "x"]) {
      const decision = decideApproval({ cls: "approval-required", mode: "autonomous", estimateUsd: 9, ledger, key });
      decisions.push(decision.decision);
      ledger = decision.ledger ?? ledger;
    }
    expect(decisions).toEqual(["approve", "ask-human", "ask-human", "ask-human"]);
    expect(ledgerCommitted(ledger)).toBe(9);
  });

  test("a ledger read back from JSON keeps a __proto__ entry and counts it", () => {
    const read = JSON.parse('{"capUsd":10,"reserved":{"__proto__":9},"settled":{"__proto__":0.5}}') as Ledger;
    expect(ledgerCommitted(read)).toBe(9.5);
    expect(reserve(read, { key: "job-2", estimateUsd: 9 })).toMatchObject({ ok: false, reason: "over-cap" });
    expect(reserve(read, { key: "__proto__", estimateUsd: 0.1 })).toMatchObject({ ok: false, reason: "duplicate-key" });
    const settled = settle(read, "__proto__", 0);
    expect(settled.settled.__proto__).toBe(9.5);
    expect(ledgerCommitted(settled)).toBe(9.5);
  });

  test("a tampered ledger fails closed: unusable entries count as the maximum, an unusable cap as zero", () => {
    for (const entry of ["9", NaN, -5, null, Infinity, { usd: 1 }]) {
      const tampered = { capUsd: 10, reserved: { a: entry }, settled: {} } as unknown as Ledger;
      expect(ledgerRemaining(tampered)).toBe(0);
      expect(Number.isFinite(ledgerCommitted(tampered))).toBe(true);
      expect(reserve(tampered, { key: "b", estimateUsd: 0.01 })).toMatchObject({ ok: false, reason: "over-cap" });
    }
    for (const capUsd of [NaN, -1, "10", Infinity]) {
      expect(reserve({ capUsd, reserved: {}, settled: {} } as unknown as Ledger, { key: "b", estimateUsd: 0.01 }).ok).toBe(false);
    }
  });

  test("negative, NaN, infinite and absurd estimates are refused, also with approve: all-under-cap", () => {
    for (const estimateUsd of [-9, NaN, Infinity, -Infinity, LEDGER_MAX_USD * 2]) {
      expect(reserve(createLedger(10), { key: "k", estimateUsd })).toMatchObject({ ok: false, reason: "unknown-cost" });
      expect(reserveBatch(createLedger(10), [{ key: "a", estimateUsd: 1 }, { key: "b", estimateUsd }]).ok).toBe(false);
      const run = startRun(ml, { task: "fine-tune", cost_cap_usd: 10, approve: "all-under-cap" });
      const approved = approveBillable(run, JOB_STEP, { key: "job/1#1", what: "the job", estimateUsd });
      expect(approved.run.stop).toMatchObject({ stoppedReason: "needs-approval" });
      expect(ledgerCommitted(approved.run.ledger)).toBe(0);
    }
    for (const key of ["", 7, null]) {
      expect(reserve(createLedger(10), { key: key as string, estimateUsd: 1 })).toMatchObject({ ok: false, reason: "invalid-key" });
    }
  });

  test("a cap of Number.MAX_VALUE is refused as an argument and clamped in the ledger", () => {
    expect(startRun(ml, { task: "t", cost_cap_usd: Number.MAX_VALUE }).stop).toMatchObject({ stoppedReason: "invalid-argument" });
    expect(createLedger(Number.MAX_VALUE).capUsd).toBe(LEDGER_MAX_USD);
  });
});

describe("a cap from prose needs a currency", () => {
  test("a number without one sets no cap: the default applies", () => {
    for (const task of ["fine-tune with a token budget of 4096", "budget 4096 tokens", "cost cap is 4096 steps", "the budget: 4096"]) {
      expect(runCapFromText(task)).toBeNull();
      expect(startRun(ml, task).costCapUsd).toBe(10);
      expect(startRun(ml, { task }).costCapUsd).toBe(10);
    }
  });

  test("a cap in USD, dollars or $ still counts, and a later currency phrase wins over an earlier bare number", () => {
    const cases: [string, number][] = [
      ["fine-tune X, budget $2.50", 2.5],
      ["the cost cap is 10 USD", 10],
      ["cost_cap_usd=10", 10],
      ["budget: 3 dollars", 3],
      ["budget of USD 4", 4],
      ["a token budget of 4096 and a cost cap of $5", 5],
    ];
    for (const [task, cap] of cases) {
      expect(runCapFromText(task)).toBe(cap);
      expect(startRun(ml, task).costCapUsd).toBe(cap);
    }
  });

  test("a cap too large to be a number is no cap, never Infinity", () => {
    expect(runCapFromText(`budget $${"9".repeat(400)}`)).toBeNull();
    expect(startRun(ml, `budget $${"9".repeat(400)}`).costCapUsd).toBe(10);
  });
});

describe("a string argument holding JSON is the object", () => {
  test("its cap, task and params are read", () => {
    const run = startRun(ml, '{"task":"fine-tune X","costCapUsd":3,"autonomous_loop":true}');
    expect(run.stop).toBeNull();
    expect(run.costCapUsd).toBe(3);
    expect(run.args).toMatchObject({ task: "fine-tune X", autonomous_loop: true });
    expect(startRun(ml, '  {"task":"x","cost_cap_usd":"2 USD"}\n').costCapUsd).toBe(2);
  });

  test("the JSON cap binds the run: a 3 USD cap stops the 7.20 USD job", async () => {
    const result = await standInRun(ml, { args: '{"task":"fine-tune","costCapUsd":3}' as never, answer: withMonitor(() => ({ status: "completed", alerts: [], log_tail: "ok", metrics: {}, cost_usd: 0 })), baseline: BASELINE });
    expect(result).toMatchObject({ stoppedReason: "cost-cap-reached", step: "full-job", spend: { capUsd: 3 } });
    expect(submissionsOf(result)).toBe(0);
  });

  test("anything that is not a plain JSON object is the task", () => {
    for (const text of ['["a","b"]', '{"task": broken', "{}x", "null", '"{\\"costCapUsd\\":1}"']) {
      const run = startRun(ml, text);
      expect(run.args.task).toBe(text.trim());
      expect(run.costCapUsd).toBe(10);
    }
  });

  test("a __proto__ member neither pollutes nor sets a cap", () => {
    const run = startRun(ml, '{"task":"x","__proto__":{"costCapUsd":1000000,"polluted":true}}');
    expect(run.costCapUsd).toBe(10);
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
    expect(Object.hasOwn(run.args, "polluted")).toBe(false);
  });
});

describe("one run id per run", () => {
  test("deterministic from the task and params, exposed in the result, and changed by the user's runId", async () => {
    const first = startRun(ml, { task: "fine-tune X", cost_cap_usd: 10 });
    expect(first.runId).toMatch(/^ml-research-[0-9a-f]{14}$/);
    // Control args (cap, mode, approvals) do not change it: a rerun with an approval is the same run.
    expect(startRun(ml, { task: "fine-tune X", cost_cap_usd: 5, approve: "all-under-cap", mode: "interactive" }).runId).toBe(first.runId);
    expect(startRun(ml, '{"task":"fine-tune X"}').runId).toBe(first.runId);
    expect(startRun(ml, "fine-tune X").runId).toBe(first.runId);
    const ids = new Set([first.runId, startRun(ml, { task: "fine-tune Y" }).runId, startRun(ml, { task: "fine-tune X", runId: 2 }).runId, startRun(ml, { task: "fine-tune X", runId: "2" }).runId, startRun(ml, { task: "fine-tune X", runId: "nightly-7" }).runId]);
    expect(ids.size).toBe(4);
    expect(finishRun(ml, first).runId).toBe(first.runId);
    const result = await standInRun(ml, { args: { task: "fine-tune X", cost_cap_usd: 10 }, answer: withMonitor(() => ({ status: "completed", alerts: [], log_tail: "ok", metrics: {}, cost_usd: 1 })), baseline: BASELINE });
    expect(result.runId).toBe(first.runId);
  });

  test("an unusable runId stops the run before any spend, and runId is never part of the scope baseline", () => {
    for (const runId of [-1, 1.5, "a b", "../../etc", { n: 1 }, "x".repeat(65), Number.MAX_VALUE]) {
      const run = startRun(ml, { task: "t", runId });
      expect(run.stop).toMatchObject({ stoppedReason: "invalid-argument" });
      expect(run.stop?.detail).toMatch(/runId/);
    }
    const run = startRun(ml, { task: "t", runId: 3 });
    expect(run.stop).toBeNull();
    expect(Object.keys(run.baseline ?? {})).not.toContain("runId");
  });
});

describe("the repetition guard takes no unbounded parameters", () => {
  test("cycle lengths are capped at window/2 and nonsense numbers take defaults", () => {
    expect(repetitionParams({ window: 1e12, cycleMaxLength: 1e12, cycleRepeats: 1e12, identicalStreak: -3 })).toEqual({
      window: REPETITION_MAX_WINDOW,
      identicalStreak: 2,
      cycleMinLength: 2,
      cycleMaxLength: REPETITION_MAX_WINDOW / 2,
      cycleRepeats: REPETITION_MAX_WINDOW,
    });
    expect(repetitionParams({ window: NaN, cycleMaxLength: Infinity, cycleMinLength: -Infinity, cycleRepeats: NaN, identicalStreak: NaN })).toEqual(REPETITION_DEFAULTS);
    expect(repetitionParams({ window: 8, cycleMinLength: 9, cycleMaxLength: 100 })).toMatchObject({ window: 8, cycleMinLength: 4, cycleMaxLength: 4 });
  });

  test("a cycle of 300 repeated twice is found in a million signatures with a window of a million", () => {
    const unit = Array.from({ length: 300 }, (_, index) => `s${index}`);
    const signatures = Array.from({ length: 1_000_000 - 600 }, (_, index) => `noise${index}`).concat(unit, unit);
    expect(checkRepetition(signatures, { window: 1_000_000, cycleMaxLength: 1_000_000 })).toMatchObject({ repeated: true, kind: "cycle", length: 300, repeats: 2 });
    expect(checkRepetition(signatures.slice(0, -1), { window: 1_000_000, cycleMaxLength: 1_000_000 })).toEqual({ repeated: false, kind: null });
  });

  test("agrees with the plain definition on any sequence", () => {
    const naive = (tail: string[], min: number, max: number, need: number) => {
      let streak = 0;
      for (let index = tail.length - 1; index >= 0 && tail[index] === tail[tail.length - 1]; index--) streak++;
      for (let length = min; length <= max; length++) {
        if (tail.length < length || streak >= length) continue;
        let repeats = 0;
        for (let end = tail.length; end - length >= 0; end -= length) {
          if (!tail.slice(tail.length - length).every((value, offset) => tail[end - length + offset] === value)) break;
          repeats++;
        }
        if (repeats >= need) return { length, repeats };
      }
      return null;
    };
    fc.assert(
      fc.property(fc.array(fc.constantFrom("a", "b", "c"), { maxLength: 40 }), fc.integer({ min: 2, max: 6 }), fc.integer({ min: 2, max: 4 }), (tail, max, need) => {
        const verdict = checkRepetition(tail, { window: 40, identicalStreak: 40, cycleMaxLength: max, cycleRepeats: need });
        const expected = naive(tail, 2, max, need);
        if (verdict.repeated && verdict.kind === "identical") return;
        expect(verdict.repeated ? { length: verdict.length, repeats: verdict.repeats } : null).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });
});
