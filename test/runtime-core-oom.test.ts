import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  FAILURE_TAXONOMY,
  HARDWARE_FLAVORS,
  OOM_LADDER,
  applyAlertPolicy,
  classifyFailureLog,
  memoryFootprintGb,
  nextOomRung,
  parseDuration,
  planFailureFix,
  sizeHardware,
  sizeTimeout,
  type OomConfig,
  type OomState,
} from "../runtime/core/index.js";

const log = (name: string) => readFileSync(join(import.meta.dirname, "fixtures", "logs", name), "utf8");

describe("classifyFailureLog", () => {
  it.each([
    ["oom-cuda.log", "oom"],
    ["oom-cublas.log", "oom"],
    ["oom-kernel-killed.log", "oom"],
    ["oom-exit-137.log", "oom"],
    ["oom-bare-killed.log", "oom"],
    ["wrong-argument.log", "wrong-argument"],
    ["wrong-argument-argparse.log", "wrong-argument"],
    ["import-error.log", "import-error"],
    ["import-error-name.log", "import-error"],
    ["dataset-keyerror.log", "dataset-schema"],
    ["dataset-column.log", "dataset-schema"],
    ["timeout.log", "timeout"],
    ["divergence.log", "divergence"],
    ["divergence-plain.log", "divergence"],
    ["unknown.log", "unknown"],
    ["success-with-info.log", "unknown"],
  ])("%s → %s", (file, expected) => {
    expect(classifyFailureLog(log(file))).toBe(expected);
  });

  it("classifies a 1 MB log, including one long line built to make patterns backtrack", () => {
    const line = "Because a depends on ".repeat(50_000).slice(0, 1_000_000);
    expect(line.length).toBe(1_000_000);
    expect(classifyFailureLog(line)).toBe("unknown");
    const lines = ("ImportError: x " + " ".repeat(200) + "\n").repeat(5000) + "torch.cuda.OutOfMemoryError: CUDA out of memory\n";
    expect(classifyFailureLog(lines)).toBe("oom");
    expect(classifyFailureLog("\n".repeat(1_000_000) + "Killed\n")).toBe("oom");
  });

  it("prefers the OOM traceback over a later timeout or Killed line", () => {
    expect(classifyFailureLog(log("oom-cuda.log") + "\nJob timed out\nKilled\n")).toBe("oom");
    expect(classifyFailureLog("")).toBe("unknown");
  });
});

