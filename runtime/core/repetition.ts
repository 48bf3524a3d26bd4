// Loop-control guards of the agent loop: doom-loop detection,
// iteration budgets, the continuation nudge and the malformed-action streak.
import { hashString, stableStringify } from "./hash.js";

/** Doom-loop guard defaults (the reference agent loop's values). */
export const REPETITION_DEFAULTS = {
  window: 30,
  identicalStreak: 3,
  cycleMinLength: 2,
  cycleMaxLength: 5,
  cycleRepeats: 2,
};

/** Iteration budget defaults: LLM calls per turn and transient-error retries. */
export const ITERATION_DEFAULTS = {
  maxIterations: 300,
  maxRetries: 3,
};

/** Tunable doom-loop parameters; missing ones take `REPETITION_DEFAULTS`. */
export type RepetitionParams = Partial<typeof REPETITION_DEFAULTS>;

/** One agent action as the guard sees it. */
export interface ActionRecord {
  name: string;
  args?: unknown;
  result?: unknown;
}

/** Verdict of `checkRepetition`. */
export type RepetitionVerdict =
  | { repeated: true; kind: "identical" | "cycle"; length: number; repeats: number; instruction: string }
  | { repeated: false; kind: null };

/** The corrective message injected when the agent repeats itself. */
export const REPETITION_INSTRUCTION =
  "[REPETITION GUARD] You are repeating the same actions with the same results. STOP repeating this approach. Do not retry the same thing: identify what has to change, then try a fundamentally different strategy.";

/**
 * Signature of an action: tool name, hash of its canonical arguments and hash
 * of its result. The result is part of it so polling whose result changes is
 * never mistaken for a loop.
 */
export function actionSignature(action: ActionRecord): string {
  return action.name + ":" + hashString(stableStringify(action.args)) + ":" + hashString(stableStringify(action.result));
}

/** Largest window the guard looks at, whatever the params say (the check is linear in it). */
export const REPETITION_MAX_WINDOW = 1000;

/**
 * The doom-loop params, validated: a missing or unusable number (not a
 * finite integer) takes its default, and every number is clamped to its
 * range: window 2–`REPETITION_MAX_WINDOW`, streak and repeats 2–window, cycle
 * lengths 2–window/2 (a longer cycle cannot repeat twice in the window).
 */
export function repetitionParams(params: RepetitionParams = {}): typeof REPETITION_DEFAULTS {
  const given = params !== null && typeof params === "object" ? params : {};
  const pick = (value: unknown, fallback: number, low: number, high: number): number => {
    const number = typeof value === "number" && Number.isFinite(value) ? Math.floor(value) : fallback;
    return Math.min(Math.max(number, low), Math.max(low, high));
  };
  const windowSize = pick(given.window, REPETITION_DEFAULTS.window, 2, REPETITION_MAX_WINDOW);
  const half = Math.max(2, Math.floor(windowSize / 2));
  const cycleMinLength = pick(given.cycleMinLength, REPETITION_DEFAULTS.cycleMinLength, 2, half);
  return {
    window: windowSize,
    identicalStreak: pick(given.identicalStreak, REPETITION_DEFAULTS.identicalStreak, 2, windowSize),
    cycleMinLength,
    cycleMaxLength: pick(given.cycleMaxLength, REPETITION_DEFAULTS.cycleMaxLength, cycleMinLength, half),
    cycleRepeats: pick(given.cycleRepeats, REPETITION_DEFAULTS.cycleRepeats, 2, windowSize),
  };
}

/**
 * Look at the last `window` signatures for an identical streak at the tail or
 * a tail cycle of length `cycleMinLength`–`cycleMaxLength` repeated
 * `cycleRepeats` times. Params are validated by `repetitionParams` (cycle
 * lengths at most window/2). Linear in the window: one Z-function pass over
 * the reversed tail gives every cycle length's repeat count. Advisory: the
 * caller injects `instruction`, it does not abort.
 */
export function checkRepetition(signatures: string[], params: RepetitionParams = {}): RepetitionVerdict {
  const options = repetitionParams(params);
  const tail = (Array.isArray(signatures) ? signatures : []).slice(-options.window);
  const streak = repetitionStreak(tail);
  if (streak >= options.identicalStreak) {
    return { repeated: true, kind: "identical", length: streak, repeats: streak, instruction: REPETITION_INSTRUCTION };
  }
  const reversed = tail.slice().reverse();
  const z = repetitionZ(reversed);
  for (let length = options.cycleMinLength; length <= options.cycleMaxLength && length <= reversed.length; length++) {
    // A unit made of one repeated signature is an identical streak, not a cycle (its threshold is `identicalStreak`).
    if (streak >= length) continue;
    const repeats = 1 + Math.floor(z[length] / length);
    if (repeats >= options.cycleRepeats) {
      return { repeated: true, kind: "cycle", length, repeats, instruction: REPETITION_INSTRUCTION };
    }
  }
  return { repeated: false, kind: null };
}

