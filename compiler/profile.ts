/**
 * A realization profile: the declarative, user-editable half of realization. It says how phases
 * with given features become steps, which skills exist and what they may touch, and which
 * permissions and plugins the target needs. Compiler code never names a spec's phases; profiles
 * match phases by what the spec says about them (gates, capabilities, skills, gaps, position).
 */
import type { GateKind } from "./ir.js";
import type { StepKind, TraceLabel } from "./pipeline.js";

/** A condition on a phase; every key given must hold. */
export interface PhaseMatch {
  /** The phase is the first or last numbered phase. */
  position?: "first" | "last";
  /** The phase declares a gate of this kind. */
  gate?: GateKind;
  /** The phase does not declare a gate of this kind. */
  noGate?: GateKind;
  /** The phase references a capability bound to one of these skills. */
  refsSkillAny?: string[];
  /** The phase references at least this many capabilities. */
  minCapabilities?: number;
  /** The phase references a capability whose binding has this gap (or worse). */
  refsGap?: "partial" | "full";
  /** The step realized just before this phase has this kind. */
  previousKind?: StepKind;
}

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

/** How a rule is enforced, matched by what the rule says. */
export interface EnforcementMatch {
  /** Rule text or title matches this regular expression (case-insensitive). */
  text?: string;
  /** The rule has a parameter with this key. */
  param?: string;
  where: "guard" | "hook" | "critic" | "schema";
  by: string[];
}

export interface SkillInfo {
  /** The plugin that provides the skill, `name@marketplace`. */
  plugin: string;
  /** `read` skills never change anything; agents using only those get read-only tools. */
  access: "read" | "write";
}

export interface Profile {
  name: string;
  description: string;
  /** Minimum Claude Code version for the emitted files. */
  minClaudeCodeVersion: string;
  marketplaces: { [name: string]: { source: { source: string; repo: string } } };
  skills: { [skill: string]: SkillInfo };
  tools: { read: string[]; write: string[] };
  permissions: { allow: string[]; deny: string[] };
  /** Commands that submit billable jobs (checked by the PreToolUse hook). */
  jobs: {
    submit: string[];
    scheduled: string[];
    flavorFlag: string;
    timeoutFlag: string;
    defaultFlavor: string;
    preflightFlavor: string;
    preflightTimeoutHours: number;
  };
  patterns: Pattern[];
  /** The step added for the completion criteria. */
  completion: { title: string; reason: string };
  /** The optional loop: omitted unless kept. */
  loop: { keep: boolean; title: string; reason: string };
  enforcement: EnforcementMatch[];
}
