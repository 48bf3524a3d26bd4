import type { GateKind, Phase, Requirement, SpecIR } from "../ir.js";
import type { StepKind } from "../pipeline.js";
import type { TextPart } from "../profile.js";
import { STEP_KINDS } from "../../runtime/workflow/index.js";

const EVERY_GATE: GateKind[] = ["mandatory", "smoke-test", "checklist", "approval"];

/** Every part, for a step that realizes its phase alone. */
export const ALL_PARTS: TextPart[] = ["prose", "work", "gated", "after-gate", "gate", "merged"];

/** The gate kinds a step of `kind` checks as code (the registry says), else every gate: it is told them all. */
export function gatesOfKind(kind: StepKind): GateKind[] {
  const gates = (STEP_KINDS[kind] as { gates: readonly string[] }).gates as GateKind[];
  return gates.length > 0 ? [...gates] : EVERY_GATE;
}

/** Requirements written after the phase's first approval gate: they run once the gate passes. */
export function afterGateRequirements(phase: Phase): Requirement[] {
  const gate = phase.gates.find((candidate) => candidate.kind === "approval");
  if (!gate) return [];
  return phase.requirements.filter((requirement) => requirement.source.start.line > gate.source.end.line);
}

/**
 * Whether a requirement is gated elsewhere: it refers to the contract's approval guard, or to
 * another phase that has an approval gate. Only the step that runs behind that gate may be told
 * to do it.
 */
export function isGated(requirement: Requirement, phase: Phase, ir: SpecIR): boolean {
  const approvalGuards = new Set(ir.contract.guards.filter((guard) => guard.kind === "approval").map((guard) => guard.id));
  const gatedPhases = new Set(ir.phases.filter((other) => other.id !== phase.id && other.gates.some((gate) => gate.kind === "approval")).map((other) => other.id));
  return requirement.refs.some((ref) => approvalGuards.has(ref) || gatedPhases.has(ref));
}

/** The phase split into the parts a step can be told. */
export interface PhaseParts {
  prose: string[];
  work: Requirement[];
  gated: Requirement[];
  afterGate: Requirement[];
}

export function phaseParts(phase: Phase, ir: SpecIR): PhaseParts {
  const after = new Set(afterGateRequirements(phase));
  const before = phase.requirements.filter((requirement) => !after.has(requirement));
  return {
    prose: phase.text ? phase.text.split("\n").filter((line) => line.trim() !== "") : [],
    work: before.filter((requirement) => !isGated(requirement, phase, ir)),
    gated: before.filter((requirement) => isGated(requirement, phase, ir)),
    afterGate: [...after],
  };
}

/** A requirement as one instruction line. */
export function requirementLine(requirement: Requirement): string {
  return requirement.text.replace(/\s*\n\s*/g, " ").trim();
}

/** The gate texts of `kinds` as instruction lines, checklist items included. */
export function gateLines(phase: Phase, kinds: GateKind[]): string[] {
  const lines: string[] = [];
  for (const gate of phase.gates.filter((candidate) => kinds.includes(candidate.kind))) {
    if (gate.text.trim() !== "") lines.push(`Gate (${gate.kind}): ${gate.text.replace(/\s*\n\s*/g, " ").trim()}`);
    for (const item of gate.items) lines.push(`Checklist item: ${item.replace(/\s*\n\s*/g, " ").trim()}`);
  }
  return lines;
}

/**
 * What an agent of a `kind` step is told of its phase. Gated requirements the step does not take
 * are still shown, as things this step must not do, so no text of the phase is silently dropped
 * and no agent is told to take an action the workflow gates elsewhere.
 */
export function phaseLines(phase: Phase, ir: SpecIR, options: { kind: StepKind; parts: TextPart[] }): string[] {
  const parts = phaseParts(phase, ir);
  const take = new Set(options.parts);
  const lines: string[] = [];
  if (take.has("prose")) lines.push(...parts.prose);
  if (take.has("work")) lines.push(...parts.work.map(requirementLine));
  if (take.has("gated")) lines.push(...parts.gated.map(requirementLine));
  else if (take.has("work")) lines.push(...parts.gated.map((requirement) => `Not in this step (the workflow gates it elsewhere; do not do it here): ${requirementLine(requirement)}`));
  if (take.has("after-gate")) lines.push(...parts.afterGate.map(requirementLine));
  if (take.has("gate")) lines.push(...gateLines(phase, gatesOfKind(options.kind)));
  return lines;
}

/** What an agent is told of the phases folded into its step: their requirements. */
export function mergedLines(merged: Phase[]): string[] {
  return merged.flatMap((phase) => phase.requirements.map(requirementLine));
}