describe("OOM ladder", () => {
  const start: OomState = { rung: 0, attempts: 0 };

  /** Run the ladder to the end, applying each step's changes. */
  function climb(config: OomConfig) {
    const steps = [];
    let state = start;
    let current = config;
    for (let guard = 0; guard < 50; guard++) {
      const step = nextOomRung(state, current);
      steps.push({ step, before: current });
      if (step.action === "stop") break;
      current = { ...current, ...step.changes };
      state = step.state;
    }
    return steps;
  }

  it("preserves the effective batch on every batch rung and never touches scope", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 256 }),
        fc.integer({ min: 1, max: 64 }),
        fc.boolean(),
        fc.constantFrom(...Object.keys(HARDWARE_FLAVORS)),
        (batch, accumulation, checkpointing, flavor) => {
          const config = {
            per_device_train_batch_size: batch,
            gradient_accumulation_steps: accumulation,
            gradient_checkpointing: checkpointing,
            flavor,
            max_length: 2048,
            method: "sft",
          };
          const steps = climb(config);
          let lastRung = 0;
          for (const { step, before } of steps) {
            if (step.action === "stop") {
              expect(step.stoppedReason).toBe("oom-ladder-exhausted");
              continue;
            }
            expect(step.rung).toBeGreaterThanOrEqual(lastRung);
            lastRung = step.rung;
            expect(Object.keys(step.changes).every((name) => ["per_device_train_batch_size", "gradient_accumulation_steps", "gradient_checkpointing", "flavor"].includes(name))).toBe(true);
            if (step.rung === 1) {
              const after = { ...before, ...step.changes };
              expect(Number(after.per_device_train_batch_size) * Number(after.gradient_accumulation_steps)).toBe(batch * accumulation);
              expect(Number(after.per_device_train_batch_size)).toBeLessThan(Number(before.per_device_train_batch_size));
            }
          }
          expect(steps.at(-1)?.step.action).toBe("stop");
        },
      ),
    );
  });

  it("takes each rung once: halve batch → checkpointing → one larger flavor, then stops", () => {
    const steps = climb({ per_device_train_batch_size: 4, gradient_accumulation_steps: 2, gradient_checkpointing: false, flavor: "a10g-large" });
    const summary = steps.map(({ step }) => (step.action === "retry" ? `${step.step}:${JSON.stringify(step.changes)}` : step.action));
    expect(summary).toEqual([
      'halve-batch:{"per_device_train_batch_size":2,"gradient_accumulation_steps":4}',
      'gradient-checkpointing:{"gradient_checkpointing":true}',
      'larger-hardware:{"flavor":"l40sx1"}',
      "stop",
    ]);
    expect(OOM_LADDER).toEqual(["halve-batch", "gradient-checkpointing", "larger-hardware"]);
  });

  it("skips rungs that cannot help and keeps odd batches exact", () => {
    expect(nextOomRung({ rung: 0, attempts: 0 }, { per_device_train_batch_size: 1, gradient_checkpointing: true, flavor: "t4-small" })).toMatchObject({
      rung: 3,
      changes: { flavor: "l4x1" },
      state: { rung: 3, attempts: 1 },
    });
    expect(nextOomRung({ rung: 0, attempts: 0 }, { per_device_train_batch_size: 6, gradient_accumulation_steps: 3 })).toMatchObject({
      changes: { per_device_train_batch_size: 3, gradient_accumulation_steps: 6 },
    });
    expect(nextOomRung({ rung: 2, attempts: 1 }, { per_device_train_batch_size: 8, gradient_checkpointing: true, flavor: "cpu-upgrade" }).action).toBe("stop");
  });

  it("is constant in the batch size and fails closed on numbers out of range", () => {
    // A large prime goes straight to 1 with the accumulation scaled by it; the product stays exact.
    expect(nextOomRung({ rung: 0, attempts: 0 }, { per_device_train_batch_size: 1e9 + 7, gradient_accumulation_steps: 1 })).toMatchObject({
      changes: { per_device_train_batch_size: 1, gradient_accumulation_steps: 1e9 + 7 },
    });
    expect(nextOomRung({ rung: 0, attempts: 0 }, { per_device_train_batch_size: 9, gradient_accumulation_steps: 2 })).toMatchObject({
      changes: { per_device_train_batch_size: 3, gradient_accumulation_steps: 6 },
    });
    for (const batch of [2 ** 53 + 2, Number.MAX_VALUE, Infinity, Number.NaN, -4, 2.5]) {
      expect(nextOomRung({ rung: 0, attempts: 0 }, { per_device_train_batch_size: batch })).toMatchObject({ action: "stop", stoppedReason: "oom-ladder-exhausted" });
    }
    for (const rung of [Number.NaN, -1, 4, 1.5, Infinity]) {
      expect(nextOomRung({ rung, attempts: 0 }, { per_device_train_batch_size: 8 }).action).toBe("stop");
    }
  });

  it("never takes a rung twice: a rung already applied is skipped", () => {
    expect(nextOomRung({ rung: 1, attempts: 1 }, { per_device_train_batch_size: 4, gradient_checkpointing: false, flavor: "t4-small" })).toMatchObject({ rung: 2, step: "gradient-checkpointing" });
    expect(nextOomRung({ rung: 3, attempts: 3 }, { per_device_train_batch_size: 4, gradient_checkpointing: false, flavor: "t4-small" }).action).toBe("stop");
  });
});

