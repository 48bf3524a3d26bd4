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
 * Linear in the size of the spec and the steps: steps are indexed by phase and capability once,
 * and every rule that falls back shares one list.
 */
export function ruleReach(ir: SpecIR, steps: Reachable[]): Map<string, string[]> {
  const citing = new Map<string, string[]>();
  for (const phase of ir.phases) {
    for (const rule of new Set(phase.rules)) {
      const phases = citing.get(rule);
      if (phases) phases.push(phase.id);
      else citing.set(rule, [phase.id]);
    }
  }
  // Step positions (in step order) by the phase they realize and by the capability they use.
  const byPhase = new Map<string, number[]>();
  const byCapability = new Map<string, number[]>();
  const index = (map: Map<string, number[]>, key: string, position: number): void => {
    const list = map.get(key);
    if (!list) map.set(key, [position]);
    else if (list[list.length - 1] !== position) list.push(position);
  };
  steps.forEach((step, position) => {
    if (!step.hasAgents) return;
    for (const phase of step.phases) index(byPhase, phase, position);
    for (const capability of step.capabilities) index(byCapability, capability, position);
  });
  const acting = steps.filter((step) => step.hasAgents && step.acting);
  const fallback = (acting.length > 0 ? acting : steps.filter((step) => step.hasAgents)).map((step) => step.id);
  const reach = new Map<string, string[]>();
  for (const rule of ir.rules) reach.set(rule.id, stepsOf(rule, citing.get(rule.id) ?? [], steps, byPhase, byCapability) ?? fallback);
  return reach;
}

/** The steps a rule names or that cite it, in step order; null when there are none. */
function stepsOf(rule: Rule, citingPhases: string[], steps: Reachable[], byPhase: Map<string, number[]>, byCapability: Map<string, number[]>): string[] | null {
  const positions = new Set<number>();
  for (const ref of rule.refs) {
    for (const position of byPhase.get(ref) ?? []) positions.add(position);
    for (const position of byCapability.get(ref) ?? []) positions.add(position);
  }
  for (const phase of citingPhases) for (const position of byPhase.get(phase) ?? []) positions.add(position);
  if (positions.size === 0) return null;
  return [...positions].sort((a, b) => a - b).map((position) => steps[position].id);
}

/**
 * The rules each step's agents are told, in rule order: the inverse of `ruleReach`, built in one
 * pass so realizing a step never scans every rule's reach.
 */
export function rulesByStep(ir: SpecIR, reach: Map<string, string[]>): Map<string, Rule[]> {
  const byStep = new Map<string, Rule[]>();
  for (const rule of ir.rules) {
    for (const step of reach.get(rule.id) ?? []) {
      const rules = byStep.get(step);
      if (rules) rules.push(rule);
      else byStep.set(step, [rule]);
    }
  }
  return byStep;
}
