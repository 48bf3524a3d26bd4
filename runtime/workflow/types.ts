// Types of the workflow driver. Structural subsets of the compiler's pipeline IR
// (compiler/pipeline.ts), so the runtime never imports the compiler. Types only:
// this file compiles to nothing the inliner has to keep.
import type { Ledger } from "../core/ledger.js";
import type { OomState } from "../core/oom.js";
import type { RepetitionParams } from "../core/repetition.js";
import type { ScopeBaseline } from "../core/scope.js";

/** A JSON Schema object. */
export type DriverSchema = { [key: string]: unknown };

/** The part of an `AgentSpec` the driver reads. */
export interface DriverAgent {
  name: string;
  role: string;
  description?: string;
  schema: DriverSchema;
}

/** The part of a pipeline `Step` the driver reads. */
export interface DriverStep {
  id: string;
  title: string;
  kind: string;
  agents: DriverAgent[];
  config: { [key: string]: unknown };
}

/** A declared workflow parameter. */
export interface DriverParam {
  name: string;
  type: string;
  required: boolean;
  default: string | number | boolean | null;
  description?: string;
}

/** The control-contract numbers the driver enforces. */
export interface DriverContract {
  maxIterations: number;
  maxRetries: number;
  repetition: RepetitionParams;
  costCapUsd: number;
}

/** The part of a `Pipeline` the driver reads. */
export interface DriverPipeline {
  name: string;
  params: DriverParam[];
  contract: DriverContract;
  steps: DriverStep[];
}

/** Options of one `agent()` call. */
export interface AgentCallOptions {
  label: string;
  phase: string;
  schema: DriverSchema;
  agentType: string;
}

/**
 * The workflow primitives the driver uses, passed in as `wf` (the generated
 * script passes `{ agent, parallel, log }`; tests pass stand-ins).
 */
export interface WorkflowApi {
  agent(prompt: string, options: AgentCallOptions): Promise<unknown>;
  parallel(thunks: (() => Promise<unknown>)[]): Promise<unknown[]>;
  log(message: string): void;
}

/** What an agent call carries besides the task: the request text and the context data. */
export interface AgentCall {
  request: string;
  context: { [key: string]: unknown };
}

/** One agent's structured output (already schema-validated by the workflow runtime). */
export type AgentOutput = { [key: string]: unknown };

/** Why a run stopped. `data` carries machine-readable details (violations, issues). */
export interface RunStop {
  stoppedReason: string;
  step: string | null;
  detail: string;
  data?: unknown;
}

/** One line of the run's trace. */
export interface RunEvent {
  step: string | null;
  kind: string;
  detail: string;
}

/** Hardware and timeout sized from the verified model. */
export interface RunSizing {
  flavor: string;
  timeoutHours: number;
  basis: string;
  footprintGb: number;
}

/** The job as the checklist step described it and the submit invariant accepted it. */
export interface JobPlan {
  code: { kind: "inline" | "url" | "path" | "repo"; value: string } | null;
  timeout_hours: number | string;
  work: string;
  monitoring: { kind: string; target: string } | null;
  persistence: { destination: string } | null;
  flavor: string;
  [key: string]: unknown;
}

/** Normalized invocation arguments: the task plus every declared parameter. */
export interface RunArgs {
  task: string;
  [name: string]: unknown;
}

/** The whole run state: plain JSON data, replaced (never mutated) by every driver function. */
export interface RunState {
  args: RunArgs;
  mode: "autonomous" | "interactive";
  costCapUsd: number;
  baseline: ScopeBaseline | null;
  ledger: Ledger;
  /** Output of each step that finished, by step id. */
  outputs: { [stepId: string]: unknown };
  /** Critic feedback waiting for the reviewed step's next run, by step id. */
  feedback: { [stepId: string]: unknown };
  /** How many times each step has started (a critic re-runs the step it reviews). */
  attempts: { [stepId: string]: number };
  /** OOM ladder position, carried across attempts and steps. */
  oom: OomState;
  /** Training-config changes the driver imposed (OOM ladder, alert policy, mechanical fixes). */
  overrides: { [key: string]: unknown };
  /** The training config the workers last reported. */
  trainingConfig: { [key: string]: unknown };
  /** Failure and poll signatures for the repetition guard (the last window only). */
  signatures: string[];
  /** Agent calls made so far (the iteration budget). */
  iterations: number;
  sizing: RunSizing | null;
  jobPlan: JobPlan | null;
  artifacts: unknown[];
  stop: RunStop | null;
  events: RunEvent[];
}

/** The workflow's return value. */
export interface RunResult {
  status: "completed" | "stopped";
  stoppedReason: string;
  step: string | null;
  detail: string;
  data: unknown;
  workflow: string;
  iterations: number;
  spend: { capUsd: number; committedUsd: number; reserved: { [key: string]: number }; settled: { [key: string]: number } };
  outputs: { [stepId: string]: unknown };
  artifacts: unknown[];
  events: RunEvent[];
}
