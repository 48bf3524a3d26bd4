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

/** Whether a profile binding applies to a rule, by the rule's structure only (its parameter keys and the kinds of guard it cites). */
function binds(binding: EnforcementBinding, paramKeys: Set<string>, refKinds: Set<GuardKind>): boolean {
  if (binding.param !== undefined && !paramKeys.has(binding.param)) return false;
  if (binding.refsGuard !== undefined && !refKinds.has(binding.refsGuard)) return false;
  return binding.param !== undefined || binding.refsGuard !== undefined;
}

/**
 * Where each rule is enforced. `guard` only where the profile binds a named runtime guard to the
 * rule's structure and a step of this pipeline runs that guard (compile then proves each claim
 * with a violating stand-in run); `hook` only where an emitted hook checks it; otherwise
 * `prompt`, with the steps whose agents are told the rule. Linear in the rules' size: bindings are
 * indexed by the parameter key and guard kind they need, so a rule meets only bindings that could apply.
 */
export function enforcementOf(ir: SpecIR, profile: Profile, pipeline: Pipeline, reach: Map<string, string[]>): Enforcement[] {
  const guardKinds = new Map(ir.contract.guards.map((guard) => [guard.id, guard.kind]));
  const guards = guardsRun(pipeline);
  const hooks = hooksRun(pipeline, profile);
  const byParam = new Map<string, number[]>();
  const byKind = new Map<GuardKind, number[]>();
  profile.enforcement.forEach((binding, position) => {
    // A binding that needs both is found through its parameter; binds() then checks the kind.
    if (binding.param !== undefined) push(byParam, binding.param, position);
    else if (binding.refsGuard !== undefined) push(byKind, binding.refsGuard, position);
  });
  return ir.rules.map((rule) => {
    const paramKeys = new Set(rule.params.map((param) => param.key));
    const refKinds = new Set<GuardKind>();
    for (const ref of rule.refs) {
      const kind = guardKinds.get(ref);
      if (kind !== undefined) refKinds.add(kind);
    }
    const positions = new Set<number>();
    for (const key of paramKeys) for (const position of byParam.get(key) ?? []) positions.add(position);
    for (const kind of refKinds) for (const position of byKind.get(kind) ?? []) positions.add(position);
    const bindings = [...positions].sort((a, b) => a - b).map((position) => profile.enforcement[position]).filter((binding) => binds(binding, paramKeys, refKinds));
    const byGuard = unique(bindings.filter((binding) => binding.where === "guard").flatMap((binding) => binding.by.filter((name) => guards.has(name))));
    const byHook = unique(bindings.filter((binding) => binding.where === "hook").flatMap((binding) => binding.by.filter((name) => hooks.has(name))));
    const steps = [...(reach.get(rule.id) ?? [])];
    const where = byGuard.length > 0 ? "guard" : byHook.length > 0 ? "hook" : "prompt";
    return { rule: rule.id, strength: rule.strength, where, by: where === "prompt" ? [] : [...byGuard, ...byHook], steps, proofs: [] };
  });
}

function push<K>(map: Map<K, number[]>, key: K, position: number): void {
  const list = map.get(key);
  if (list) list.push(position);
  else map.set(key, [position]);
}

function unique(names: string[]): string[] {
  return [...new Set(names)];
}
