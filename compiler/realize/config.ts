import type { GateKind, SpecIR } from "../ir.js";
import type { ResolvedContract, Step } from "../pipeline.js";
import type { Profile } from "../profile.js";
import type { Draft } from "../realize.js";
import { STEP_KINDS } from "../../runtime/workflow/index.js";
import { gateLines } from "./text.js";

export interface ConfigContext {
  ir: SpecIR;
  profile: Profile;
  contract: ResolvedContract;
  protectedKeys: { [key: string]: string[] };
  /** The draft just before this one, for a critic that reviews `previous`. */
  previous: Draft | null;
}

/** The config keys a kind's driver reads, from the runtime's registry. */
export function configKeysOf(kind: Draft["kind"]): { [key: string]: string } {
  return (STEP_KINDS[kind] as { config: { [key: string]: string } }).config;
}

type Source = (draft: Draft, context: ConfigContext) => unknown;

const gateText = (kind: GateKind): Source => (draft) => (draft.phase ? gateLines(draft.phase, [kind]).join("\n") : "");

/**
 * Where each config value comes from, by key: the spec (gates, criteria, limits) or the resolved
 * contract. A step gets a key only if its kind's driver reads it (the registry says which); the
 * profile's template config comes last and wins.
 */
const SOURCES: { [key: string]: Source } = {
  maxRetries: (_draft, { contract }) => contract.maxRetries,
  maxPolls: (_draft, { contract }) => Math.min(60, contract.maxIterations),
  items: ({ phase }) => (phase ? phase.gates.filter((gate) => gate.kind === "checklist").flatMap((gate) => gate.items) : []),
  check: gateText("smoke-test"),
  gate: gateText("approval"),
  autoUnderCap: (draft, context) => autoUnderCap(draft, context),
  criteria: (_draft, { ir }) => ir.completion.map((criterion) => ({ id: criterion.id, text: criterion.text })),
  baselineKeys: (_draft, { protectedKeys }) => Object.keys(protectedKeys),
  classes: (_draft, { profile }) => (profile.taskClasses ? [...profile.taskClasses] : undefined),
  maxIterations: ({ phase }, { contract }) => {
    const param = phase?.params.find((candidate) => candidate.key === "max_iterations" && typeof candidate.value === "number");
    return param ? param.value : contract.maxRetries;
  },
};

/** A step's settings for the driver: what its kind reads from the spec and the contract, then the template's. */
export function configFor(draft: Draft, context: ConfigContext): Step["config"] {
  const { template } = draft;
  const config: Step["config"] = {};
  for (const key of Object.keys(configKeysOf(draft.kind))) {
    const value = Object.hasOwn(SOURCES, key) ? SOURCES[key](draft, context) : undefined;
    if (value !== undefined) config[key] = value;
  }
  Object.assign(config, template.config ?? {});
  if (config.reviews === "previous") config.reviews = context.previous?.id ?? null;
  if (template.branches) config.branches = [...template.branches];
  if (template.endsBranch) config.endsBranch = [...template.endsBranch];
  const requests = context.profile.requests;
  if (requests && Object.hasOwn(requests, draft.kind)) config.request = requests[draft.kind];
  return config;
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
