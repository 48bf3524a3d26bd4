/**
 * The pipeline IR: the executable realization of a spec. Every step is traced to the spec
 * elements it realizes, and every rule records where it is enforced. Back-ends print it; the
 * runtime's workflow driver (runtime/workflow/) executes its steps.
 */
import type { Source } from "./ir.js";

/** The step kinds the runtime driver knows how to run: the keys of its one registry. */
export type { StepKind } from "../runtime/workflow/kinds.js";
import type { StepKind } from "../runtime/workflow/kinds.js";

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

/** A stand-in run that broke a rule and was stopped by the guard claimed to enforce it. */
export interface Proof {
  guard: string;
  /** The step whose agent gave the violating answer. */
  step: string;
  /** What the agent answered to get around the guard, in a few words. */
  violation: string;
  /** The stop reason the run ended with; it is the guard's own. */
  stoppedReason: string;
}

/**
 * Where a rule is enforced: by a runtime guard (proven by a stand-in run), by a hook, or only in
 * the prompts of the steps that could break it.
 */
export interface Enforcement {
  rule: string;
  strength: string | null;
  where: "guard" | "hook" | "prompt";
  /** The runtime guards or hooks that enforce it (empty for `prompt`). */
  by: string[];
  /** The steps whose agents are told the rule. */
  steps: string[];
  /** One passing violation run per claimed guard. */
  proofs: Proof[];
}

/** What kind of spec element an accounting entry is about. */
export type ElementKind = "section" | "phase" | "rule" | "guard" | "parameter" | "gate" | "principle" | "criterion" | "capability" | "role" | "state" | "document";

/** How one spec element was realized; every element of the spec has exactly one entry. */
export interface Accounting {
  /** The element's id (`Phase 4`, `R7`, `6.2`), or its title when it has none. */
  element: string;
  kind: ElementKind;
  label: TraceLabel;
  reason: string;
  /** The steps that realize it. */
  steps: string[];
  line: number | null;
}

/** The control contract with every number resolved (spec value or documented default). */
export interface ResolvedContract {
  maxIterations: number;
  maxRetries: number;
  repetition: { window: number; identicalStreak: number; cycleMinLength: number; cycleMaxLength: number; cycleRepeats: number };
  continuationRetries: number;
  malformedStreak: number;
  /** Null when the spec states no budget and nothing it does is billable. */
  costCapUsd: number | null;
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
  /** Keys the scope guard protects in the frozen baseline, each with the names that mean it. */
  protectedKeys: { [key: string]: string[] };
  /** URL prefixes the scope guard strips before comparing values (`https://host/` of a resource). */
  scopeStripPrefixes: string[];
  /** The task classes the intake chooses among (absent: the task is not classified). */
  taskClasses: string[] | null;
  steps: Step[];
  /** Spec elements not realized as steps, with the reason. */
  omitted: Trace[];
  enforcement: Enforcement[];
  /** Every spec element, kept, adapted, added or omitted, with the reason. */
  accounting: Accounting[];
}
