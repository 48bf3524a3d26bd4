import type { Capability, Phase, SpecIR } from "./ir.js";
import type { Pipeline, Step, StepKind, Trace } from "./pipeline.js";
import type { Pattern, Profile, StepTemplate } from "./profile.js";
import { accountFor } from "./realize/accounting.js";
import { agentsFor, slotsOf } from "./realize/agents.js";
import { configFor } from "./realize/config.js";
import { resolveContract } from "./realize/contract.js";
import { enforcementOf } from "./realize/enforcement.js";
import { matches, phaseFeatures, type PhaseFeatures } from "./realize/features.js";
import { protectedKeysOf } from "./realize/protected.js";
import { ruleReach, rulesByStep } from "./realize/reach.js";
import { slug } from "./slug.js";

export interface RealizeOptions {
  profile: Profile;
  /** The spec's path as shown (relative, `/`-separated) and its content hash. */
  source: { path: string; sha256: string };
  /** Keep the optional loop (bounded) instead of omitting it. */
  withLoop?: boolean;
}

/** The default pattern: a phase no profile pattern matches is one agent step. */
const KEEP: Pattern = { id: "keep", description: "One agent step.", when: {}, steps: [{ kind: "agent", title: "{phase}", label: "kept", reason: "Realized as one agent step." }] };

/** A step before its agents exist: what it realizes and what its agents will be told. */
export interface Draft {
  id: string;
  title: string;
  kind: StepKind;
  template: StepTemplate;
  trace: Trace;
  phase: Phase | null;
  merged: Phase[];
  capabilities: Capability[];
}

/**
 * Spec IR → pipeline IR: the profile's patterns turn phases into step drafts; rules are routed
 * to every step that could break them; then agents are built, each told its own part of the
 * phase; enforcement is derived from the profile's guard bindings, and every spec element is
 * accounted for.
 */
export function realize(ir: SpecIR, options: RealizeOptions): Pipeline {
  const { profile } = options;
  const contract = resolveContract(ir, { billable: profile.billable });
  const protectedKeys = protectedKeysOf(ir, profile);
  const drafts = withUnclaimedCapabilities(ir, uniqueIds(draftSteps(ir, profile, options)));
  const reach = ruleReach(
    ir,
    drafts.map((draft) => ({ id: draft.id, phases: draftPhases(draft), capabilities: draft.capabilities.map((c) => c.id), acting: draft.kind !== "critic" && draft.kind !== "completion", hasAgents: draft.kind !== "approval" })),
  );
  const stepRules = rulesByStep(ir, reach);
  const steps: Step[] = drafts.map((draft, index) => {
    const rules = stepRules.get(draft.id) ?? [];
    const previous = index > 0 ? drafts[index - 1] : null;
    const config = configFor(draft, { ir, profile, contract, protectedKeys, previous });
    return {
      id: draft.id,
      index,
      title: draft.title,
      kind: draft.kind,
      trace: draft.trace,
      agents: agentsFor({
        ir,
        profile,
        prefix: ir.name,
        stepId: draft.id,
        stepTitle: draft.title,
        kind: draft.kind,
        phase: draft.phase,
        capabilities: draft.capabilities,
        merged: draft.merged,
        critic: draft.template.critic,
        text: draft.template.text,
        slotText: draft.template.slotText,
        rules,
        config,
      }),
      config,
    };
  });
  const omitted = loopsOmitted(ir, profile, options);
  const pipeline: Pipeline = {
    pipelineVersion: 1,
    name: ir.name,
    title: ir.title,
    description: describe(ir),
    profile: profile.name,
    spec: options.source,
    params: ir.params.map((param) => ({ name: param.name, type: param.type, required: param.required, default: param.default ?? null, description: param.description })),
    contract,
    protectedKeys,
    scopeStripPrefixes: [...(profile.scopeStripPrefixes ?? [])],
    taskClasses: profile.taskClasses && steps.some((step) => step.kind === "intake") ? [...profile.taskClasses] : null,
    steps,
    omitted,
    enforcement: [],
    accounting: [],
  };
  pipeline.enforcement = enforcementOf(ir, profile, pipeline, reach);
  pipeline.accounting = accountFor(ir, pipeline);
  return pipeline;
}

/**
 * A capability no phase names is there for any step to use: every acting step whose kind has no
 * per-capability slot gets it, so a spec that lists its tools without citing them is not lost.
 */
function withUnclaimedCapabilities(ir: SpecIR, drafts: Draft[]): Draft[] {
  const named = new Set(ir.phases.flatMap((phase) => phase.refs));
  const unclaimed = ir.capabilities.filter((capability) => !named.has(capability.id));
  if (unclaimed.length === 0) return drafts;
  return drafts.map((draft) => {
    const slots = slotsOf(draft.kind);
    const acting = slots.some((slot) => slot.role === "worker") && !slots.some((slot) => slot.many);
    return acting ? { ...draft, capabilities: [...draft.capabilities, ...unclaimed] } : draft;
  });
}

/** The phases a draft realizes, its own first. */
export function draftPhases(draft: Draft): string[] {
  return [...(draft.phase ? [draft.phase.id] : []), ...draft.merged.map((phase) => phase.id)];
}

