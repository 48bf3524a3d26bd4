/**
 * Replay executor: returns recorded results instead of doing work, so whole
 * workflows can be tested offline and deterministically.
 */
import { readFileSync } from "node:fs";
import { RuntimeError } from "../errors.js";
import { stepAbortedError, type Executor, type StepResult } from "./executor.js";

/** `{steps: {[step]: result | [attempt1, attempt2, …]}}`. */
export interface ReplayFixture {
  steps: Record<string, StepResult | StepResult[]>;
}

/**
 * Executor that answers each step from `fixture`. An array gives successive
 * attempts (for retry tests); a single result answers every attempt.
 */
export function createReplayExecutor(fixture: ReplayFixture): Executor {
  const attempts = new Map<string, number>();
  return {
    name: "replay",
    async run(request, opts) {
      if (opts.signal?.aborted) throw stepAbortedError(request.step);
      const attempt = (attempts.get(request.step) ?? 0) + 1;
      attempts.set(request.step, attempt);
      // Clone so a caller mutating a result cannot change later attempts.
      return structuredClone(recordedResult(fixture, request.step, attempt));
    },
  };
}

function recordedResult(fixture: ReplayFixture, step: string, attempt: number): StepResult {
  if (!Object.hasOwn(fixture.steps, step)) {
    throw new RuntimeError("SPR202", `replay fixture has no recorded result for step \`${step}\``, {
      hint: `add \`steps["${step}"]\` to the fixture, or run the step with a live executor`,
    });
  }
  const recorded = fixture.steps[step]!;
  if (!Array.isArray(recorded)) return recorded;
  const result = recorded[attempt - 1];
  if (result === undefined) {
    throw new RuntimeError(
      "SPR203",
      `replay fixture has ${recorded.length} recorded attempt(s) for step \`${step}\`, attempt ${attempt} was requested`,
      { hint: "record another attempt, or lower the step's retry limit in the test" },
    );
  }
  return result;
}

/** Read and validate a replay fixture file. */
export function loadReplayFixture(path: string): ReplayFixture {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (cause) {
    throw new RuntimeError("SPR204", `cannot read replay fixture ${path}`, { cause, hint: "check the path" });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    throw new RuntimeError("SPR204", `replay fixture ${path} is not valid JSON: ${detail}`, { cause });
  }
  const problem = fixtureProblem(value);
  if (problem !== undefined) {
    throw new RuntimeError("SPR204", `replay fixture ${path} is malformed: ${problem}`, {
      hint: 'expected {"steps": {"<step>": {"status": "ok", "costUsd": 0, ...}}}',
    });
  }
  return value as ReplayFixture;
}

const STATUSES = new Set(["ok", "error", "timeout"]);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function fixtureProblem(value: unknown): string | undefined {
  if (!isObject(value) || !isObject(value.steps)) return "missing `steps` object";
  for (const [step, recorded] of Object.entries(value.steps)) {
    const results = Array.isArray(recorded) ? recorded : [recorded];
    if (results.length === 0) return `\`steps.${step}\` is an empty list`;
    for (const [i, result] of results.entries()) {
      const where = Array.isArray(recorded) ? `steps.${step}[${i}]` : `steps.${step}`;
      const problem = resultProblem(result);
      if (problem !== undefined) return `\`${where}\` ${problem}`;
    }
  }
  return undefined;
}

function resultProblem(result: unknown): string | undefined {
  if (!isObject(result)) return "must be an object";
  if (!STATUSES.has(result.status as string)) return "needs `status` ok, error or timeout";
  if (typeof result.costUsd !== "number" || !Number.isFinite(result.costUsd) || result.costUsd < 0) {
    return "needs a non-negative number `costUsd`";
  }
  return undefined;
}
