import type { GuardKind, Rule, SpecIR } from "../ir.js";
import type { Enforcement, Pipeline } from "../pipeline.js";
import type { EnforcementBinding, Profile } from "../profile.js";
import { STEP_KINDS } from "../../runtime/workflow/index.js";

/** The runtime guards the steps of a pipeline run, from the registry of step kinds. */
export function guardsRun(pipeline: Pipeline): Set<string> {
  return new Set(pipeline.steps.flatMap((step) => [...(STEP_KINDS[step.kind] as { guards: readonly string[] }).guards]));
}

/** The hooks a pipeline's target emits: the spend guard, where the profile has billable job commands. */
export function hooksRun(pipeline: Pipeline, profile: Profile): Set<string> {
  return new Set(profile.jobs && pipeline.contract.costCapUsd !== null ? ["spend-guard"] : []);
}

/** Whether a profile binding applies to a rule, by the rule's structure only. */
function binds(binding: EnforcementBinding, rule: Rule, guardKinds: Map<string, GuardKind>): boolean {
  if (binding.param !== undefined && !rule.params.some((param) => param.key === binding.param)) return false;
  if (binding.refsGuard !== undefined && !rule.refs.some((ref) => guardKinds.get(ref) === binding.refsGuard)) return false;
  return binding.param !== undefined || binding.refsGuard !== undefined;
}

/**
 * Where each rule is enforced. `guard` only where the profile binds a named runtime guard to the
 * rule's structure and a step of this pipeline runs that guard (compile then proves each claim
 * with a violating stand-in run); `hook` only where an emitted hook checks it; otherwise
 * `prompt`, with the steps whose agents are told the rule.
 */
export function enforcementOf(ir: SpecIR, profile: Profile, pipeline: Pipeline, reach: Map<string, string[]>): Enforcement[] {
  const guardKinds = new Map(ir.contract.guards.map((guard) => [guard.id, guard.kind]));
  const guards = guardsRun(pipeline);
  const hooks = hooksRun(pipeline, profile);
  return ir.rules.map((rule) => {
    const bindings = profile.enforcement.filter((binding) => binds(binding, rule, guardKinds));
    const byGuard = unique(bindings.filter((binding) => binding.where === "guard").flatMap((binding) => binding.by.filter((name) => guards.has(name))));
    const byHook = unique(bindings.filter((binding) => binding.where === "hook").flatMap((binding) => binding.by.filter((name) => hooks.has(name))));
    const steps = [...(reach.get(rule.id) ?? [])];
    const where = byGuard.length > 0 ? "guard" : byHook.length > 0 ? "hook" : "prompt";
    return { rule: rule.id, strength: rule.strength, where, by: where === "prompt" ? [] : [...byGuard, ...byHook], steps, proofs: [] };
  });
}

function unique(names: string[]): string[] {
  return [...new Set(names)];
}
