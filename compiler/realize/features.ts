import type { Capability, Phase, SpecIR } from "../ir.js";
import type { StepKind } from "../pipeline.js";
import type { PhaseMatch, Profile } from "../profile.js";
import { afterGateRequirements } from "./text.js";

/** What a phase says about itself, for matching profile patterns. */
export interface PhaseFeatures {
  phase: Phase;
  first: boolean;
  last: boolean;
  capabilities: Capability[];
  skills: Set<string>;
  gaps: Set<string>;
  /** Requirements written after the phase's approval gate. */
  afterGate: boolean;
}

/** The features of every numbered phase, in order. */
export function phaseFeatures(ir: SpecIR): PhaseFeatures[] {
  const byId = new Map(ir.capabilities.map((capability) => [capability.id, capability]));
  const numbered = ir.phases.filter((phase) => phase.kind === "phase");
  return numbered.map((phase, index) => {
    const capabilities = phase.refs.map((id) => byId.get(id)).filter((c): c is Capability => c !== undefined);
    const bindings = capabilities.flatMap((capability) => capability.bindings);
    return {
      phase,
      first: index === 0,
      last: index === numbered.length - 1,
      capabilities,
      skills: new Set(bindings.flatMap((binding) => binding.skills)),
      gaps: new Set(bindings.map((binding) => binding.gap ?? "none")),
      afterGate: afterGateRequirements(phase).length > 0,
    };
  });
}

/** Whether a phase matches every condition of `match`. */
export function matches(features: PhaseFeatures, match: PhaseMatch, previousKind: StepKind | null): boolean {
  const { phase } = features;
  if (match.position === "first" && !features.first) return false;
  if (match.position === "last" && !features.last) return false;
  if (match.gate && !phase.gates.some((gate) => gate.kind === match.gate)) return false;
  if (match.noGate && phase.gates.some((gate) => gate.kind === match.noGate)) return false;
  if (match.gates && !match.gates.every((kind) => phase.gates.some((gate) => gate.kind === kind))) return false;
  if (match.gated !== undefined && match.gated !== phase.gates.length > 0) return false;
  if (match.afterGate !== undefined && match.afterGate !== features.afterGate) return false;
  if (match.refsSkillAny && !match.refsSkillAny.some((skill) => features.skills.has(skill))) return false;
  if (match.minCapabilities !== undefined && features.capabilities.length < match.minCapabilities) return false;
  if (match.refsGap === "partial" && !features.gaps.has("partial") && !features.gaps.has("full")) return false;
  if (match.refsGap === "full" && !features.gaps.has("full")) return false;
  if (match.previousKind && previousKind !== match.previousKind) return false;
  return true;
}

/** The skills of `capabilities` that the profile knows, sorted. */
export function knownSkills(capabilities: Capability[], profile: Profile): string[] {
  const skills = new Set(capabilities.flatMap((capability) => capability.bindings.flatMap((binding) => binding.skills)));
  // Own keys only: a skill named `toString` must not find Object.prototype.toString.
  return [...skills].filter((skill) => Object.hasOwn(profile.skills, skill)).sort();
}
