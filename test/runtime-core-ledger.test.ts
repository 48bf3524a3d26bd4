import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  HARDWARE_PRICES_USD_PER_HOUR,
  approvalClass,
  createLedger,
  decideApproval,
  estimateJobCost,
  ledgerCommitted,
  ledgerRemaining,
  releaseReservation,
  reserve,
  reserveBatch,
  settle,
  type Ledger,
} from "../runtime/core/index.js";

const usd = fc.double({ min: 0, max: 20, noNaN: true });
const key = fc.constantFrom("a", "b", "c", "d", "e", "f", "g", "h");

type Operation =
  | { op: "reserve"; key: string; estimateUsd: number | null }
  | { op: "batch"; items: { key: string; estimateUsd: number }[] }
  | { op: "settle"; key: string; fraction: number; overrun: number }
  | { op: "release"; key: string };

const operation = (overrun: boolean): fc.Arbitrary<Operation> =>
  fc.oneof(
    fc.record({ op: fc.constant("reserve" as const), key, estimateUsd: fc.option(usd, { freq: 8 }) }),
    fc.record({ op: fc.constant("batch" as const), items: fc.array(fc.record({ key, estimateUsd: usd }), { maxLength: 4 }) }),
    fc.record({
      op: fc.constant("settle" as const),
      key,
      fraction: fc.double({ min: 0, max: 1, noNaN: true }),
      overrun: overrun ? fc.double({ min: 0, max: 10, noNaN: true }) : fc.constant(0),
    }),
    fc.record({ op: fc.constant("release" as const), key }),
  );

/** Apply one operation; return the new ledger and whether a reservation succeeded. */
function apply(ledger: Ledger, step: Operation): { ledger: Ledger; reserved: boolean } {
  if (step.op === "reserve") {
    const result = reserve(ledger, step);
    return { ledger: result.ledger, reserved: result.ok };
  }
  if (step.op === "batch") {
    const result = reserveBatch(ledger, step.items);
    return { ledger: result.ledger, reserved: result.ok && step.items.length > 0 };
  }
  if (step.op === "release") return { ledger: releaseReservation(ledger, step.key), reserved: false };
  if (!Object.hasOwn(ledger.reserved, step.key)) return { ledger, reserved: false };
  const actual = ledger.reserved[step.key] * step.fraction + step.overrun;
  return { ledger: settle(ledger, step.key, actual), reserved: false };
}

