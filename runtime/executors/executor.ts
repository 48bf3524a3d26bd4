/**
 * The one contract every step executor implements. Executors turn a
 * {@link StepRequest} into a {@link StepResult}; they never journal, retry or
 * budget — the runner does that — so each one stays a thin adapter.
 */
import { RuntimeError } from "../errors.js";

/** What the runner asks an executor to do for one step attempt. */
export interface StepRequest {
  step: string;
  /** Agent prompt (agent executors). */
  prompt?: string;
  /** argv (shell executor); never a shell string. */
  command?: string[];
  /** JSON Schema the structured output must follow. */
  schema?: object;
  /** Wall-clock limit for this attempt. */
  timeoutSeconds?: number;
  /** Named agent/sub-agent to run the step as. */
  agentType?: string;
  cwd?: string;
}

/** Outcome of one attempt; `costUsd` is what this attempt spent (0 if free). */
export interface StepResult {
  status: "ok" | "error" | "timeout";
  /** Structured output, e.g. JSON matching `schema`. */
  output?: unknown;
  text?: string;
  costUsd: number;
  /** Last part of the log, for the failure taxonomy. */
  logTail?: string;
  exitCode?: number;
}

/** Per-call options. */
export interface RunOptions {
  /** Aborting rejects the run with `SPR206` after the work has been stopped. */
  signal?: AbortSignal;
}

/**
 * What an executor can do. The node runner refuses a billable agent call through an executor
 * without `bill` and `reportsCost`: spend it cannot see is spend the ledger cannot cap.
 */
export interface ExecutorCapabilities {
  read: boolean;
  write: boolean;
  bill: boolean;
  reportsCost: boolean;
}

/** A way to run steps (replay fixture, Claude agent, local command, …). */
export interface Executor {
  name: string;
  capabilities?: ExecutorCapabilities;
  run(step: StepRequest, opts: RunOptions): Promise<StepResult>;
}

/** The error every executor rejects with when the caller aborts a step. */
export function stepAbortedError(step: string): RuntimeError {
  return new RuntimeError("SPR206", `step \`${step}\` was aborted`, {
    hint: "the run was stopped; resume it to continue from the journal",
  });
}
