import type { GateKind, Guard, SpecIR } from "../ir.js";
import type { Accounting, Pipeline, Step, TraceLabel } from "../pipeline.js";
import { STEP_KINDS } from "../../runtime/workflow/index.js";
import { guardsRun } from "./enforcement.js";

type Entry = Omit<Accounting, "kind">;

/** What the registry says of a step's kind. */
function kindOf(step: Step): { guards: readonly string[]; gates: readonly string[] } {
  return STEP_KINDS[step.kind] as { guards: readonly string[]; gates: readonly string[] };
}

/** The steps whose kind runs `guard`. */
function stepsRunning(pipeline: Pipeline, guards: string[]): string[] {
  return pipeline.steps.filter((step) => kindOf(step).guards.some((guard) => guards.includes(guard))).map((step) => step.id);
}

/**
 * Every element of the spec with how it was realized: kept, adapted, added or omitted, the reason
 * and the steps. Nothing the spec says is absent; an element no step realizes says so.
 */
export function accountFor(ir: SpecIR, pipeline: Pipeline): Accounting[] {
  const entries: Accounting[] = [];
  const add = (kind: Accounting["kind"], entry: Entry) => entries.push({ ...entry, kind });
  const phaseEntries = new Map(ir.phases.map((phase) => [phase.id, phaseEntry(phase.id, pipeline, phase.source.start.line)]));
  for (const section of ir.sections) add("section", sectionEntry(section, ir, pipeline, phaseEntries));
  for (const phase of ir.phases) add("phase", phaseEntries.get(phase.id)!);
  for (const phase of ir.phases) {
    for (const gate of phase.gates) add("gate", gateEntry(`${phase.id} ${gate.kind} gate`, phase.id, gate.kind, pipeline, gate.source.start.line));
  }
  for (const rule of ir.rules) add("rule", ruleEntry(rule.id, pipeline, rule.source.start.line));
  for (const guard of ir.contract.guards) add("guard", guardEntry(guard, pipeline));
  for (const param of ir.params) add("parameter", paramEntry(param.name, pipeline, param.source.start.line));
  for (const principle of ir.principles) add("principle", citedEntry(principle.id, pipeline, principle.source.start.line, "principle"));
  for (const capability of ir.capabilities) add("capability", capabilityEntry(capability.id, pipeline, capability.source.start.line));
  for (const criterion of ir.completion) add("criterion", criterionEntry(criterion.id, pipeline, criterion.source.start.line));
  for (const role of ir.roles) add("role", { element: role.id, label: "adapted", reason: "Agents are made per step, not per role; the phase text that names the role goes to the step's agents.", steps: [], line: role.source.start.line });
  for (const entry of ir.state) add("state", { element: entry.name, label: "adapted", reason: "The run state is the runtime's own (outputs, baseline, ledger, events, attempts), returned with the result.", steps: [], line: entry.source.start.line });
  for (const doc of ir.docs) add("document", docEntry(doc.kind, doc.title, doc.source.start.line));
  return entries;
}

function stepsWith(pipeline: Pipeline, element: string): Step[] {
  return pipeline.steps.filter((step) => step.trace.elements.includes(element));
}

function phaseEntry(id: string, pipeline: Pipeline, line: number): Entry {
  const steps = stepsWith(pipeline, id);
  if (steps.length === 0) {
    const omitted = pipeline.omitted.find((trace) => trace.elements.includes(id));
    return { element: id, label: "omitted", reason: omitted?.reason ?? "No profile pattern realized it.", steps: [], line };
  }
  const label: TraceLabel = steps.length === 1 ? steps[0].trace.label : steps[0].trace.elements[0] === id ? "adapted" : "kept";
  const reason = steps.length === 1 ? steps[0].trace.reason : `Realized as ${steps.length} steps: ${steps.map((step) => `${step.title} (${step.kind})`).join(", ")}.`;
  return { element: id, label, reason, steps: steps.map((step) => step.id), line };
}

