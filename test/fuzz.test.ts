import { describe, expect, test } from "vitest";
import { runFuzz } from "../scripts/fuzz.mjs";
import { makeCase } from "./fuzz/mutate.js";

/**
 * A CI slice of the mutation fuzzer (scripts/fuzz.mjs; `npm run fuzz` runs 20,000 cases). Cases run
 * against the built dist/ (npm test builds it first) in worker threads with a 5 s wall-clock limit,
 * so a hang fails this test instead of hanging CI. A case over 2 s fails too: 2 s is already far
 * above the ~100 ms a mutated spec takes, so noise on a busy 2-core machine stays below it.
 */
const CASES = 300;
const SEED = 20260601;

interface Failure {
  kind: string;
  index: number;
  ms: number;
  seed: string;
  ops: string[];
  detail: string;
}

describe("mutation fuzzer", () => {
  test(`${CASES} seeded mutated specs: no crash, stack overflow, hang, slow case or bad output`, async () => {
    const { counts, failures } = (await runFuzz({ cases: CASES, seed: SEED, workers: 2, timeoutMs: 5000, slowMs: 2000, makeCase })) as { counts: Record<string, number>; failures: Failure[] };
    const shown = failures.map((failure) => `#${failure.index} ${failure.kind} (${failure.seed}: ${failure.ops.join(", ")}; reproduce: node scripts/fuzz.mjs --seed ${SEED} --case ${failure.index}) ${failure.detail.split("\n")[0]}`);
    expect(shown, JSON.stringify(counts)).toEqual([]);
    expect(counts.ok).toBe(CASES);
  }, 180_000);
});
