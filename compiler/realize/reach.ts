import type { Rule, SpecIR } from "../ir.js";

/** What reach needs to know of a step. */
export interface Reachable {
  id: string;
  /** The phases the step realizes (its own and any folded into it). */
  phases: string[];
  /** The capabilities its agents use. */
  capabilities: string[];
  /** Whether any of its agents acts (is not read-only), or it has no agent at all. */
  acting: boolean;
  hasAgents: boolean;
}

/**
 * The steps each rule reaches: every step of a phase the rule names or that cites the rule, and
 * every step whose agents use a capability the rule names. A rule that names neither reaches
 * every acting step, since any of them could break it; so every rule reaches some prompt.
 */
export function ruleReach(ir: SpecIR, steps: Reachable[]): Map<string, string[]> {
  const citing = new Map<string, Set<string>>();
  for (const phase of ir.phases) for (const rule of phase.rules) (citing.get(rule) ?? citing.set(rule, new Set()).get(rule)!).add(phase.id);
  const reach = new Map<string, string[]>();
  for (const rule of ir.rules) reach.set(rule.id, stepsOf(rule, citing.get(rule.id) ?? new Set(), steps));
  return reach;
}

function stepsOf(rule: Rule, citingPhases: Set<string>, steps: Reachable[]): string[] {
  const refs = new Set(rule.refs);
  const named = steps.filter(
    (step) => step.hasAgents && (step.phases.some((phase) => refs.has(phase) || citingPhases.has(phase)) || step.capabilities.some((capability) => refs.has(capability))),
  );
  if (named.length > 0) return named.map((step) => step.id);
  const acting = steps.filter((step) => step.hasAgents && step.acting);
  return (acting.length > 0 ? acting : steps.filter((step) => step.hasAgents)).map((step) => step.id);
}
