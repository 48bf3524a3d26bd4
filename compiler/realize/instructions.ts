import type { Capability, Phase, Rule, SpecIR } from "../ir.js";

/** The phase's own words as instructions: prose, requirements, gates. */
export function phaseInstructions(phase: Phase): string[] {
  const lines = phase.text ? phase.text.split("\n").filter(Boolean) : [];
  for (const requirement of phase.requirements) lines.push(requirement.text.replace(/\n/g, " "));
  for (const gate of phase.gates) {
    lines.push(`Gate (${gate.kind}): ${gate.text}`.trim());
    for (const item of gate.items) lines.push(`Checklist item: ${item}`);
  }
  return lines;
}

/** The rules an element refers to, in id order. */
export function rulesFor(refs: string[], ir: SpecIR): Rule[] {
  const wanted = new Set(refs);
  return ir.rules.filter((rule) => wanted.has(rule.id));
}

/** Rules as instructions: `R7 (MUST) OOM recovery order: …`. */
export function ruleInstructions(rules: Rule[]): string[] {
  return rules.map((rule) => `${rule.id}${rule.strength ? ` (${rule.strength})` : ""} ${rule.title}: ${rule.text.replace(/\n/g, " ")}`.trim());
}

/** A capability as an instruction for the agent that exercises it. */
export function capabilityInstruction(capability: Capability): string {
  const gap = capability.bindings.find((binding) => binding.gap && binding.gap !== "none");
  const note = gap ? ` Known gap (${gap.gap}): ${gap.notes}` : "";
  return `${capability.id} ${capability.title}: ${capability.text.replace(/\n/g, " ")}${note}`.trim();
}

/** The principles an element refers to, as instructions. */
export function principleInstructions(refs: string[], ir: SpecIR): string[] {
  const wanted = new Set(refs);
  return ir.principles.filter((p) => wanted.has(p.id)).map((p) => `${p.id} ${p.title}: ${p.text.replace(/\n/g, " ")}`.trim());
}
