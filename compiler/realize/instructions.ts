import type { Capability, Element, Rule, SpecIR } from "../ir.js";

/** `id title: text`, without a dangling colon when the element has only a title or only text. */
function elementLine(prefix: string, element: Pick<Element, "title" | "text">): string {
  const title = element.title.replace(/\s+/g, " ").trim();
  const text = element.text.replace(/\s+/g, " ").trim();
  return [prefix, title && text ? `${title}: ${text}` : title || text].filter(Boolean).join(" ");
}

/** A title or text that only restates the strength (`(MUST)`, `Strength: MUST`): the prefix already says it. */
const STRENGTH_ONLY = /^(?:strength:\s*)?\(?\s*(?:must|should|may|shall)(?:\s+not)?\s*\)?[.:]?$/i;

/** Rules as instructions: `R7 (MUST) OOM recovery order: …`. */
export function ruleInstructions(rules: Rule[]): string[] {
  return rules.map((rule) => {
    const title = STRENGTH_ONLY.test(rule.title.trim()) ? "" : rule.title;
    const text = STRENGTH_ONLY.test(rule.text.trim()) ? "" : rule.text;
    return elementLine(`${rule.id}${rule.strength ? ` (${rule.strength})` : ""}`, { title, text });
  });
}

/** A capability as an instruction for the agent that exercises it. */
export function capabilityInstruction(capability: Capability): string {
  const gap = capability.bindings.find((binding) => binding.gap && binding.gap !== "none");
  const note = gap ? ` Known gap (${gap.gap}): ${gap.notes}` : "";
  return `${elementLine(capability.id, capability)}${note}`;
}

/** The principles an element refers to, as instructions. */
export function principleInstructions(refs: string[], ir: SpecIR): string[] {
  const wanted = new Set(refs);
  return ir.principles.filter((principle) => wanted.has(principle.id)).map((principle) => elementLine(principle.id, principle));
}