describe("sizing", () => {
  it("parses durations to hours", () => {
    expect(parseDuration("2h")).toBe(2);
    expect(parseDuration("30m")).toBe(0.5);
    expect(parseDuration("90s")).toBe(0.025);
    expect(parseDuration("1d")).toBe(24);
    expect(parseDuration("1h30m")).toBe(1.5);
    expect(parseDuration(7200)).toBe(2);
    expect(parseDuration("3600")).toBe(1);
    expect(parseDuration("two hours")).toBeNull();
    expect(parseDuration(-5)).toBeNull();
  });

  it("sizes timeouts by model tier and never uses the 30m default for training", () => {
    expect(sizeTimeout({ paramsB: 1.5, work: "training" })).toMatchObject({ timeoutHours: 4, timeout: "4h", basis: expect.stringMatching(/1\.5B model on the 1-3B/) });
    expect(sizeTimeout({ paramsB: 7, work: "training" }).timeoutHours).toBe(8);
    expect(sizeTimeout({ paramsB: 70, work: "training" }).timeoutHours).toBe(24);
    expect(sizeTimeout({ paramsB: 7, work: "inference" })).toMatchObject({ timeoutHours: 1, timeout: "1h" });
    fc.assert(
      fc.property(fc.option(fc.double({ min: 0, max: 1000, noNaN: true })), (paramsB) => {
        expect(sizeTimeout({ paramsB, work: "training" }).timeoutHours).toBeGreaterThanOrEqual(2);
      }),
    );
  });

  it("picks the cheapest flavor that fits", () => {
    expect(memoryFootprintGb({ paramsB: 7 })).toBe(16.8);
    expect(sizeHardware({ paramsB: 1 })).toMatchObject({ flavor: "t4-small", footprintGb: 2.4 });
    expect(sizeHardware({ paramsB: 7 })).toMatchObject({ flavor: "l4x1", vramGb: 24 });
    expect(sizeHardware({ paramsB: 30 })).toMatchObject({ flavor: "a100-large", footprintGb: 72 });
    expect(sizeHardware({ paramsB: 7, bytesPerParam: 16 })).toMatchObject({ flavor: "h200", footprintGb: 134.4 });
    expect(sizeHardware({ paramsB: 62.5 })).toMatchObject({ flavor: "rtx-pro-6000x2", footprintGb: 150 });
    expect(sizeHardware({ paramsB: 62.5, perGpu: true }).flavor).toBeNull();
    expect(sizeHardware({ paramsB: 1000 })).toMatchObject({ flavor: null });
  });
});

describe("failure taxonomy and alerts", () => {
  it("has one non-scope fix per known class", () => {
    for (const [cls, entry] of Object.entries(FAILURE_TAXONOMY)) {
      expect(entry.fix.length).toBeGreaterThan(20);
      expect(entry.scopeChange).toBe(cls === "unknown");
    }
  });

  it("dispatches OOM to the ladder and stops on unknown", () => {
    const config = { per_device_train_batch_size: 8, gradient_accumulation_steps: 1, flavor: "l4x1" };
    expect(planFailureFix("oom", { rung: 0, attempts: 0 }, config)).toMatchObject({
      action: "retry",
      rung: 1,
      changes: { per_device_train_batch_size: 4, gradient_accumulation_steps: 2 },
    });
    expect(planFailureFix("unknown", { rung: 0, attempts: 0 }, config)).toMatchObject({ action: "stop", stoppedReason: "no-automatic-fix" });
    expect(planFailureFix("import-error", { rung: 0, attempts: 0 }, config)).toMatchObject({ action: "retry", changes: {}, state: { attempts: 1 } });
    expect(planFailureFix("import-error", { rung: 0, attempts: 3 }, config)).toMatchObject({ action: "stop", stoppedReason: "fix-attempts-exhausted" });
    expect(planFailureFix("timeout", { rung: 0, attempts: 0 }, { timeoutHours: 4 })).toMatchObject({ changes: { timeoutHours: 8 } });
  });

  it("scales only the hyperparameter each alert justifies", () => {
    const config = { learning_rate: 2e-4, weight_decay: 0.01, max_length: 1024, model: "org/m" };
    expect(applyAlertPolicy({ kind: "diverged" }, config).changes).toEqual({ learning_rate: 2e-5 });
    expect(applyAlertPolicy({ kind: "overfitting" }, config).changes).toEqual({ weight_decay: 0.1 });
    expect(applyAlertPolicy({ kind: "early-stopping" }, config).changes).toEqual({ learning_rate: 1e-4 });
    expect(applyAlertPolicy({ kind: "overfitting" }, { weight_decay: 0 }).changes).toEqual({ weight_decay: 0.01 });
    expect(applyAlertPolicy({ kind: "diverged" }, {}).changes).toEqual({});
    expect(config).toEqual({ learning_rate: 2e-4, weight_decay: 0.01, max_length: 1024, model: "org/m" });
  });

  it("checks its change with the scope guard against the keys it is given", () => {
    const config = { learning_rate: 2e-4, weight_decay: 0.01 };
    // A pipeline that protects the learning rate gets no automatic change to it.
    const protectedRate = applyAlertPolicy({ kind: "diverged" }, config, { learning_rate: ["lr"] });
    expect(protectedRate.changes).toEqual({});
    expect(protectedRate.reason).toMatch(/Scope change to protected learning_rate/);
    expect(applyAlertPolicy({ kind: "overfitting" }, config, { learning_rate: ["lr"] }).changes).toEqual({ weight_decay: 0.1 });
  });
});
