/**
 * A realization profile: the declarative, user-editable half of realization. It says how phases
 * with given features become steps, what each agent is told it is for, which skills exist and
 * what they may touch, which permissions the target needs, and which runtime guard enforces which
 * kind of rule. All domain knowledge lives here: the compiler core names no domain, and a profile
 * matches phases by what the spec says about them (gates, capabilities, skills, gaps, position),
 * never by phase names.
 */
import type { GateKind, GuardKind } from "./ir.js";
import type { StepKind, TraceLabel } from "./pipeline.js";

/** A condition on a phase; every key given must hold. */
export interface PhaseMatch {
  /** The phase is the first or last numbered phase. */
  position?: "first" | "last";
  /** The phase declares a gate of this kind. */
  gate?: GateKind;
  /** The phase does not declare a gate of this kind. */
  noGate?: GateKind;
  /** The phase declares a gate of every one of these kinds. */
  gates?: GateKind[];
  /** The phase declares at least one gate (true) or none (false). */
  gated?: boolean;
  /** The phase has requirements written after its approval gate (they run once it is approved). */
  afterGate?: boolean;
  /** The phase references a capability bound to one of these skills. */
  refsSkillAny?: string[];
  /** The phase references at least this many capabilities. */
  minCapabilities?: number;
  /** The phase references a capability whose binding has this gap (or worse). */
  refsGap?: "partial" | "full";
  /** The step realized just before this phase has this kind. */
  previousKind?: StepKind;
}

/**
 * The parts of a phase an agent is told:
 * - `prose`: the phase's paragraphs;
 * - `work`: requirements that are neither gated elsewhere nor written after an approval gate;
 * - `gated`: requirements that refer to the approval guard or to another phase's approval gate
 *   (billable or irreversible actions the workflow gates; only the gating step's agents get them);
 * - `after-gate`: requirements written after the phase's approval gate;
 * - `gate`: the text of the phase's gates that this step realizes (by its kind);
 * - `merged`: the requirements of phases folded into this step.
 */
export type TextPart = "prose" | "work" | "gated" | "after-gate" | "gate" | "merged";

/** One step a pattern emits for a matched phase. */
export interface StepTemplate {
  kind: StepKind;
  /** The step title; `{phase}` is replaced by the phase title. */
  title: string;
  /** How the step relates to the phase; the first step defaults to `adapted` or `kept`. */
  label?: TraceLabel;
  reason: string;
  /** Only emit the step when the phase also matches this. */
  when?: PhaseMatch;
  /** An `agent` step gets its own critic, which reviews and can re-run it (bounded). */
  critic?: boolean;
  /** What the step's agents are told of the phase (default: every part). */
  text?: TextPart[];
  /** Per agent slot, what that agent is told instead of `text` (`job`: `monitor: []`). */
  slotText?: { [slot: string]: TextPart[] };
  /** Task classes this step runs for (the intake classifies the task); absent: every class. */
  branches?: string[];
  /** Task classes whose run ends, completed, after this step. */
  endsBranch?: string[];
  /** Extra kind-specific settings, merged into the step's config. */
  config?: { [key: string]: unknown };
}

export interface Pattern {
  id: string;
  description: string;
  when: PhaseMatch;
  /** Steps to emit; an empty list with `mergeInto` folds the phase into the previous step. */
  steps: StepTemplate[];
  mergeInto?: "previous";
}

/**
 * A profile's claim that a runtime guard or a hook enforces a kind of rule, matched by the rule's
 * structure (never by its words). The claim holds only where the pipeline runs that guard, and
 * compile proves it with a stand-in run whose agent breaks the rule.
 */
export interface EnforcementBinding {
  /** The rule has a parameter with this key (`order`, `protected`). */
  param?: string;
  /** The rule refers to a contract guard of this kind (`§6.2` → `repetition`). */
  refsGuard?: GuardKind;
  where: "guard" | "hook";
  /** Runtime guard names (see the runtime's GUARD_STOP_REASONS) or hook names. */
  by: string[];
}

export interface SkillInfo {
  /** The plugin that provides the skill, `name@marketplace`. */
  plugin: string;
  /** `read` skills never change anything; agents using only those get read-only tools. */
  access: "read" | "write";
}

/** Commands that submit billable jobs, checked by the spend hook. */
export interface JobCommands {
  submit: string[];
  scheduled: string[];
  /** The flag that names the hardware tier of a job, and the tier a job without it gets. */
  hardwareFlag: string;
  timeoutFlag: string;
  defaultHardware: string;
}

export interface Profile {
  name: string;
  description: string;
  /** Chosen without `--profile` when the spec's binding table names one of these providers. */
  providers: string[];
  /** Minimum Claude Code version for the emitted files. */
  minClaudeCodeVersion: string;
  marketplaces: { [name: string]: { source: { source: string; repo: string } } };
  skills: { [skill: string]: SkillInfo };
  tools: { read: string[]; write: string[] };
  permissions: { allow: string[]; deny: string[] };
  /** Billable job commands; with them the target emits a spend hook. */
  jobs?: JobCommands;
  /** Whether the profile's capabilities spend money: then a run is capped even if the spec states no budget. */
  billable: boolean;
  /** Keys the scope guard protects by default, each with the names that mean it in configs and flags. */
  protectedKeys: { [key: string]: string[] };
  /** URL prefixes the scope guard strips before comparing protected values. */
  scopeStripPrefixes?: string[];
  /** The task classes the intake chooses among; `trivial` is answered at intake. */
  taskClasses?: string[];
  /** What each agent is for, by `kind/slot` (`job/monitor`) or `kind`. */
  purposes: { [key: string]: string };
  /** Request wording per step kind, handed to the driver as `config.request`. */
  requests?: { [kind: string]: string };
  /** Rules the profile adds to agents: read-only ones, and ones that can run commands. */
  agentRules: { readOnly: string; commands?: string };
  patterns: Pattern[];
  /** The step added for the completion criteria. */
  completion: { title: string; reason: string; branches?: string[] };
  /** The optional loop: omitted unless kept. */
  loop: { keep: boolean; title: string; reason: string };
  enforcement: EnforcementBinding[];
}
