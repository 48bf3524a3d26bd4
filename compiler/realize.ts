import type { Phase, SpecIR } from "./ir.js";
import type { Pipeline, Step, StepKind, Trace } from "./pipeline.js";
import type { Pattern, Profile, StepTemplate } from "./profile.js";
import { agentsFor } from "./realize/agents.js";
import { resolveContract } from "./realize/contract.js";
import { enforcementOf } from "./realize/enforcement.js";
import { matches, phaseFeatures, type PhaseFeatures } from "./realize/features.js";
import { slug } from "./slug.js";
import { PROTECTED_KEYS } from "../runtime/core/scope.js";

export interface RealizeOptions {
  profile: Profile;
  /** The spec's path as shown (relative, `/`-separated) and its content hash. */
  source: { path: string; sha256: string };
  /** Keep the optional loop (bounded) instead of omitting it. */
  withLoop?: boolean;
}

/** The default pattern: a phase no profile pattern matches is one agent step. */
const KEEP: Pattern = { id: "keep", description: "One agent step.", when: {}, steps: [{ kind: "agent", title: "{phase}", label: "kept", reason: "Realized as one agent step." }] };

// The scope guard's keys, from the runtime that enforces them.
const PROTECTED = Object.keys(PROTECTED_KEYS);

/** Spec IR → pipeline IR, driven by what the spec says and the profile's patterns. */
export function realize(ir: SpecIR, options: RealizeOptions): Pipeline {
  const { profile } = options;
  const contract = resolveContract(ir);
  const steps: Step[] = [];
  const omitted: Trace[] = [];
  // The kind of the last step the previous phase produced; null after a merge, so a merge never chains.
  let previousKind: StepKind | null = null;
  for (const features of phaseFeatures(ir)) {
    const previous = steps.at(-1) ?? null;
    const pattern = profile.patterns.find((candidate) => matches(features, candidate.when, previousKind)) ?? KEEP;
    if (pattern.mergeInto === "previous" && previous) {
      mergeInto(previous, features, ir, profile, ir.name);
      previousKind = null;
    } else {
      steps.push(...stepsFor(features, pattern, { ir, profile, steps, contract }));
      previousKind = steps.at(-1)?.kind ?? null;
    }
  }
  for (const loop of ir.phases.filter((phase) => phase.kind === "loop")) {
    if (options.withLoop || profile.loop.keep) steps.push(loopStep(loop, { ir, profile, steps, contract }));
    else omitted.push({ label: "omitted", reason: profile.loop.reason, elements: [loop.id], source: loop.source });
  }
  if (ir.completion.length > 0) steps.push(completionStep({ ir, profile, steps, contract }));
  return {
    pipelineVersion: 1,
    name: ir.name,
    title: ir.title,
    description: describe(ir),
    profile: profile.name,
    spec: options.source,
    params: ir.params.map((param) => ({ name: param.name, type: param.type, required: param.required, default: param.default ?? null, description: param.description })),
    contract,
    protectedKeys: PROTECTED,
    steps: uniqueTitles(steps).map((step, index) => ({ ...step, index })),
    omitted,
    enforcement: enforcementOf(ir, profile, steps),
  };
}

interface Build {
  ir: SpecIR;
  profile: Profile;
  steps: Step[];
  contract: ReturnType<typeof resolveContract>;
}

function stepsFor(features: PhaseFeatures, pattern: Pattern, build: Build): Step[] {
  const templates = pattern.steps.filter((template) => !template.when || matches(features, template.when, null));
  const made: Step[] = [];
  for (const [position, template] of templates.entries()) {
    const previous = made.at(-1) ?? build.steps.at(-1) ?? null;
    const label = template.label ?? (templates.length === 1 && template.kind === "agent" ? "kept" : position === 0 ? "adapted" : "added");
    made.push(makeStep(template, features, { ...build, label, previous }));
  }
  return made;
}

function makeStep(template: StepTemplate, features: PhaseFeatures, build: Build & { label: Trace["label"]; previous: Step | null }): Step {
  const { phase } = features;
  const title = fillTitle(template.title, phase.title);
  const id = slug(title) || "step";
  const agents = agentsFor({ ir: build.ir, profile: build.profile, prefix: build.ir.name, stepId: id, stepTitle: title, kind: template.kind, phase, capabilities: features.capabilities, merged: [], critic: template.critic });
  const gateRefs = phase.gates.length > 0 ? phase.refs.filter((ref) => /^[PR]\d+$/.test(ref)) : [];
  return {
    id,
    index: 0,
    title,
    kind: template.kind,
    trace: { label: build.label, reason: template.reason, elements: unique([phase.id, ...gateRefs]), source: phase.source },
    agents,
    config: configFor(template, phase, build),
  };
}

