import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  actionSignature,
  checkContinuation,
  checkIterationBudget,
  checkMalformed,
  checkRepetition,
  hashString,
  stableStringify,
} from "../runtime/core/index.js";

describe("stableStringify and hashString", () => {
  it("sorts keys at every depth and follows JSON for undefined", () => {
    expect(stableStringify({ b: 1, a: { d: [1, undefined, { z: 1, y: 2 }], c: undefined } })).toBe(
      '{"a":{"d":[1,null,{"y":2,"z":1}]},"b":1}',
    );
    expect(stableStringify(undefined)).toBe("null");
    expect(stableStringify([Number.NaN, Infinity, "x"])).toBe('[null,null,"x"]');
  });

  it("does not recurse forever on a cycle", () => {
    const value: Record<string, unknown> = { a: 1 };
    value.self = value;
    expect(stableStringify(value)).toBe('{"a":1,"self":"[Circular]"}');
  });

  it("is independent of key insertion order", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (record) => {
        const reversed = Object.fromEntries(Object.entries(record).reverse());
        expect(stableStringify(reversed)).toBe(stableStringify(record));
      }),
    );
  });

  it("round-trips JSON data", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(JSON.parse(stableStringify(value))).toEqual(JSON.parse(JSON.stringify(value) ?? "null"));
      }),
    );
  });

  it("matches the published cyrb53 values, as 14 hex digits", () => {
    expect(parseInt(hashString("a"), 16)).toBe(7929297801672961);
    expect(parseInt(hashString("b"), 16)).toBe(8684336938537663);
    expect(parseInt(hashString("revenge"), 16)).toBe(4051478007546757);
    expect(parseInt(hashString("revenue"), 16)).toBe(8309097637345594);
    fc.assert(
      fc.property(fc.string(), (text) => {
        expect(hashString(text)).toMatch(/^[0-9a-f]{14}$/);
      }),
    );
  });
});

describe("actionSignature", () => {
  it("ignores argument key order but not the result", () => {
    const a = actionSignature({ name: "hf_jobs", args: { op: "logs", id: "1" }, result: "RUNNING step 10" });
    const b = actionSignature({ name: "hf_jobs", args: { id: "1", op: "logs" }, result: "RUNNING step 10" });
    const c = actionSignature({ name: "hf_jobs", args: { id: "1", op: "logs" }, result: "RUNNING step 20" });
    expect(a).toBe(b);
    expect(a).not.toBe(c);
  });
});

describe("checkRepetition", () => {
  const signature = fc.string({ minLength: 1, maxLength: 6 });

  it("never flags polling whose result changes", () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.string(), { minLength: 1, maxLength: 60 }), fc.jsonValue(), (results, args) => {
        const signatures = results.map((result) => actionSignature({ name: "hf_jobs", args, result }));
        expect(checkRepetition(signatures)).toEqual({ repeated: false, kind: null });
      }),
    );
  });

  it("always flags an identical streak of 3 at the tail", () => {
    fc.assert(
      fc.property(fc.array(signature, { maxLength: 40 }), signature, fc.integer({ min: 3, max: 10 }), (prefix, repeated, count) => {
        const verdict = checkRepetition([...prefix, ...Array(count).fill(repeated)]);
        expect(verdict.repeated).toBe(true);
        expect(verdict.kind).toBe("identical");
        if (verdict.repeated) expect(verdict.instruction).toMatch(/fundamentally different/);
      }),
    );
  });

  it("always flags a tail cycle of length 2 to 5 repeated twice", () => {
    fc.assert(
      fc.property(
        fc.array(signature, { maxLength: 15 }),
        fc.uniqueArray(signature, { minLength: 2, maxLength: 5 }),
        fc.integer({ min: 2, max: 4 }),
        (prefix, unit, repeats) => {
          const signatures = [...prefix, ...Array.from({ length: repeats }, () => unit).flat()];
          const verdict = checkRepetition(signatures);
          expect(verdict).toMatchObject({ repeated: true, kind: "cycle", length: unit.length });
        },
      ),
    );
  });

  it("flags exactly at the thresholds, not below", () => {
    expect(checkRepetition(["a", "b", "b"]).repeated).toBe(false);
    expect(checkRepetition(["a", "b", "b", "b"])).toMatchObject({ kind: "identical", length: 3 });
    expect(checkRepetition(["x", "a", "b", "c"]).repeated).toBe(false);
    expect(checkRepetition(["a", "b", "a", "b"])).toMatchObject({ kind: "cycle", length: 2, repeats: 2 });
    expect(checkRepetition(["b", "c", "d", "e", "f", "g", "b", "c", "d", "e", "f", "g"]).repeated).toBe(false);
  });

  it("only looks at the window", () => {
    const old = ["a", "b", "a", "b"];
    const fresh = Array.from({ length: 30 }, (_, index) => "s" + index);
    expect(checkRepetition([...old, ...fresh]).repeated).toBe(false);
    expect(checkRepetition(["a", "a", "a", "b"], { window: 3 }).repeated).toBe(false);
    expect(checkRepetition(["a", "a"], { identicalStreak: 2 }).repeated).toBe(true);
  });
});

describe("loop guards", () => {
  it("stops when the iteration or loop budget is spent", () => {
    expect(checkIterationBudget({ iterations: 299 })).toEqual({ ok: true });
    expect(checkIterationBudget({ iterations: 300 })).toEqual({ ok: false, stoppedReason: "iteration-budget-exhausted" });
    expect(checkIterationBudget({ iterations: 5, loopIterations: 10 }, { maxLoopIterations: 10 })).toEqual({
      ok: false,
      stoppedReason: "loop-budget-exhausted",
    });
    expect(checkIterationBudget({ iterations: 5, loopIterations: 9 }, { maxIterations: 6, maxLoopIterations: 10 }).ok).toBe(true);
  });

  it("nudges up to twice when the plan is incomplete", () => {
    expect(checkContinuation({ noToolTurns: 0, planIncomplete: true }).action).toBe("continue");
    expect(checkContinuation({ noToolTurns: 1, planIncomplete: false }).action).toBe("stop");
    expect(checkContinuation({ noToolTurns: 1, planIncomplete: true })).toMatchObject({ action: "nudge", instruction: expect.stringMatching(/tool call/) });
    expect(checkContinuation({ noToolTurns: 2, planIncomplete: true }).action).toBe("nudge");
    expect(checkContinuation({ noToolTurns: 3, planIncomplete: true }).action).toBe("stop");
    expect(checkContinuation({ noToolTurns: 3, planIncomplete: true }, { maxRetries: 3 }).action).toBe("nudge");
  });

  it("asks for a different call shape after two malformed actions", () => {
    expect(checkMalformed(1)).toEqual({ action: "ok" });
    expect(checkMalformed(2)).toMatchObject({ action: "switch-shape", instruction: expect.stringMatching(/heredoc/) });
    expect(checkMalformed(2, { maxStreak: 3 }).action).toBe("ok");
  });
});
