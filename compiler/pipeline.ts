/**
 * The pipeline IR: the executable realization of a spec. Every step is traced to the spec
 * elements it realizes, and every rule records where it is enforced. Back-ends print it; the
 * runtime's workflow driver (runtime/workflow/) executes its steps.
 */
import type { Source } from "./ir.js";

/** The step kinds the runtime driver knows how to run (one function each). */
export type StepKind =
  | "intake"
  | "agent"
  | "fanout"
  | "critic"
  | "resources"
  | "smoke"
  | "preflight"
  | "checklist"
  | "job"
  | "completion"
  | "loop";

/** How a step relates to the spec. */
export type TraceLabel = "kept" | "adapted" | "added" | "omitted";

export interface Trace {
  label: TraceLabel;
  /** Why the step looks the way it does, in one sentence. */
  reason: string;
  /** Spec ids the step realizes (`Phase 4`, `R7`, `C8`, `D1`). */
  elements: string[];
  /** Where in the spec the main element is written. */
  source: Source | null;
}

/** One subagent of a step, with least-privilege tools and a structured output schema. */
export interface AgentSpec {
  /** Subagent name: lowercase letters, digits and hyphens (`ml-research-verify-research`). */
  name: string;
  role: "worker" | "finder" | "critic" | "synthesis" | "checker";
  description: string;
  /** What the agent must do, in order: spec prose, requirements, rule texts. Data, never code. */
  instructions: string[];
  /** Rule ids whose text is in the instructions. */
  rules: string[];
  capabilities: string[];
  skills: string[];
  tools: string[];
  readOnly: boolean;
  /** The JSON Schema the agent's structured output must satisfy. */
  schema: JsonSchema;
}

export type JsonSchema = { [key: string]: unknown };

export interface Step {
  /** Kebab-case, unique (`verify-research`). */
  id: string;
  index: number;
  /** The `phase()` title and `meta.phases` title. */
  title: string;
  kind: StepKind;
  trace: Trace;
  agents: AgentSpec[];
  /** Kind-specific settings (retry bounds, checklist items, criteria, the step it reviews). */
  config: { [key: string]: unknown };
}

/** Where a rule is enforced: in a pure guard, a hook, or only in prompts, schemas and critics. */
export interface Enforcement {
  rule: string;
  strength: string | null;
  where: "guard" | "hook" | "prompt" | "schema" | "critic";
  /** The guard function, hook or step that enforces it. */
  by: string[];
}

/** The control contract with every number resolved (spec value or documented default). */
export interface ResolvedContract {
  maxIterations: number;
  maxRetries: number;
  repetition: { window: number; identicalStreak: number; cycleMinLength: number; cycleMaxLength: number; cycleRepeats: number };
  continuationRetries: number;
  malformedStreak: number;
  costCapUsd: number;
  researchMaxSteps: number;
  /** `spec` where the spec wrote the number, `prose` where it was read from a sentence, `default` where it did not. */
  origin: { [key: string]: "spec" | "prose" | "default" };
}

export interface PipelineParam {
  name: string;
  type: "string" | "number" | "integer" | "boolean";
  required: boolean;
  default: string | number | boolean | null;
  description: string;
}

export interface Pipeline {
  pipelineVersion: 1;
  name: string;
  title: string;
  description: string;
  profile: string;
  spec: { path: string; sha256: string };
  params: PipelineParam[];
  contract: ResolvedContract;
  /** Keys the scope guard protects in the frozen baseline. */
  protectedKeys: string[];
  steps: Step[];
  /** Spec elements not realized as steps, with the reason. */
  omitted: Trace[];
  enforcement: Enforcement[];
}