describe("ledger", () => {
  it("never lets committed spend exceed the cap when actuals stay within estimates", () => {
    fc.assert(
      fc.property(usd, fc.array(operation(false), { maxLength: 40 }), (cap, steps) => {
        let ledger = createLedger(cap);
        for (const step of steps) {
          const previous = ledger;
          const before = JSON.stringify(previous);
          ledger = apply(ledger, step).ledger;
          expect(ledgerCommitted(ledger)).toBeLessThanOrEqual(ledger.capUsd);
          expect(JSON.stringify(previous)).toBe(before);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("blocks further reservations after an over-run, and never reserves past the cap", () => {
    fc.assert(
      fc.property(usd, fc.array(operation(true), { maxLength: 40 }), (cap, steps) => {
        let ledger = createLedger(cap);
        for (const step of steps) {
          const wasOver = ledgerCommitted(ledger) > ledger.capUsd;
          const next = apply(ledger, step);
          if (next.reserved) {
            // A successful reservation always leaves committed within the cap.
            expect(wasOver).toBe(false);
            expect(ledgerCommitted(next.ledger)).toBeLessThanOrEqual(next.ledger.capUsd);
          }
          ledger = next.ledger;
        }
      }),
      { numRuns: 300 },
    );
  });

  it("does not mutate its input", () => {
    const ledger = createLedger(5);
    const frozen = JSON.stringify(ledger);
    const reserved = reserve(ledger, { key: "job-1", estimateUsd: 2 });
    expect(JSON.stringify(ledger)).toBe(frozen);
    if (!reserved.ok) throw new Error("expected a reservation");
    const settled = settle(reserved.ledger, "job-1", 1.25);
    expect(reserved.ledger.reserved).toEqual({ "job-1": 2 });
    // A report below the reservation settles at the reservation; only a verified cost is taken as is.
    expect(settled).toEqual({ capUsd: 5, reserved: {}, settled: { "job-1": 2 } });
    expect(settle(reserved.ledger, "job-1", 1.25, 1.25)).toEqual({ capUsd: 5, reserved: {}, settled: { "job-1": 1.25 } });
  });

  it("reports why a reservation fails", () => {
    let ledger = createLedger(1);
    expect(reserve(ledger, { key: "x", estimateUsd: null })).toMatchObject({ ok: false, reason: "unknown-cost" });
    expect(reserve(ledger, { key: "x", estimateUsd: -1 })).toMatchObject({ ok: false, reason: "unknown-cost" });
    expect(reserve(ledger, { key: "x", estimateUsd: 1.01 })).toMatchObject({ ok: false, reason: "over-cap" });
    const result = reserve(ledger, { key: "x", estimateUsd: 0.4 });
    if (!result.ok) throw new Error("expected a reservation");
    ledger = result.ledger;
    expect(reserve(ledger, { key: "x", estimateUsd: 0.1 })).toMatchObject({ ok: false, reason: "duplicate-key" });
    ledger = settle(ledger, "x", 0.4);
    expect(reserve(ledger, { key: "x", estimateUsd: 0.1 })).toMatchObject({ ok: false, reason: "duplicate-key" });
  });

  it("has no float drift at the cap", () => {
    let ledger = createLedger(0.3);
    for (const name of ["a", "b", "c"]) {
      const result = reserve(ledger, { key: name, estimateUsd: 0.1 });
      expect(result.ok).toBe(true);
      ledger = result.ledger;
    }
    expect(ledgerCommitted(ledger)).toBe(0.3);
    expect(reserve(ledger, { key: "d", estimateUsd: 0.000001 }).ok).toBe(false);
  });

  it("reserves a batch all-or-nothing", () => {
    const ledger = createLedger(5);
    const over = reserveBatch(ledger, [
      { key: "a", estimateUsd: 3 },
      { key: "b", estimateUsd: 3 },
    ]);
    expect(over).toMatchObject({ ok: false, reason: "over-cap", key: "b" });
    expect(over.ledger).toBe(ledger);
    expect(reserveBatch(ledger, [{ key: "a", estimateUsd: 1 }, { key: "a", estimateUsd: 1 }])).toMatchObject({ ok: false, reason: "duplicate-key" });
    const fits = reserveBatch(ledger, [{ key: "a", estimateUsd: 2 }, { key: "b", estimateUsd: 3 }]);
    expect(fits.ok).toBe(true);
    expect(ledgerRemaining(fits.ledger)).toBe(0);
  });

  it("records an over-run and then refuses new work", () => {
    const result = reserve(createLedger(5), { key: "job", estimateUsd: 2 });
    if (!result.ok) throw new Error("expected a reservation");
    const ledger = settle(result.ledger, "job", 6);
    expect(ledgerCommitted(ledger)).toBe(6);
    expect(ledgerRemaining(ledger)).toBe(0);
    expect(reserve(ledger, { key: "next", estimateUsd: 0.01 })).toMatchObject({ ok: false, reason: "over-cap" });
    expect(settle(result.ledger, "job", null).settled).toEqual({ job: 2 });
  });
});

describe("estimateJobCost", () => {
  it("is price × timeout, null when unknown", () => {
    expect(estimateJobCost({ flavor: "a10g-large", timeoutHours: 4 })).toBe(6);
    expect(estimateJobCost({ flavor: "l40sx1", timeoutHours: 1 / 3 })).toBe(0.6);
    expect(estimateJobCost({ flavor: "h100", timeoutHours: 4 })).toBeNull();
    expect(estimateJobCost({ flavor: "constructor", timeoutHours: 4 })).toBeNull();
    expect(estimateJobCost({ flavor: "a10g-large", timeoutHours: null })).toBeNull();
    expect(estimateJobCost({ flavor: "x", timeoutHours: 2, prices: { x: 1.25 } })).toBe(2.5);
  });

  it("uses the hub-docs price column", () => {
    expect(HARDWARE_PRICES_USD_PER_HOUR).toMatchObject({ "cpu-basic": 0.01, "t4-small": 0.4, "a100-large": 2.5, "h200x8": 40, "rtx-pro-6000": 2.75 });
    expect(Object.keys(HARDWARE_PRICES_USD_PER_HOUR)).toHaveLength(26);
  });
});

describe("approval", () => {
  it("classifies actions", () => {
    expect(approvalClass({ kind: "read" })).toBe("auto");
    expect(approvalClass({ kind: "status" })).toBe("auto");
    expect(approvalClass({ kind: "sandbox", flavor: "cpu-basic" })).toBe("auto");
    expect(approvalClass({ kind: "sandbox", flavor: "t4-small" })).toBe("approval-required");
    expect(approvalClass({ kind: "job", flavor: "cpu-basic" })).toBe("approval-required");
    for (const kind of ["upload", "delete", "repo-create"]) expect(approvalClass({ kind })).toBe("approval-required");
    expect(approvalClass({ kind: "scheduled-job", flavor: "cpu-basic" })).toBe("always-human");
    expect(approvalClass({ kind: "rm -rf" })).toBe("always-human");
  });

  it("auto-approves in autonomous mode only within the cap, reserving the estimate", () => {
    const ledger = createLedger(5);
    const first = decideApproval({ cls: "approval-required", mode: "autonomous", estimateUsd: 3, ledger, key: "job-1" });
    expect(first).toMatchObject({ decision: "approve", ledger: { reserved: { "job-1": 3 } } });
    const second = decideApproval({ cls: "approval-required", mode: "autonomous", estimateUsd: 3, ledger: first.ledger });
    expect(second).toMatchObject({ decision: "ask-human", reason: expect.stringMatching(/cap/) });
    const unnamed = decideApproval({ cls: "approval-required", mode: "autonomous", estimateUsd: 1, ledger: first.ledger });
    expect(unnamed.ledger?.reserved).toEqual({ "job-1": 3, "approval-1": 1 });
  });

  it("fails closed and never auto-approves always-human", () => {
    const ledger = createLedger(100);
    expect(decideApproval({ cls: "approval-required", mode: "autonomous", estimateUsd: null, ledger }).decision).toBe("ask-human");
    expect(decideApproval({ cls: "approval-required", mode: "autonomous", estimateUsd: 1, ledger: null }).decision).toBe("ask-human");
    expect(decideApproval({ cls: "approval-required", mode: "interactive", estimateUsd: 1, ledger }).decision).toBe("ask-human");
    for (const mode of ["interactive", "autonomous"] as const) {
      expect(decideApproval({ cls: "always-human", mode, estimateUsd: 0, ledger }).decision).toBe("ask-human");
      expect(decideApproval({ cls: "auto", mode, estimateUsd: null }).decision).toBe("approve");
    }
    expect(decideApproval({ cls: "bogus" as "auto", mode: "autonomous", estimateUsd: 0, ledger }).decision).toBe("deny");
  });
});
