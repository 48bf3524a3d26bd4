import type { Pipeline, Proof } from "./pipeline.js";
import { isProof, proveGuards } from "../runtime/proof/prove.js";

/** A claim compile could not prove. */
export interface UnprovenClaim {
  rule: string;
  guard: string;
  problem: string;
}

/**
 * Prove every guard claim of the pipeline's enforcement with a stand-in run in which an agent
 * breaks the guard; fill in the proofs and return the claims that could not be proven (a
 * non-empty list fails the build). Hooks are checked by the target's own tests, not here.
 */
export async function proveEnforcement(pipeline: Pipeline, options: { hooks: Set<string> }): Promise<UnprovenClaim[]> {
  const claimed = pipeline.enforcement.filter((entry) => entry.where === "guard").flatMap((entry) => entry.by.filter((name) => !options.hooks.has(name)));
  if (claimed.length === 0) return [];
  const results = await proveGuards(pipeline, claimed);
  const unproven: UnprovenClaim[] = [];
  for (const entry of pipeline.enforcement) {
    if (entry.where !== "guard") continue;
    const proofs: Proof[] = [];
    for (const guard of entry.by.filter((name) => !options.hooks.has(name))) {
      const result = results.get(guard)!;
      if (isProof(result)) proofs.push({ ...result });
      else unproven.push({ rule: entry.rule, guard, problem: result.problem });
    }
    entry.proofs = proofs;
  }
  return unproven;
}