function configFor(template: StepTemplate, phase: Phase, build: Build & { previous: Step | null }): Step["config"] {
  const { contract, profile } = build;
  const base: Step["config"] = { ...(template.config ?? {}) };
  if (base.reviews === "previous") base.reviews = build.previous?.id ?? null;
  switch (template.kind) {
    case "critic":
    case "smoke":
      return { maxRetries: contract.maxRetries, ...base };
    case "preflight":
      return { maxRetries: contract.maxRetries, flavor: profile.jobs.preflightFlavor, timeoutHours: profile.jobs.preflightTimeoutHours, ...base };
    case "checklist":
      return { items: phase.gates.filter((gate) => gate.kind === "checklist").flatMap((gate) => gate.items), ...base };
    case "job":
      return { maxRetries: contract.maxRetries, maxPolls: Math.min(60, contract.maxIterations), ...base };
    case "resources":
      return { work: "training", ...base };
    case "intake":
      return { protectedKeys: PROTECTED, ...base };
    default:
      return base;
  }
}

/** Fold a phase into the previous step: its words go to that step's agents, its id to the trace. */
function mergeInto(step: Step, features: PhaseFeatures, ir: SpecIR, profile: Profile, prefix: string): void {
  const { phase } = features;
  step.trace.elements = unique([...step.trace.elements, phase.id]);
  step.trace.reason = `${step.trace.reason} Also realizes ${phase.id} (${phase.title}): its monitoring and iteration run inside this step's bounded polling loop.`;
  const phaseOfStep = ir.phases.find((candidate) => candidate.id === step.trace.elements[0]) ?? null;
  const capabilities = unionCapabilities(ir, phaseOfStep, features.capabilities);
  step.agents = agentsFor({ ir, profile, prefix, stepId: step.id, stepTitle: step.title, kind: step.kind, phase: phaseOfStep, capabilities, merged: [phase] });
}

function unionCapabilities(ir: SpecIR, phase: Phase | null, extra: PhaseFeatures["capabilities"]): PhaseFeatures["capabilities"] {
  const ids = new Set([...(phase?.refs ?? []), ...extra.map((c) => c.id)]);
  return ir.capabilities.filter((capability) => ids.has(capability.id));
}

function loopStep(loop: Phase, build: Build): Step {
  const title = fillTitle(build.profile.loop.title, loop.title);
  const id = slug(title) || "step";
  const maxParam = loop.params.find((param) => param.key === "max_iterations" && typeof param.value === "number");
  return {
    id,
    index: 0,
    title,
    kind: "loop",
    trace: { label: "kept", reason: "Kept on request, bounded by the iteration budget and the cost cap.", elements: [loop.id], source: loop.source },
    agents: agentsFor({ ir: build.ir, profile: build.profile, prefix: build.ir.name, stepId: id, stepTitle: title, kind: "loop", phase: loop, capabilities: [], merged: [] }),
    config: { maxIterations: maxParam ? (maxParam.value as number) : build.contract.maxRetries },
  };
}

function completionStep(build: Build): Step {
  const { ir, profile } = build;
  const title = profile.completion.title;
  const id = slug(title) || "step";
  const criteria = ir.completion.map((criterion) => ({ id: criterion.id, text: criterion.text }));
  const agents = agentsFor({ ir, profile, prefix: ir.name, stepId: id, stepTitle: title, kind: "completion", phase: null, capabilities: [], merged: [] });
  for (const agent of agents) agent.instructions.push(...criteria.map((criterion) => `${criterion.id}: ${criterion.text}`));
  return {
    id,
    index: 0,
    title,
    kind: "completion",
    trace: { label: "added", reason: profile.completion.reason, elements: criteria.map((criterion) => criterion.id), source: ir.completion[0].source },
    agents,
    config: { criteria },
  };
}

/** `meta.phases` titles must be unique: a repeated title gets ` (2)`. */
function uniqueTitles(steps: Step[]): Step[] {
  const seen = new Map<string, number>();
  return steps.map((step) => {
    const count = (seen.get(step.title) ?? 0) + 1;
    seen.set(step.title, count);
    if (count === 1) return step;
    const title = `${step.title} (${count})`;
    const id = `${step.id}-${count}`;
    return { ...step, title, id, agents: step.agents.map((agent) => ({ ...agent, name: agent.name.replace(`-${step.id}`, `-${id}`) })) };
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


function unique(items: string[]): string[] {
  return [...new Set(items)];
}

