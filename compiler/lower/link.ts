import type { SpecIR } from "../ir.js";
import type { LowerContext } from "./context.js";
import { compareIds, idFamily, resolveRefs } from "./refs.js";

/**
 * Resolve every element's reference candidates once all ids are known, then link rules and phases
 * both ways: a phase lists the rules it cites and the rules that cite it (`(Phase 2)` in a rule).
 */
export function linkReferences(ir: SpecIR, context: LowerContext): void {
  const defined = [
    ...ir.principles,
    ...ir.capabilities,
    ...ir.phases,
    ...ir.rules,
    ...ir.contract.guards,
    ...ir.completion,
  ].map((element) => element.id);
  const known = new Set(defined);
  // A `§5.1` reference to a heading that is not an element resolves, but names no element.
  const headings = new Set(ir.sections.map((section) => section.number).filter((number): number is string => number !== null && !known.has(number)));
  const families = new Set([...defined.map(idFamily), "", "Phase"]);
  for (const [element, candidates] of context.refs) {
    const resolved = resolveRefs(candidates.filter((candidate) => !headings.has(candidate.id)), known, families, (element as { id?: string }).id ?? null);
    (element as { refs: string[] }).refs = resolved;
  }
  const citing = new Map<string, Set<string>>();
  for (const rule of ir.rules) {
    for (const ref of rule.refs) if (ref.startsWith("Phase ")) (citing.get(ref) ?? citing.set(ref, new Set()).get(ref)!).add(rule.id);
  }
  const ruleIds = new Set(ir.rules.map((rule) => rule.id));
  for (const phase of ir.phases) {
    const rules = new Set([...phase.refs.filter((ref) => ruleIds.has(ref)), ...phase.requirements.flatMap((requirement) => requirement.refs.filter((ref) => ruleIds.has(ref))), ...(citing.get(phase.id) ?? [])]);
    phase.rules = [...rules].sort(compareIds);
  }
}
