import type { Guard, GuardKind, ParamValue, SpecIR } from "../ir.js";
import type { ResolvedContract } from "../pipeline.js";

type Origin = ResolvedContract["origin"][string];

function guardParam(ir: SpecIR, kind: GuardKind, key: string): { value: ParamValue; origin: Origin } | null {
  const guard: Guard | undefined = ir.contract.guards.find((candidate) => candidate.kind === kind);
  const param = guard?.params.find((candidate) => candidate.key === key);
  if (!guard || !param) return null;
  return { value: param.value, origin: param.origin === "written" ? "spec" : param.origin };
}

/**
 * Resolve every number of the control contract: the spec's value, else the documented default.
 * The cost cap is the exception: a spec that states no budget, realized by a profile with nothing
 * billable, gets none (null), not an invented one.
 */
export function resolveContract(ir: SpecIR, options: { billable: boolean }): ResolvedContract {
  const origin: ResolvedContract["origin"] = {};
  const number = (name: string, kind: GuardKind, key: string, fallback: number): number => {
    const found = guardParam(ir, kind, key);
    const value = found && typeof found.value === "number" ? found.value : fallback;
    origin[name] = found && typeof found.value === "number" ? found.origin : "default";
    return value;
  };
  const cycle = guardParam(ir, "repetition", "cycle_length");
  const range = cycle && typeof cycle.value === "object" && !Array.isArray(cycle.value) && "min" in cycle.value ? cycle.value : null;
  origin.cycleLength = range ? cycle!.origin : "default";
  // The run parameter's default is the cap unless the contract states a tighter one: never looser.
  const capParam = ir.params.find((param) => param.name === "cost_cap_usd" && typeof param.default === "number");
  const guardCap = number("costCapUsd", "approval", "cost_cap_usd", 10);
  const capDefault = capParam ? (capParam.default as number) : null;
  const costCapUsd = capDefault !== null && (origin.costCapUsd === "default" || capDefault <= guardCap) ? capDefault : guardCap;
  if (capDefault !== null && costCapUsd === capDefault) origin.costCapUsd = "spec";
  const capped = options.billable || origin.costCapUsd !== "default";
  return {
    maxIterations: number("maxIterations", "bounded-iteration", "max_iterations", 300),
    maxRetries: number("maxRetries", "bounded-iteration", "max_retries", 3),
    repetition: {
      window: number("window", "repetition", "window", 30),
      identicalStreak: number("identicalStreak", "repetition", "identical_streak", 3),
      cycleMinLength: range ? range.min : 2,
      cycleMaxLength: range ? range.max : 5,
      cycleRepeats: number("cycleRepeats", "repetition", "cycle_repeats", 2),
    },
    continuationRetries: number("continuationRetries", "continuation", "max_retries", 2),
    malformedStreak: number("malformedStreak", "malformed-action", "max_streak", 2),
    costCapUsd: capped ? costCapUsd : null,
    researchMaxSteps: number("researchMaxSteps", "research-budget", "max_steps", 60),
    origin,
  };
}
