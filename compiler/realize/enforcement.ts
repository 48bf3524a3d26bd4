import type { SpecIR } from "../ir.js";
import type { Enforcement, Step } from "../pipeline.js";
import type { Profile } from "../profile.js";

/** Where each rule is enforced: the first matching profile entry, else in the agents' prompts. */
export function enforcementOf(ir: SpecIR, profile: Profile, steps: Step[]): Enforcement[] {
  return ir.rules.map((rule) => {
    const words = `${rule.title}\n${rule.text}`;
    const found = profile.enforcement.find(
      (entry) => (entry.param !== undefined && rule.params.some((param) => param.key === entry.param)) || (entry.text !== undefined && new RegExp(entry.text, "i").test(words)),
    );
    const agents = steps.flatMap((step) => step.agents).filter((agent) => agent.rules.includes(rule.id)).map((agent) => agent.name);
    if (found) return { rule: rule.id, strength: rule.strength, where: found.where, by: [...found.by] };
    return { rule: rule.id, strength: rule.strength, where: "prompt", by: [...new Set(agents)].sort() };
  });
}