function draftSteps(ir: SpecIR, profile: Profile, options: RealizeOptions): Draft[] {
  const drafts: Draft[] = [];
  // The kind of the last step the previous phase produced; null after a merge, so a merge never chains.
  let previousKind: StepKind | null = null;
  for (const features of phaseFeatures(ir)) {
    const previous = drafts.at(-1) ?? null;
    const pattern = profile.patterns.find((candidate) => matches(features, candidate.when, previousKind)) ?? KEEP;
    if (pattern.mergeInto === "previous" && previous) {
      mergeInto(previous, features, ir);
      previousKind = null;
    } else {
      drafts.push(...draftsFor(features, pattern));
      previousKind = drafts.at(-1)?.kind ?? null;
    }
  }
  for (const loop of ir.phases.filter((phase) => phase.kind === "loop")) {
    if (options.withLoop || profile.loop.keep) drafts.push(loopDraft(loop, profile));
  }
  if (ir.completion.length > 0) drafts.push(completionDraft(ir, profile));
  return drafts;
}

function draftsFor(features: PhaseFeatures, pattern: Pattern): Draft[] {
  const templates = pattern.steps.filter((template) => !template.when || matches(features, template.when, null));
  return templates.map((template, position) => {
    const label = template.label ?? (templates.length === 1 && template.kind === "agent" ? "kept" : position === 0 ? "adapted" : "added");
    const title = fillTitle(template.title, features.phase.title);
    return {
      id: slug(title) || "step",
      title,
      kind: template.kind,
      template,
      trace: { label, reason: template.reason, elements: [features.phase.id], source: features.phase.source },
      phase: features.phase,
      merged: [],
      capabilities: features.capabilities,
    };
  });
}

/** Fold a phase into the previous step: its requirements go to that step's agents, its id to the trace. */
function mergeInto(draft: Draft, features: PhaseFeatures, ir: SpecIR): void {
  const { phase } = features;
  draft.merged.push(phase);
  draft.trace = {
    ...draft.trace,
    elements: [...new Set([...draft.trace.elements, phase.id])],
    reason: `${draft.trace.reason} Also realizes ${phase.id} (${phase.title}): the workflow runs its monitoring as this step's bounded polling loop.`,
  };
  const ids = new Set([...draft.capabilities.map((capability) => capability.id), ...features.capabilities.map((capability) => capability.id)]);
  draft.capabilities = ir.capabilities.filter((capability) => ids.has(capability.id));
}

function loopDraft(loop: Phase, profile: Profile): Draft {
  const title = fillTitle(profile.loop.title, loop.title);
  const template: StepTemplate = { kind: "loop", title, reason: "Kept on request, bounded by the iteration budget and the cost cap." };
  return { id: slug(title) || "step", title, kind: "loop", template, trace: { label: "kept", reason: template.reason, elements: [loop.id], source: loop.source }, phase: loop, merged: [], capabilities: [] };
}

function completionDraft(ir: SpecIR, profile: Profile): Draft {
  const title = profile.completion.title;
  const template: StepTemplate = { kind: "completion", title, reason: profile.completion.reason, branches: profile.completion.branches };
  const elements = ir.completion.map((criterion) => criterion.id);
  return { id: slug(title) || "step", title, kind: "completion", template, trace: { label: "added", reason: profile.completion.reason, elements, source: ir.completion[0].source }, phase: null, merged: [], capabilities: [] };
}

function loopsOmitted(ir: SpecIR, profile: Profile, options: RealizeOptions): Trace[] {
  if (options.withLoop || profile.loop.keep) return [];
  return ir.phases.filter((phase) => phase.kind === "loop").map((loop) => ({ label: "omitted", reason: profile.loop.reason, elements: [loop.id], source: loop.source }));
}

/** Step ids must be unique: a repeated title gets ` (2)` and its id `-2`. */
function uniqueIds(drafts: Draft[]): Draft[] {
  const seen = new Map<string, number>();
  return drafts.map((draft) => {
    const count = (seen.get(draft.id) ?? 0) + 1;
    seen.set(draft.id, count);
    return count === 1 ? draft : { ...draft, title: `${draft.title} (${count})`, id: `${draft.id}-${count}` };
  });
}

/** `{phase}` → the phase title; inside a sentence ("Verify {phase}") its first word is lowercased. */
function fillTitle(template: string, phaseTitle: string): string {
  if (template.startsWith("{phase}")) return template.replace("{phase}", phaseTitle);
  const inner = /^[A-Z][a-z]/.test(phaseTitle) ? phaseTitle[0].toLowerCase() + phaseTitle.slice(1) : phaseTitle;
  return template.replace("{phase}", inner);
}

function describe(ir: SpecIR): string {
  const overview = ir.docs.find((doc) => doc.kind === "overview")?.text ?? "";
  const first = overview.split(/(?<=[.!?])\s/)[0]?.replace(/\s+/g, " ").trim() ?? "";
  const text = first ? `${ir.title}: ${first}` : ir.title;
  return text.length > 200 ? `${text.slice(0, 200).replace(/\s+\S*$/, "")}…` : text;
}
