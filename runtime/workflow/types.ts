// Types of the workflow driver. Structural subsets of the compiler's pipeline IR
// (compiler/pipeline.ts), so the runtime never imports the compiler. Types only:
// this file compiles to nothing the inliner has to keep.
import type { Ledger } from "../core/ledger.js";
import type { RepetitionParams } from "../core/repetition.js";
import type { ProtectedKeyTable, ScopeBaseline } from "../core/scope.js";

/** A JSON Schema object. */
export type DriverSchema = { [key: string]: unknown };

/** The part of an `AgentSpec` the driver reads. */
export interface DriverAgent {
  name: string;
  role: string;
  description?: string;
  schema: DriverSchema;
  /** Ids of the spec rules the agent is bound by; their text is in the pipeline's `rules`. */
  rules?: string[];
  /** Extra `agent()` options this agent is routed to (`model`, `effort`: cheaper ones for pollers and finders). */
  route?: { [option: string]: string };
}

/** The part of a pipeline `Step` the driver reads. */
export interface DriverStep {
  id: string;
  /** The step's position (0-based), as printed in generated scripts. */
  index?: number;
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
  /** The spend cap; null when the spec declared no budget (then only the user's `cost_cap_usd` sets one). */
  costCapUsd: number | null;
}

/** The part of a `Pipeline` the driver reads. */
export interface DriverPipeline {
  name: string;
  params: DriverParam[];
  contract: DriverContract;
  steps: DriverStep[];
  /**
   * The keys the scope guard protects: canonical key → its aliases (config
   * keys or flags that mean it). `{}` protects only what `startRun` freezes
   * from the user's args (each declared param by its own name).
   */
  protectedKeys?: ProtectedKeyTable;
  /** Prefixes removed from protected values before comparison (see `normalizeScopeValue`). */
  scopeStripPrefixes?: string[];
  /** Rule id → rule text, named once; each agent's `rules` lists the ids it is told. */
  rules?: { [id: string]: string };
  /** The task classes the intake chooses among (null: the task is not classified). */
  taskClasses?: string[] | null;
}

/**
 * A pipeline as a generated script prints it: each agent's schema may be the key of a schema
 * table (`pipelineWithSchemas` resolves it), so every schema is written once.
 */
export type DriverPipelineSource = Omit<DriverPipeline, "steps"> & {
  steps: (Omit<DriverStep, "agents"> & { agents: (Omit<DriverAgent, "schema"> & { schema: DriverSchema | string })[] })[];
};

/** Options of one `agent()` call. */
export interface AgentCallOptions {
  label: string;
  phase: string;
  schema: DriverSchema;
  agentType: string;
  model?: string;
  effort?: string;
}

/**
 * The workflow primitives the driver uses, passed in as `wf` (the generated
 * script passes `{ agent, parallel, log }`; tests pass stand-ins).
 */
export interface WorkflowApi {
  agent(prompt: string, options: AgentCallOptions): Promise<unknown>;
  parallel(thunks: (() => Promise<unknown>)[]): Promise<unknown[]>;
  log(message: string): void;
  /** The Workflow's token budget (claude-code-formats §1.4), when the run has one. */
  budget?: { total: number | null; spent(): number; remaining(): number } | null;
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

/** Hardware and timeout sized from the verified resources. */
export interface RunSizing {
  flavor: string;
  timeoutHours: number;
  basis: string;
  footprintGb: number;
}

/** The job as the readiness step described it and the submit invariant accepted it. */
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

/** Soft review issues a critic raised on a step that passed, shown to later steps. */
export interface RunNote {
  step: string;
  critic: string;
  issues: unknown[];
}

/** A recovery ladder's position: the rung reached and the attempts made on it. */
export interface RunLadder {
  rung: number;
  attempts: number;
}

/** The whole run state: plain JSON data, replaced (never mutated) by every driver function. */
export interface RunState {
  /**
   * The run's id: `<workflow>-<14 hex>`, a hash of the workflow name, the
   * task and params (not the control args) and the user's `runId` counter.
   * Deterministic, so the hook can key its ledger by it.
   */
  runId: string;
  args: RunArgs;
  mode: "autonomous" | "interactive";
  /** The spend cap in USD, or null when neither the user nor the pipeline set one. */
  costCapUsd: number | null;
  /** The frozen values the scope guard protects (the user's params, then the intake's report). */
  baseline: ScopeBaseline | null;
  ledger: Ledger;
  /** Output of each step that finished, by step id. */
  outputs: { [stepId: string]: unknown };
  /** Critic feedback waiting for the reviewed step's next run, by step id. */
  feedback: { [stepId: string]: unknown };
  /** How many times each step has started (a critic re-runs the step it reviews). */
  attempts: { [stepId: string]: number };
  /** Recovery-ladder position, carried across attempts and steps. */
  ladder: RunLadder;
  /** Config changes the driver imposed (recovery ladder, alert policy, mechanical fixes). */
  overrides: { [key: string]: unknown };
  /** The work config the workers last reported. */
  workConfig: { [key: string]: unknown };
  /** The task class the intake chose (`config.classes`), or null. */
  taskClass: string | null;
  /** Soft review notes, shown to the agents of later steps. */
  notes: RunNote[];
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

/** The workflow's return value. `completed` also covers a run that ended early with an answer or at a branch end. */
export interface RunResult {
  /** The run's id (see `RunState.runId`). */
  runId: string;
  status: "completed" | "stopped";
  stoppedReason: string;
  step: string | null;
  detail: string;
  data: unknown;
  workflow: string;
  iterations: number;
  taskClass: string | null;
  notes: RunNote[];
  spend: { capUsd: number | null; committedUsd: number; reserved: { [key: string]: number }; settled: { [key: string]: number } };
  outputs: { [stepId: string]: unknown };
  artifacts: unknown[];
  events: RunEvent[];
}

/** The driver function of one step kind. */
export type StepDriver = (wf: WorkflowApi, pipeline: DriverPipeline, step: DriverStep, run: RunState) => Promise<RunState>;

/**
 * One agent slot of a step kind. A slot takes the agents whose `role`
 * matches, in order: with two `worker` slots the first worker is the
 * `worker` and the second the `fixer`. `many` slots take every agent of the
 * role; `optional` slots may be missing.
 */
export interface StepSlot {
  slot: string;
  role: string;
  many: boolean;
  optional: boolean;
}

/** One entry of the step-kind registry: its agent slots, the guards its driver runs, the stops it can produce, its driver. */
export interface StepKindEntry {
  slots: StepSlot[];
  guards: string[];
  stops: string[];
  /** The spec gate kinds a step of this kind checks as code. */
  gates: string[];
  /** The config keys its driver reads, with their JSON type (`integer`, `string[]`, `object`…). */
  config: { [key: string]: string };
  run: StepDriver;
}