function gateEntry(element: string, phase: string, kind: GateKind, pipeline: Pipeline, line: number): Entry {
  const steps = stepsWith(pipeline, phase);
  const checking = steps.filter((step) => kindOf(step).gates.includes(kind) || (kind === "mandatory" && step.agents.some((agent) => agent.role === "critic")));
  if (checking.length > 0) return { element, label: "adapted", reason: `Checked as code by ${checking.map((step) => `${step.title} (${step.kind})`).join(", ")}.`, steps: checking.map((step) => step.id), line };
  const told = steps.map((step) => step.id);
  return { element, label: "omitted", reason: told.length > 0 ? "No step checks it as code; its text is only in the prompts of the phase's steps." : "Its phase has no step.", steps: told, line };
}

function ruleEntry(id: string, pipeline: Pipeline, line: number): Entry {
  const enforcement = pipeline.enforcement.find((entry) => entry.rule === id);
  const steps = enforcement?.steps ?? [];
  if (!enforcement || steps.length === 0) return { element: id, label: "omitted", reason: "No step's agents are told it.", steps: [], line };
  const told = `Told to the agents of ${steps.length} step${steps.length === 1 ? "" : "s"}`;
  if (enforcement.where === "prompt") return { element: id, label: "kept", reason: `${told}; no runtime guard or hook checks it.`, steps, line };
  const proven = enforcement.proofs.length > 0 ? `, each proven by a stand-in run that breaks it (${enforcement.proofs.map((proof) => proof.stoppedReason).join(", ")})` : "";
  return { element: id, label: "kept", reason: `${told}; enforced by the ${enforcement.where} ${enforcement.by.join(", ")}${proven}.`, steps, line };
}

/** How each contract guard reaches the run. */
function guardEntry(guard: Guard, pipeline: Pipeline): Entry {
  const guards = guardsRun(pipeline);
  const line = guard.source.start.line;
  const base = { element: guard.id, line, steps: [] as string[] };
  switch (guard.kind) {
    case "bounded-iteration":
      return { ...base, label: "kept", reason: `Every agent call counts against ${pipeline.contract.maxIterations} (iteration-budget-exhausted); every retry loop is bounded by ${pipeline.contract.maxRetries}.` };
    case "repetition":
      return guards.has("checkRepetition")
        ? { ...base, label: "kept", reason: "The repetition guard checks every failed attempt's signature (repetition-detected).", steps: stepsRunning(pipeline, ["checkRepetition"]) }
        : { ...base, label: "adapted", reason: "Its numbers are resolved, but no step of this pipeline retries an action, so nothing can repeat." };
    case "approval": {
      const steps = stepsRunning(pipeline, ["approvalGate", "decideApproval"]);
      if (steps.length > 0) return { ...base, label: "kept", reason: "Approvals and spend are checked by the runtime before the steps that need them (needs-approval, cost-cap-reached).", steps };
      return { ...base, label: "adapted", reason: pipeline.contract.costCapUsd === null ? "Nothing in this pipeline spends money or needs an approval; no cost cap is set." : `Nothing in this pipeline spends money; the cap of ${pipeline.contract.costCapUsd} USD is passed to the run.` };
    }
    case "research-budget": {
      const steps = pipeline.steps.filter((step) => step.agents.some((agent) => agent.role === "finder")).map((step) => step.id);
      return steps.length > 0
        ? { ...base, label: "kept", reason: `Each research finder gets a turn cap of ${pipeline.contract.researchMaxSteps}.`, steps }
        : { ...base, label: "omitted", reason: "No step fans out to research agents." };
    }
    case "malformed-action":
      return { ...base, label: "adapted", reason: "Stricter than stated: the driver stops at the first agent answer that is not the structured output its schema asks for (agent-failed)." };
    default:
      return { ...base, label: "omitted", reason: "Left to the host agent runtime: specc has no runtime guard for this kind." };
  }
}

