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
 * attempts (for retry tests); a single result answers every attempt. A request
 * naming an agent is answered by that agent's recorded calls, in order (the
 * node runner asks with the agent's name), so a recorded run replays step by step.
 */
export function createReplayExecutor(fixture: ReplayFixture): Executor {
  const attempts = new Map<string, number>();
  return {
    name: "replay",
    // A recording carries each call's cost, billable ones included.
    capabilities: { read: true, write: true, bill: true, reportsCost: true },
    async run(request, opts) {
      if (opts.signal?.aborted) throw stepAbortedError(request.step);
      const key = request.agentType ?? request.step;
      // The node runner names each call `<agent>#<n>`: answer the agent's n-th recorded call, so a
      // run split over processes (resumed, or one CI job per step) replays the same answers.
      const numbered = request.agentType !== undefined && request.step.startsWith(`${request.agentType}#`) ? Number(request.step.slice(request.agentType.length + 1)) : NaN;
      const attempt = Number.isSafeInteger(numbered) && numbered > 0 ? numbered : (attempts.get(key) ?? 0) + 1;
      attempts.set(key, attempt);
      // Clone so a caller mutating a result cannot change later attempts.
      return structuredClone(recordedResult(fixture, key, attempt));
    },
  };
}

/**
 * A recorded run as JSON lines, one agent call a line in the order they were made:
 * `{"agent": "<agentType>", "output": {...}, "costUsd": 0}` (`status` defaults to `ok`;
 * `note` is for people). Blank lines and lines starting with `//` are skipped.
 */
export function parseReplayLines(text: string, path: string): ReplayFixture {
  const steps: Record<string, StepResult[]> = Object.create(null);
  text.split("\n").forEach((raw, index) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("//")) return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (cause) {
      throw new RuntimeError("SPR204", `${path}:${index + 1}: replay line is not valid JSON: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    }
    if (!isObject(value) || typeof value.agent !== "string" || value.agent === "") {
      throw new RuntimeError("SPR204", `${path}:${index + 1}: replay line needs a string \`agent\``, { hint: '{"agent": "<agent name>", "output": {...}, "costUsd": 0}' });
    }
    const result = { status: value.status ?? "ok", costUsd: value.costUsd ?? 0, output: value.output } as StepResult;
    const problem = resultProblem(result);
    if (problem !== undefined) throw new RuntimeError("SPR204", `${path}:${index + 1}: replay line ${problem}`);
    (steps[value.agent] ??= []).push(result);
  });
  return { steps };
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

/** Read and validate a replay fixture file: JSON lines (`.jsonl`) or one JSON object. */
export function loadReplayFixture(path: string): ReplayFixture {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (cause) {
    throw new RuntimeError("SPR204", `cannot read replay fixture ${path}`, { cause, hint: "check the path" });
  }
  if (path.endsWith(".jsonl")) return parseReplayLines(text, path);
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
