import type { Capability, Phase, Rule, SpecIR } from "../ir.js";
import type { AgentSpec, StepKind } from "../pipeline.js";
import type { Profile, TextPart } from "../profile.js";
import { agentSchemaFor, STEP_KINDS } from "../../runtime/workflow/index.js";
import { knownSkills } from "./features.js";
import { capabilityInstruction, principleInstructions, ruleInstructions } from "./instructions.js";
import { ALL_PARTS, mergedLines, phaseLines } from "./text.js";
import { slug } from "../slug.js";
import { SpeccError } from "../errors.js";

/** Everything the agents of one step are built from. */
export interface AgentContext {
  ir: SpecIR;
  profile: Profile;
  /** Pipeline name, the agent-name prefix. */
  prefix: string;
  stepId: string;
  stepTitle: string;
  kind: StepKind;
  phase: Phase | null;
  capabilities: Capability[];
  /** Phases folded into this step (monitoring into the job). */
  merged: Phase[];
  /** An agent step with its own critic. */
  critic?: boolean;
  /** What the agents are told of the phase, and per slot overrides. */
  text?: TextPart[];
  slotText?: { [slot: string]: TextPart[] };
  /** The rules that reach this step. */
  rules: Rule[];
  /** The step's config (the intake's answer schema depends on it). */
  config: { [key: string]: unknown };
}

interface Slot {
  slot: string;
  role: string;
  many: boolean;
  optional: boolean;
}

/** The agent slots of a kind, from the runtime's one registry. */
export function slotsOf(kind: StepKind): Slot[] {
  return (STEP_KINDS[kind] as { slots: Slot[] }).slots;
}

/** What an agent in `slot` of a `kind` step is for, from the profile (`kind/slot`, then `kind`). */
export function purposeOf(profile: Profile, kind: StepKind, slot: string, first: boolean): string {
  const keys = first ? [`${kind}/${slot}`, kind] : [`${kind}/${slot}`];
  const key = keys.find((candidate) => Object.hasOwn(profile.purposes, candidate));
  if (key === undefined) {
    throw new SpeccError(`profile \`${profile.name}\` says nothing of what a \`${slot}\` agent of a \`${kind}\` step is for`, {
      exitCode: 1,
      hint: `add "${kind}/${slot}" to the profile's "purposes"`,
    });
  }
  return profile.purposes[key];
}

/**
 * The agents of a step: one per slot of its kind (a `many` slot gets one per capability, an
 * optional critic only when the step asks for one), each told its own part of the phase.
 */
export function agentsFor(context: AgentContext): AgentSpec[] {
  const slots = slotsOf(context.kind);
  const agents: AgentSpec[] = [];
  slots.forEach((slot, index) => {
    if (slot.slot === "critic" && slot.optional && !context.critic) return;
    if (slot.many) {
      for (const capability of context.capabilities) agents.push(agentFor(context, slot, { first: index === 0, capability }));
    } else {
      agents.push(agentFor(context, slot, { first: index === 0, capability: null }));
    }
  });
  return agents;
}

function agentFor(context: AgentContext, slot: Slot, options: { first: boolean; capability: Capability | null }): AgentSpec {
  const { capability } = options;
  const readOnly = slot.role !== "worker";
  const suffix = capability ? slug(capability.title) : options.first ? "" : slot.slot;
  const capabilities = capability ? [capability] : context.capabilities;
  const purpose = purposeOf(context.profile, context.kind, slot.slot, options.first);
  const parts = context.slotText?.[slot.slot] ?? context.text ?? ALL_PARTS;
  const told = [
    ...(capability ? [capabilityInstruction(capability)] : []),
    ...(context.phase ? phaseLines(context.phase, context.ir, { kind: context.kind, parts }) : []),
    ...(parts.includes("merged") ? mergedLines(context.merged) : []),
    ...(capability ? [] : capabilities.map((entry) => `Capability you can use: ${capabilityInstruction(entry)}`)),
  ];
  const refs = [...(context.phase?.refs ?? []), ...context.merged.flatMap((phase) => phase.refs)];
  return {
    name: [context.prefix, context.stepId, suffix].filter(Boolean).join("-"),
    role: slot.role as AgentSpec["role"],
    description: capability ? `${context.stepTitle}: ${slot.slot} for ${capability.title}` : options.first ? context.stepTitle : `${context.stepTitle}: ${slot.slot}`,
    instructions: [purpose, ...told, ...ruleInstructions(context.rules), ...principleInstructions(refs, context.ir)],
    rules: context.rules.map((rule) => rule.id),
    capabilities: capabilities.map((entry) => entry.id),
    // Read-only agents get only read skills: least privilege holds for knowledge as for tools.
    skills: knownSkills(capabilities, context.profile).filter((skill) => !readOnly || context.profile.skills[skill].access === "read"),
    tools: readOnly ? [...context.profile.tools.read] : [...context.profile.tools.write],
    readOnly,
    schema: agentSchemaFor(context.kind, slot.slot, context.config),
  };
}
