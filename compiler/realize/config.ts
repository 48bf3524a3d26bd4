import type { SpecIR } from "../ir.js";
import type { ResolvedContract, Step } from "../pipeline.js";
import type { Profile } from "../profile.js";
import type { Draft } from "../realize.js";
import { gateLines } from "./text.js";

export interface ConfigContext {
  ir: SpecIR;
  profile: Profile;
  contract: ResolvedContract;
  protectedKeys: { [key: string]: string[] };
  /** The draft just before this one, for a critic that reviews `previous`. */
  previous: Draft | null;
}

/** A step's settings for the driver: the template's, then what its kind needs from the spec. */
export function configFor(draft: Draft, context: ConfigContext): Step["config"] {
  const { template, phase } = draft;
  const { contract, profile } = context;
  const config: Step["config"] = { ...(template.config ?? {}) };
  if (config.reviews === "previous") config.reviews = context.previous?.id ?? null;
  if (template.branches) config.branches = [...template.branches];
  if (template.endsBranch) config.endsBranch = [...template.endsBranch];
  if (profile.requests && Object.hasOwn(profile.requests, draft.kind)) config.request = profile.requests[draft.kind];
  const gates = (kind: string) => (phase ? phase.gates.filter((gate) => gate.kind === kind) : []);
  switch (draft.kind) {
    case "critic":
    case "smoke":
      return { maxRetries: contract.maxRetries, ...config };
    case "check":
      return { maxRetries: contract.maxRetries, check: phase ? gateLines(phase, ["smoke-test"]).join("\n") : "", ...config };
    case "preflight":
      return { maxRetries: contract.maxRetries, flavor: profile.jobs?.preflightFlavor ?? null, timeoutHours: profile.jobs?.preflightTimeoutHours ?? null, ...config };
    case "checklist":
    case "readiness":
      return { items: gates("checklist").flatMap((gate) => gate.items), ...config };
    case "approval":
      return { gate: phase ? gateLines(phase, ["approval"]).join("\n") : "", autoUnderCap: autoUnderCap(draft, context), ...config };
    case "job":
      return { maxRetries: contract.maxRetries, maxPolls: Math.min(60, contract.maxIterations), ...config };
    case "intake":
      return { baselineKeys: Object.keys(context.protectedKeys), ...(profile.taskClasses ? { classes: [...profile.taskClasses] } : {}), ...config };
    case "completion":
      return { criteria: context.ir.completion.map((criterion) => ({ id: criterion.id, text: criterion.text })), ...config };
    case "loop": {
      const maxParam = phase?.params.find((param) => param.key === "max_iterations" && typeof param.value === "number");
      return { maxIterations: maxParam ? (maxParam.value as number) : contract.maxRetries, ...config };
    }
    default:
      return config;
  }
}

/**
 * An approval gate passes by itself only where the spec allows it: the gate's text cites the
 * contract's approval guard and the spec states the cap that bounds it. Anywhere else it stops
 * and asks, in every mode.
 */
function autoUnderCap(draft: Draft, context: ConfigContext): boolean {
  if (!draft.phase || context.contract.costCapUsd === null || context.contract.origin.costCapUsd === "default") return false;
  const guards = context.ir.contract.guards.filter((guard) => guard.kind === "approval").map((guard) => guard.id);
  const text = draft.phase.gates.filter((gate) => gate.kind === "approval").map((gate) => gate.text).join("\n");
  return guards.some((id) => new RegExp(`(?:§\\s*|\\b)${id.replace(/\./g, "\\.")}(?![\\d.])`).test(text));
}