/** Length of the run of signatures equal to the last one. */
function repetitionStreak(tail: string[]): number {
  let count = 0;
  for (let index = tail.length - 1; index >= 0 && tail[index] === tail[tail.length - 1]; index--) count++;
  return count;
}

/**
 * Z-function: `z[i]` is the length of the longest common prefix of `items`
 * and `items.slice(i)` (`z[0]` is the length). On the reversed tail, the
 * last `length` signatures repeat `1 + floor(z[length] / length)` times back
 * to back. Linear time.
 */
function repetitionZ(items: string[]): number[] {
  const count = items.length;
  const z: number[] = [count];
  for (let index = 1; index <= count; index++) z.push(0);
  let left = 0;
  let right = 0;
  for (let index = 1; index < count; index++) {
    let match = index < right ? Math.min(right - index, z[index - left]) : 0;
    while (index + match < count && items[match] === items[index + match]) match++;
    z[index] = match;
    if (index + match > right) {
      left = index;
      right = index + match;
    }
  }
  return z;
}

/** Counters for `checkIterationBudget`. */
export interface IterationCounts {
  iterations: number;
  loopIterations?: number;
}

/** Budget for `checkIterationBudget`; `maxLoopIterations` unset means the loop bound is checked elsewhere. */
export interface IterationBudgetParams {
  maxIterations?: number;
  maxLoopIterations?: number;
}

/**
 * Decide, before starting the next iteration, whether budget remains. The
 * counts are what has already run, so `iterations === maxIterations` stops.
 */
export function checkIterationBudget(
  counts: IterationCounts,
  params: IterationBudgetParams = {},
): { ok: boolean; stoppedReason?: "iteration-budget-exhausted" | "loop-budget-exhausted" } {
  const maxIterations = params.maxIterations ?? ITERATION_DEFAULTS.maxIterations;
  if (!(counts.iterations < maxIterations)) return { ok: false, stoppedReason: "iteration-budget-exhausted" };
  const maxLoop = params.maxLoopIterations;
  if (maxLoop !== undefined && !((counts.loopIterations ?? 0) < maxLoop)) {
    return { ok: false, stoppedReason: "loop-budget-exhausted" };
  }
  return { ok: true };
}

/** The nudge injected when the agent stops calling tools with plan items left. */
export const CONTINUATION_INSTRUCTION =
  "[CONTINUATION GUARD] Your plan still has pending or in-progress items, but you made no tool call. Continue the work: make at least one tool call now, or mark the remaining items completed if they are done.";

/**
 * Continuation guard. `noToolTurns` counts consecutive turns without a tool
 * call (reset by any tool call). With plan items left the agent is nudged up
 * to `maxRetries` times; a complete plan and no tool call means it is done.
 */
export function checkContinuation(
  turn: { noToolTurns: number; planIncomplete: boolean },
  params: { maxRetries?: number } = {},
): { action: "continue" | "nudge" | "stop"; instruction?: string; reason: string } {
  const maxRetries = params.maxRetries ?? 2;
  if (turn.noToolTurns <= 0) return { action: "continue", reason: "the agent made a tool call" };
  if (!turn.planIncomplete) return { action: "stop", reason: "no tool call and the plan is complete" };
  if (turn.noToolTurns <= maxRetries) {
    return { action: "nudge", instruction: CONTINUATION_INSTRUCTION, reason: "no tool call with plan items left" };
  }
  return { action: "stop", reason: "continuation nudges exhausted with plan items left" };
}

/** The instruction injected after repeated malformed actions. */
export const MALFORMED_INSTRUCTION =
  "[MALFORMED ACTION GUARD] Your last actions had malformed arguments. Stop retrying the same call shape: send smaller arguments, or write large content with a shell heredoc (cat <<'EOF' > file) instead.";

/** Malformed-action guard: after `maxStreak` malformed actions in a row, ask for a different call shape. */
export function checkMalformed(
  streak: number,
  params: { maxStreak?: number } = {},
): { action: "ok" | "switch-shape"; instruction?: string } {
  const maxStreak = typeof params.maxStreak === "number" && Number.isFinite(params.maxStreak) ? params.maxStreak : 2;
  // An unusable streak count fails closed: ask for a different call shape.
  if (!(typeof streak === "number" && streak >= 0 && streak < maxStreak)) return { action: "switch-shape", instruction: MALFORMED_INSTRUCTION };
  return { action: "ok" };
}