function paramEntry(name: string, pipeline: Pipeline, line: number): Entry {
  const required = pipeline.params.filter((param) => param.required && param.name !== "cost_cap_usd" && param.name !== "task");
  const fills = required.length === 1 && required[0].name === name ? " A plain string argument fills it." : "";
  return { element: name, label: "kept", reason: `A workflow argument, checked and coerced at start.${fills}`, steps: [], line };
}

function citedEntry(id: string, pipeline: Pipeline, line: number, what: string): Entry {
  const steps = pipeline.steps.filter((step) => step.agents.some((agent) => agent.instructions.some((text) => text.startsWith(`${id} `))));
  if (steps.length > 0) return { element: id, label: "kept", reason: `In the prompts of the steps whose phase cites the ${what}.`, steps: steps.map((step) => step.id), line };
  return { element: id, label: "omitted", reason: `No phase cites this ${what}, so no agent is told it.`, steps: [], line };
}

function capabilityEntry(id: string, pipeline: Pipeline, line: number): Entry {
  const steps = pipeline.steps.filter((step) => step.agents.some((agent) => agent.capabilities.includes(id)));
  if (steps.length > 0) return { element: id, label: "adapted", reason: "Described to the agents of the steps that use it (the steps whose phase names it, or every acting step when no phase does), with its skills.", steps: steps.map((step) => step.id), line };
  return { element: id, label: "omitted", reason: "No phase that became a step refers to it.", steps: [], line };
}

function criterionEntry(id: string, pipeline: Pipeline, line: number): Entry {
  const steps = pipeline.steps.filter((step) => step.kind === "completion");
  return { element: id, label: steps.length > 0 ? "kept" : "omitted", reason: steps.length > 0 ? "Checked against the run's evidence by the final verification (completion-criteria-unmet)." : "No completion step.", steps: steps.map((step) => step.id), line };
}

function docEntry(kind: string, title: string, line: number): Entry {
  if (kind === "overview") return { element: title, label: "adapted", reason: "Its first sentence is the workflow's description.", steps: [], line };
  if (kind === "realization") return { element: title, label: "omitted", reason: "Notes on realizing the spec are for people; the profile does the realizing.", steps: [], line };
  return { element: title, label: "omitted", reason: "Prose the workflow does not execute.", steps: [], line };
}

function sectionEntry(section: SpecIR["sections"][number], ir: SpecIR, pipeline: Pipeline, phases: Map<string, Entry>): Entry {
  const element = section.number ? `§${section.number} ${section.title}` : section.title;
  const line = section.source.start.line;
  const phase = ir.phases.find((candidate) => candidate.source.start.line === line);
  if (phase) return { ...phases.get(phase.id)!, element, line };
  const reasons: { [kind: string]: [TraceLabel, string] } = {
    principles: ["kept", "Its principles go to the prompts of the steps that cite them (see each principle)."],
    roles: ["adapted", "Its roles become the agents of each step (see each role)."],
    capabilities: ["adapted", "Its capabilities become each agent's tools and skills (see each capability)."],
    workflow: ["kept", "Its phases are the pipeline's steps (see each phase)."],
    rules: ["kept", "Every rule reaches the prompts of the steps that could break it (see each rule)."],
    contract: ["kept", "Its numbers are the resolved contract the runtime enforces (see each guard)."],
    state: ["adapted", "The run state is the runtime's own (see each state entry)."],
    completion: ["kept", "The final verification checks its criteria (see each criterion)."],
    mapping: ["adapted", `Its bindings chose the profile (${pipeline.profile}) and each agent's skills.`],
    realization: ["omitted", "Notes on realizing the spec are for people; the profile does the realizing."],
    overview: ["adapted", "Its first sentence is the workflow's description."],
  };
  if (section.kind === "completion" && !pipeline.steps.some((step) => step.kind === "completion")) {
    reasons.completion = ["omitted", "No completion criterion was read from it (write each as a list item), so no step checks it."];
  }
  const [label, reason] = reasons[section.kind] ?? ["omitted", "Prose the workflow does not execute."];
  return { element, label, reason, steps: [], line };
}
