// The three views of `specc graph` as plain graphs: nodes with generated ids (never spec text),
// titles and detail records that carry spec text as data, and edges. The Mermaid and the HTML
// printers both read this model, so the two formats show the same graph.
import type { Gate, Phase, Point, Source, SpecIR } from "../ir.js";
import type { Accounting, Pipeline, Step, TraceLabel } from "../pipeline.js";
import type { Profile } from "../profile.js";
import { hooksRun } from "../realize/enforcement.js";
import { STEP_KINDS } from "../../runtime/workflow/kinds.js";
import { GUARD_STOP_REASONS } from "../../runtime/workflow/stops.js";
import { shorten } from "./text.js";

export const GRAPH_VIEWS = ["spec", "pipeline", "mapping"] as const;
export type ViewName = (typeof GRAPH_VIEWS)[number];

export type NodeKind = "phase" | "gate" | "loop" | "step" | "agent" | "terminal" | "criterion" | "guard" | "rule" | "enforcer" | "sink";
export type Shape = "rect" | "round" | "stadium" | "hexagon";
/** How an enforcer enforces: a runtime guard, an emitted hook, or only the prompts. */
export type Enforcer = "guard" | "hook" | "prompt";

export interface GraphNode {
  /** Generated (`p3`, `s4a1`): letters, digits and underscores only, unique in its view. */
  id: string;
  kind: NodeKind;
  shape: Shape;
  title: string;
  /** Smaller lines under the title. */
  meta: string[];
  label: TraceLabel | null;
  enforcer: Enforcer | null;
  /** The key of its record in `GraphModel.details`. */
  detail: string;
  /** What a screen reader announces for the node. */
  aria: string;
}

export interface GraphEdge {
  from: string;
  to: string;
  label: string | null;
  style: "solid" | "dashed";
  /** Colors the edge by a trace label in the mapping view. */
  tone: TraceLabel | null;
}

export interface Diagram {
  /** Generated, unique in the file. */
  id: string;
  title: string;
  direction: "TB" | "LR";
  nodes: GraphNode[];
  edges: GraphEdge[];
}

export interface View {
  name: ViewName;
  title: string;
  /** One paragraph under the tab, saying what the view shows. */
  intro: string;
  diagrams: Diagram[];
  /** Lines shown under the diagrams (what the view leaves out, and why). */
  notes: string[];
}

/** What the side panel shows for a node: the spec text and where it was written, as data. */
export interface Detail {
  heading: string;
  /** What the element is (`Spec phase`, `Pipeline step (fanout)`). */
  kind: string;
  label: TraceLabel | null;
  reason: string | null;
  /** `specs/x.md:12:1` to `20:3`, or null for what the spec did not write (a runtime guard). */
  position: { path: string; start: Point; end: Point } | null;
  /** The element's own text from the spec. */
  text: string | null;
  facts: [string, string][];
  lists: { title: string; items: string[] }[];
}

export interface GraphModel {
  name: string;
  title: string;
  /** The spec's path relative to its project (never absolute). */
  path: string;
  sha256: string;
  profile: string;
  /** The target whose hooks count, or null for the pipeline as realized (every target's steps). */
  target: string | null;
  views: { [name in ViewName]: View };
  details: Map<string, Detail>;
  accounting: Accounting[];
}

export interface ModelOptions {
  path: string;
  sha256: string;
  profile: Profile;
  target?: string | null;
}

/** Stop reasons every step can produce; the graph lists them once instead of on every step. */
export const COMMON_STOPS = ["invalid-pipeline", "iteration-budget-exhausted", "agent-failed"];
/** Stop reasons that end a run well: drawn as edges to an end, not listed as stops. */
const HAPPY_STOPS = new Set(["completed", "answered"]);

const KIND_NAMES: { [kind: string]: string } = { fanout: "fan-out", agent: "agent", critic: "critic" };
const GATE_TITLES: { [kind: string]: string } = { mandatory: "Gate (mandatory)", "smoke-test": "Gate (smoke test)", checklist: "Checklist", approval: "Gate (approval)" };

/** Build the model of every view. */
export function graphModel(ir: SpecIR, pipeline: Pipeline, options: ModelOptions): GraphModel {
  const builder = new Builder(ir, pipeline, options);
  const views = { spec: builder.specView(), pipeline: builder.pipelineView(), mapping: builder.mappingView() };
  return {
    name: pipeline.name,
    title: ir.title,
    path: options.path,
    sha256: options.sha256,
    profile: options.profile.name,
    target: options.target ?? null,
    views,
    details: builder.details,
    accounting: pipeline.accounting,
  };
}

class Builder {
  readonly details = new Map<string, Detail>();
  private readonly steps: Map<string, Step>;
  private readonly accounting: Map<string, Accounting>;
  private readonly hooks: Set<string>;
  private readonly emittedHooks: Set<string>;

  constructor(
    private readonly ir: SpecIR,
    private readonly pipeline: Pipeline,
    private readonly options: ModelOptions,
  ) {
    this.steps = new Map(pipeline.steps.map((step) => [step.id, step]));
    this.accounting = new Map(pipeline.accounting.map((entry) => [`${entry.kind}:${entry.kind === "gate" ? entry.line : entry.element}`, entry]));
    this.hooks = hooksRun(pipeline, options.profile);
    // Only the claude-code target emits hooks (its spend guard, targets/claude-code/hook.ts); the
    // others enforce what a hook would through the runtime's guards alone.
    this.emittedHooks = options.target === undefined || options.target === null || options.target === "claude-code" ? this.hooks : new Set();
  }

  private position(source: Source | null): Detail["position"] {
    return source ? { path: this.options.path, start: source.start, end: source.end } : null;
  }

  private stepTitle(id: string): string {
    return this.steps.get(id)?.title ?? id;
  }

  private accounted(kind: string, key: string | number): Accounting | undefined {
    return this.accounting.get(`${kind}:${key}`);
  }

  private realization(entry: Accounting | undefined): Pick<Detail, "label" | "reason"> {
    return { label: entry?.label ?? null, reason: entry?.reason ?? null };
  }

  private realizedBy(entry: Accounting | undefined): string[] {
    return entry ? entry.steps.map((id) => this.stepTitle(id)) : [];
  }

  // ---- details -------------------------------------------------------------------------------

  private phaseDetail(phase: Phase): string {
    const key = `phase:${phase.id}`;
    if (this.details.has(key)) return key;
    const entry = this.accounted("phase", phase.id);
    const realized = this.realization(entry);
    const steps = this.realizedBy(entry);
    const facts: [string, string][] = [["Id", phase.id]];
    if (phase.optional) facts.push(["Optional", "yes"]);
    if (phase.rules.length > 0) facts.push(["Rules", phase.rules.join(", ")]);
    if (phase.refs.length > 0) facts.push(["Cites", phase.refs.join(", ")]);
    if (steps.length > 0) facts.push(["Steps", steps.join(", ")]);
    const lists = [
      { title: "Requirements", items: phase.requirements.map((req) => `${req.strength ? `${req.strength}: ` : ""}${req.text}`) },
      { title: "Gates", items: phase.gates.map((gate) => gateLine(gate)) },
      { title: "Parameters", items: phase.params.map((param) => `${param.key}: ${param.raw}`) },
    ].filter((list) => list.items.length > 0);
    this.details.set(key, {
      heading: phase.kind === "loop" ? `Loop: ${phase.title}` : `${phase.id}: ${phase.title}`,
      kind: phase.kind === "loop" ? "Spec loop" : "Spec phase",
      ...realized,
      position: this.position(phase.source),
      text: phase.text,
      facts,
      lists,
    });
    return key;
  }

  private gateDetail(phase: Phase, gate: Gate, index: number): string {
    const key = `gate:${phase.id}:${index}`;
    if (this.details.has(key)) return key;
    const entry = this.accounted("gate", gate.source.start.line);
    const realized = this.realization(entry);
    const steps = this.realizedBy(entry);
    const facts: [string, string][] = [
      ["Phase", `${phase.id}: ${phase.title}`],
      ["Kind", gate.kind],
    ];
    if (steps.length > 0) facts.push(["Checked by", steps.join(", ")]);
    this.details.set(key, {
      heading: `${GATE_TITLES[gate.kind] ?? "Gate"} of ${phase.id}`,
      kind: "Spec gate",
      ...realized,
      position: this.position(gate.source),
      text: gate.text || null,
      facts,
      lists: gate.items.length > 0 ? [{ title: "Items", items: gate.items }] : [],
    });
    return key;
  }

  private stepDetail(step: Step): string {
    const key = `step:${step.id}`;
    if (this.details.has(key)) return key;
    const kind = STEP_KINDS[step.kind] as { guards: readonly string[] };
    const element = this.elementText(step.trace.elements[0]);
    const facts: [string, string][] = [
      ["Id", step.id],
      ["Order", `${step.index + 1} of ${this.pipeline.steps.length}`],
      ["Kind", step.kind],
      ["Realizes", step.trace.elements.join(", ") || "nothing in the spec"],
    ];
    const config = step.config;
    if (Array.isArray(config.branches)) facts.push(["Runs for", (config.branches as string[]).join(", ")]);
    if (Array.isArray(config.endsBranch)) facts.push(["Run ends after it for", (config.endsBranch as string[]).join(", ")]);
    if (typeof config.reviews === "string") facts.push(["Reviews", this.stepTitle(config.reviews)]);
    if (typeof config.maxRetries === "number") facts.push(["Retries", `at most ${config.maxRetries}`]);
    if (typeof config.maxPolls === "number") facts.push(["Polls", `at most ${config.maxPolls}`]);
    if (typeof config.maxIterations === "number") facts.push(["Iterations", `at most ${config.maxIterations}`]);
    // The step's other settings, by their own names: what they mean belongs to the profile and the
    // step kind, not to this view.
    const shown = ["branches", "endsBranch", "reviews", "maxRetries", "maxPolls", "maxIterations", "items", "criteria"];
    for (const key of Object.keys(config).sort()) {
      const value = config[key];
      if (!shown.includes(key) && (typeof value === "string" || typeof value === "number" || typeof value === "boolean")) facts.push([key, String(value)]);
    }
    if (kind.guards.length > 0) facts.push(["Runtime guards", kind.guards.join(", ")]);
    const rules = this.pipeline.enforcement.filter((entry) => entry.steps.includes(step.id)).map((entry) => entry.rule);
    if (rules.length > 0) facts.push(["Rules told", rules.join(", ")]);
    const lists = [
      { title: "Agents", items: step.agents.map((agent) => `${agent.role} ${agent.name}: ${agent.description}`) },
      { title: "Stop reasons", items: stopsOf(step) },
      { title: "Checklist items", items: Array.isArray(config.items) ? (config.items as string[]) : [] },
      { title: "Criteria", items: Array.isArray(config.criteria) ? (config.criteria as { id: string; text: string }[]).map((criterion) => `${criterion.id}: ${criterion.text}`) : [] },
    ].filter((list) => list.items.length > 0);
    this.details.set(key, {
      heading: step.title,
      kind: `Pipeline step (${step.kind})`,
      label: step.trace.label,
      reason: step.trace.reason,
      position: this.position(step.trace.source ?? element?.source ?? null),
      text: element?.text ?? null,
      facts,
      lists,
    });
    return key;
  }

  /** The text and place of a spec element by its id (`Phase 4`, `R7`, `D1`, `6.2`). */
  private elementText(id: string | undefined): { text: string; source: Source } | null {
    if (id === undefined) return null;
    const ir = this.ir;
    const found = [...ir.phases, ...ir.rules, ...ir.contract.guards, ...ir.completion, ...ir.capabilities, ...ir.principles].find((element) => element.id === id);
    return found ? { text: found.text, source: found.source } : null;
  }

  private agentDetail(step: Step, index: number): string {
    const agent = step.agents[index];
    const key = `agent:${step.id}:${index}`;
    if (this.details.has(key)) return key;
    const facts: [string, string][] = [
      ["Name", agent.name],
      ["Role", agent.role],
      ["Step", step.title],
      ["Read-only", agent.readOnly ? "yes" : "no"],
    ];
    if (agent.tools.length > 0) facts.push(["Tools", agent.tools.join(", ")]);
    if (agent.skills.length > 0) facts.push(["Skills", agent.skills.join(", ")]);
    if (agent.capabilities.length > 0) facts.push(["Capabilities", agent.capabilities.join(", ")]);
    this.details.set(key, {
      heading: agent.name,
      kind: `Agent (${agent.role}) of ${step.title}`,
      label: step.trace.label,
      reason: null,
      position: this.position(step.trace.source),
      text: agent.description,
      facts,
      lists: agent.instructions.length > 0 ? [{ title: "Instructions", items: agent.instructions }] : [],
    });
    return key;
  }

  private simpleDetail(key: string, detail: Partial<Detail> & Pick<Detail, "heading" | "kind">): string {
    if (!this.details.has(key)) this.details.set(key, { label: null, reason: null, position: null, text: null, facts: [], lists: [], ...detail });
    return key;
  }

  // ---- spec view -----------------------------------------------------------------------------

  specView(): View {
    const nodes: GraphNode[] = [];
    const edges: GraphEdge[] = [];
    const phases = this.ir.phases;
    /** The node a phase is left through (its last gate, or itself), by phase index. */
    const exits = new Map<number, string>();
    let previous: string | null = null;
    phases.forEach((phase, index) => {
      if (phase.kind === "loop") return;
      const id = `p${index}`;
      nodes.push(this.phaseNode(phase, id));
      if (previous !== null) edges.push(edge(previous, id));
      previous = this.gateChain(phase, id, nodes, edges);
      exits.set(index, previous);
    });
    phases.forEach((phase, index) => {
      if (phase.kind !== "loop") return;
      const id = `l${index}`;
      nodes.push(this.phaseNode(phase, id));
      // A loop hangs off the phases before it; it starts again from the first phase it cites.
      const before = [...exits.keys()].filter((at) => at < index);
      const from = before.length > 0 ? exits.get(before[before.length - 1])! : null;
      if (from !== null) edges.push(edge(from, id, phase.optional ? "optional" : "then", "dashed"));
      const last = this.gateChain(phase, id, nodes, edges);
      const target = phases.findIndex((other) => other.kind === "phase" && phase.refs.includes(other.id));
      edges.push(edge(last, target >= 0 ? `p${target}` : id, "repeats", "dashed"));
    });
    return {
      name: "spec",
      title: "Spec",
      intro: "The spec as written: its phases in order, the gates a phase must pass before the next starts, and its loops (dashed).",
      diagrams: [{ id: "spec", title: "Phases, gates and loops", direction: "TB", nodes, edges }],
      notes: [],
    };
  }

  private phaseNode(phase: Phase, id: string): GraphNode {
    const loop = phase.kind === "loop";
    const meta = [
      [`${phase.requirements.length} requirement${phase.requirements.length === 1 ? "" : "s"}`, phase.optional ? "optional" : ""].filter(Boolean).join(" · "),
      phase.rules.length > 0 ? `rules ${phase.rules.join(", ")}` : "",
    ].filter(Boolean);
    const title = loop ? `Loop: ${phase.title}` : `${phase.id}: ${phase.title}`;
    return node(id, loop ? "loop" : "phase", loop ? "stadium" : "rect", title, meta, this.phaseDetail(phase), { aria: `${loop ? "Loop" : "Phase"} ${title}, ${meta.join(", ")}` });
  }

  private gateChain(phase: Phase, from: string, nodes: GraphNode[], edges: GraphEdge[]): string {
    let last = from;
    phase.gates.forEach((gate, at) => {
      const id = `${from}g${at}`;
      const title = GATE_TITLES[gate.kind] ?? "Gate";
      const meta = gate.kind === "checklist" ? [`${gate.items.length} item${gate.items.length === 1 ? "" : "s"}`] : gate.text ? [shorten(gate.text, 60)] : [];
      nodes.push(node(id, "gate", "hexagon", title, meta, this.gateDetail(phase, gate, at), { aria: `${title} of ${phase.id}` }));
      edges.push(edge(last, id));
      last = id;
    });
    return last;
  }

  // ---- pipeline view -------------------------------------------------------------------------

  pipelineView(): View {
    const nodes: GraphNode[] = [];
    const edges: GraphEdge[] = [];
    const pipeline = this.pipeline;
    const params = pipeline.params.map((param) => param.name);
    nodes.push(
      node("run_start", "terminal", "stadium", "Start", params.length > 0 ? [`arguments: ${params.join(", ")}`] : [], this.startDetail(), { aria: `Start of the run${params.length > 0 ? `, arguments ${params.join(", ")}` : ""}` }),
    );
    let exits = ["run_start"];
    const ends: GraphEdge[] = [];
    let answered = false;
    pipeline.steps.forEach((step, index) => {
      const id = `s${index}`;
      const kind = STEP_KINDS[step.kind] as { stops: readonly string[]; slots: readonly { slot: string; role: string; many: boolean }[] };
      nodes.push(this.stepNode(step, id));
      for (const from of exits) edges.push(edge(from, id));
      exits = [id];
      // Fan-out: the agents of a slot with many agents run side by side, joined by a synthesis agent if the step has one.
      const manyRoles = new Set(kind.slots.filter((slot) => slot.many).map((slot) => slot.role));
      const fanned = step.agents.map((agent, at) => ({ agent, at })).filter(({ agent }) => manyRoles.has(agent.role));
      if (fanned.length > 0) {
        const agentIds = fanned.map(({ agent, at }) => {
          const agentId = `${id}a${at}`;
          nodes.push(node(agentId, "agent", "round", agentTitle(agent.name, pipeline.name, step.id), [agent.role], this.agentDetail(step, at), { aria: `${agent.role} agent ${agent.name} of ${step.title}` }));
          edges.push(edge(id, agentId));
          return agentId;
        });
        const synthesis = step.agents.findIndex((agent) => agent.role === "synthesis");
        if (synthesis >= 0) {
          const joinId = `${id}a${synthesis}`;
          nodes.push(node(joinId, "agent", "round", "synthesis", ["joins the findings"], this.agentDetail(step, synthesis), { aria: `synthesis agent of ${step.title}` }));
          for (const agentId of agentIds) edges.push(edge(agentId, joinId));
          exits = [joinId];
        } else {
          exits = agentIds;
        }
      }
      const config = step.config;
      if (typeof config.reviews === "string") {
        const reviewed = pipeline.steps.findIndex((other) => other.id === config.reviews);
        const retries = typeof config.maxRetries === "number" ? `, retry ≤ ${config.maxRetries}` : "";
        if (reviewed >= 0) edges.push(edge(id, `s${reviewed}`, `rejects${retries}`, "dashed"));
      }
      if (Array.isArray(config.endsBranch) && config.endsBranch.length > 0) ends.push(edge(id, "run_done", `ends for ${(config.endsBranch as string[]).join(", ")}`, "dashed"));
      if (kind.stops.includes("answered")) {
        answered = true;
        ends.push(edge(id, "run_answered", "answered", "dashed"));
      }
    });
    nodes.push(node("run_done", "terminal", "stadium", "Completed", [], this.endDetail("completed"), { aria: "End: the run completed" }));
    for (const from of exits) edges.push(edge(from, "run_done"));
    if (answered) nodes.push(node("run_answered", "terminal", "stadium", "Answered", ["a trivial task ends here"], this.endDetail("answered"), { aria: "End: the task was answered directly" }));
    edges.push(...ends);
    const notes = [
      `Every step can also stop with ${COMMON_STOPS.join(", ")}; each step lists the other stop reasons it can produce.`,
      ...pipeline.omitted.map((trace) => `Not in the pipeline: ${trace.elements.join(", ")}. ${trace.reason}`),
    ];
    return {
      name: "pipeline",
      title: "Pipeline",
      intro: `The realized pipeline (profile ${this.options.profile.name}${this.options.target ? `, target ${this.options.target}` : ""}): its steps in order, fan-out agents side by side, critics that send work back (dashed), and the stop reasons each step can produce.`,
      diagrams: [{ id: "pipeline", title: "Steps", direction: "TB", nodes, edges }],
      notes,
    };
  }

  private stepNode(step: Step, id: string): GraphNode {
    const config = step.config;
    const meta = [`${KIND_NAMES[step.kind] ?? step.kind} · ${step.trace.label}`];
    const agents = agentSummary(step, this.pipeline.name);
    if (agents) meta.push(agents);
    if (Array.isArray(config.branches)) meta.push(`runs for ${(config.branches as string[]).join(", ")}`);
    const stops = stopsOf(step).filter((reason) => !COMMON_STOPS.includes(reason) && !HAPPY_STOPS.has(reason));
    if (stops.length > 0) meta.push(`stops: ${stops.join(", ")}`);
    return node(id, "step", step.kind === "critic" || step.kind === "completion" ? "hexagon" : "rect", step.title, meta, this.stepDetail(step), {
      label: step.trace.label,
      aria: `Step ${step.index + 1}: ${step.title}, ${meta.join(", ")}`,
    });
  }

  private startDetail(): string {
    return this.simpleDetail("terminal:start", {
      heading: "Start",
      kind: "Run arguments",
      facts: this.ir.params.map((param) => [param.name, `${param.type}${param.required ? ", required" : ""}${param.default !== undefined ? `, default ${String(param.default)}` : ""}`] as [string, string]),
      lists: this.ir.params.length > 0 ? [{ title: "Descriptions", items: this.ir.params.map((param) => `${param.name}: ${param.description}`) }] : [],
      position: this.ir.params.length > 0 ? { path: this.options.path, start: this.ir.params[0].source.start, end: this.ir.params[this.ir.params.length - 1].source.end } : null,
    });
  }

  private endDetail(reason: "completed" | "answered"): string {
    return this.simpleDetail(`terminal:${reason}`, {
      heading: reason === "completed" ? "Completed" : "Answered",
      kind: "End of a run",
      text: reason === "completed" ? "The run ends with stoppedReason `completed` after the last step, or after a step that ends the run for its task class." : "The intake answered a trivial task directly; the run ends with stoppedReason `answered`.",
    });
  }

  // ---- mapping view --------------------------------------------------------------------------

  mappingView(): View {
    return {
      name: "mapping",
      title: "Mapping",
      intro: "How each spec element became steps, labelled kept, adapted, added or omitted; and where each rule is enforced: by a runtime guard, by a hook, or only in the prompts.",
      // A spec without rules has no second diagram, only a note saying so.
      diagrams: [this.elementsDiagram(), this.rulesDiagram()].filter((diagram) => diagram.nodes.length > 0),
      notes: [...(this.ir.rules.length === 0 ? ["The spec has no hard rules, so nothing is enforced."] : []), "The table below accounts for every element of the spec, principles, capabilities, roles and state included."],
    };
  }

  private elementsDiagram(): Diagram {
    const nodes: GraphNode[] = [];
    const edges: GraphEdge[] = [];
    const stepIds = new Map(this.pipeline.steps.map((step, index) => [step.id, `m${index}`]));
    let runtime = false;
    let omitted = false;
    const link = (from: string, entry: Accounting | undefined, elementId: string | null): void => {
      if (!entry) return;
      if (entry.steps.length === 0) {
        if (entry.label === "omitted") omitted = true;
        else runtime = true;
        edges.push({ ...edge(from, entry.label === "omitted" ? "sink_none" : "sink_all", null, "dashed"), tone: entry.label });
        return;
      }
      for (const stepId of entry.steps) {
        const step = this.steps.get(stepId);
        const to = stepIds.get(stepId);
        if (!step || !to) continue;
        // The step's own label where it realizes this element (an added critic), else the element's.
        const label = elementId !== null && step.trace.elements.includes(elementId) ? step.trace.label : entry.label;
        // Labelled only where it differs from the element's own label, which its node shows.
        edges.push({ ...edge(from, to, label === entry.label ? null : label), tone: label });
      }
    };
    this.ir.phases.forEach((phase, index) => {
      const entry = this.accounted("phase", phase.id);
      const id = `e${index}`;
      const title = phase.kind === "loop" ? `Loop: ${phase.title}` : `${phase.id}: ${phase.title}`;
      nodes.push(node(id, phase.kind === "loop" ? "loop" : "phase", phase.kind === "loop" ? "stadium" : "rect", title, [entry?.label ?? ""].filter(Boolean), this.phaseDetail(phase), { label: entry?.label ?? null, aria: `${title}, ${entry?.label ?? "not accounted"}` }));
      link(id, entry, phase.id);
      phase.gates.forEach((gate, at) => {
        const gateEntry = this.accounted("gate", gate.source.start.line);
        const gateId = `e${index}g${at}`;
        const gateTitle = `${phase.id}: ${GATE_TITLES[gate.kind] ?? "Gate"}`;
        nodes.push(node(gateId, "gate", "hexagon", gateTitle, [gateEntry?.label ?? ""].filter(Boolean), this.gateDetail(phase, gate, at), { label: gateEntry?.label ?? null, aria: `${gateTitle}, ${gateEntry?.label ?? "not accounted"}` }));
        link(gateId, gateEntry, null);
      });
    });
    this.ir.contract.guards.forEach((guard, index) => {
      const entry = this.accounted("guard", guard.id);
      const id = `c${index}`;
      const title = `§${guard.id} ${guard.title}`;
      const key = this.simpleDetail(`guard:${guard.id}`, {
        heading: title,
        kind: `Control contract (${guard.kind})`,
        ...this.realization(entry),
        position: this.position(guard.source),
        text: guard.text,
        facts: [["Id", guard.id], ["Kind", guard.kind], ...(entry && entry.steps.length > 0 ? [["Steps", entry.steps.map((stepId) => this.stepTitle(stepId)).join(", ")] as [string, string]] : [])],
        lists: guard.params.length > 0 ? [{ title: "Parameters", items: guard.params.map((param) => `${param.key}: ${param.raw}${guard.defaulted.includes(param.key) ? " (default)" : ""}`) }] : [],
      });
      nodes.push(node(id, "guard", "rect", title, [entry?.label ?? ""].filter(Boolean), key, { label: entry?.label ?? null, aria: `${title}, ${entry?.label ?? "not accounted"}` }));
      link(id, entry, guard.id);
    });
    this.ir.completion.forEach((criterion, index) => {
      const entry = this.accounted("criterion", criterion.id);
      const id = `d${index}`;
      const title = `${criterion.id}: ${shorten(criterion.text, 44)}`;
      const key = this.simpleDetail(`criterion:${criterion.id}`, {
        heading: `Completion criterion ${criterion.id}`,
        kind: "Completion criterion",
        ...this.realization(entry),
        position: this.position(criterion.source),
        text: criterion.text,
        facts: [["Id", criterion.id], ...(criterion.refs.length > 0 ? [["Cites", criterion.refs.join(", ")] as [string, string]] : [])],
      });
      nodes.push(node(id, "criterion", "rect", title, [entry?.label ?? ""].filter(Boolean), key, { label: entry?.label ?? null, aria: `Completion criterion ${criterion.id}, ${entry?.label ?? "not accounted"}` }));
      link(id, entry, criterion.id);
    });
    // The left column in the order of the steps each element leads to (spec order among equals),
    // so edges run across, not along the column: §6.9 sits by Research, the criteria by the
    // final verification, what no step realizes at the bottom.
    const firstStep = (id: string): number => {
      const targets = edges.filter((candidate) => candidate.from === id).map((candidate) => (candidate.to === "sink_all" ? 1e6 : candidate.to === "sink_none" ? 2e6 : Number(candidate.to.slice(1))));
      return targets.length > 0 ? Math.min(...targets) : 3e6;
    };
    const order = new Map(nodes.map((element, index) => [element.id, index]));
    nodes.sort((a, b) => firstStep(a.id) - firstStep(b.id) || order.get(a.id)! - order.get(b.id)!);
    this.pipeline.steps.forEach((step, index) => {
      nodes.push(node(`m${index}`, "step", step.kind === "critic" || step.kind === "completion" ? "hexagon" : "rect", step.title, [`${KIND_NAMES[step.kind] ?? step.kind} · ${step.trace.label}`], this.stepDetail(step), { label: step.trace.label, aria: `Step ${step.index + 1}: ${step.title}, ${step.trace.label}` }));
    });
    if (runtime) {
      nodes.push(node("sink_all", "sink", "stadium", "The runtime, every step", ["no single step"], this.simpleDetail("sink:all", { heading: "The runtime, every step", kind: "Realized without a step of its own", text: "These elements are realized by the runtime's resolved contract or the prompts of every step, not by one step." }), { aria: "The runtime, every step" }));
    }
    if (omitted) {
      nodes.push(node("sink_none", "sink", "stadium", "Not realized", ["omitted"], this.simpleDetail("sink:none", { heading: "Not realized", kind: "Omitted from the pipeline", label: "omitted", text: "These elements are not realized by the pipeline; each element's detail says why." }), { label: "omitted", aria: "Not realized: omitted elements" }));
    }
    return { id: "mapping-elements", title: "Spec elements → steps", direction: "LR", nodes, edges };
  }

  private rulesDiagram(): Diagram {
    const nodes: GraphNode[] = [];
    const edges: GraphEdge[] = [];
    const enforcers = new Map<string, string>();
    const enforcerNode = (type: Enforcer, name: string, rules: string[]): string => {
      const key = `${type}:${name}`;
      const existing = enforcers.get(key);
      if (existing) return existing;
      const id = `f${enforcers.size}`;
      enforcers.set(key, id);
      const title = type === "prompt" ? "Prompts only" : `${type} ${name}`;
      const stop = type === "guard" ? (GUARD_STOP_REASONS as { [name: string]: string })[name] : undefined;
      const meta = type === "prompt" ? ["told to the agents"] : type === "hook" ? ["emitted hook"] : stop ? [`stops: ${stop}`] : ["runtime guard"];
      const steps = type === "guard" ? this.pipeline.steps.filter((step) => (STEP_KINDS[step.kind] as { guards: readonly string[] }).guards.includes(name)).map((step) => step.title) : [];
      const detail = this.simpleDetail(`enforcer:${key}`, {
        heading: title,
        kind: type === "guard" ? "Runtime guard" : type === "hook" ? "Hook" : "Prompt enforcement",
        text:
          type === "guard"
            ? "A check the runtime runs in the steps below; a run that breaks the rule stops there. compile proves each guard claim with a stand-in run that breaks it."
            : type === "hook"
              ? "A hook the target emits beside the workflow; it checks every tool call of the agents."
              : "No guard or hook checks these rules: the agents of the steps that could break them are told them in their prompts.",
        facts: [...(stop ? [["Stop reason", stop] as [string, string]] : []), ["Rules", rules.join(", ")]],
        lists: steps.length > 0 ? [{ title: "Steps that run it", items: steps }] : [],
      });
      nodes.push(node(id, "enforcer", type === "prompt" ? "stadium" : "hexagon", title, meta, detail, { enforcer: type, aria: `${title}, ${meta.join(", ")}` }));
      return id;
    };
    // Which rules each enforcer enforces, for its detail; computed first so the detail is complete.
    const plans = this.pipeline.enforcement.map((entry) => this.enforcementPlan(entry));
    const byEnforcer = new Map<string, string[]>();
    for (const plan of plans) {
      for (const [type, name] of plan.enforcers.length > 0 ? plan.enforcers : ([["prompt", "prompt"]] as [Enforcer, string][])) byEnforcer.set(`${type}:${name}`, [...(byEnforcer.get(`${type}:${name}`) ?? []), plan.rule]);
    }
    const rules = new Map(this.ir.rules.map((rule) => [rule.id, rule]));
    plans.forEach((plan, index) => {
      const rule = rules.get(plan.rule);
      const id = `r${index}`;
      const title = `${plan.rule}${plan.strength ? ` (${plan.strength})` : ""}${rule ? `: ${rule.title}` : ""}`;
      const meta = [`${plan.where} · told to ${plan.steps.length} step${plan.steps.length === 1 ? "" : "s"}`];
      const entry = this.accounted("rule", plan.rule);
      const detail = this.simpleDetail(`rule:${plan.rule}`, {
        heading: title,
        kind: "Hard rule",
        label: entry?.label ?? null,
        reason: entry?.reason ?? null,
        position: rule ? this.position(rule.source) : null,
        text: rule?.text ?? null,
        facts: [
          ["Enforced", plan.where],
          ...(plan.enforcers.length > 0 ? [["By", plan.enforcers.map(([type, name]) => `${type} ${name}`).join(", ")] as [string, string]] : []),
          ...(plan.dropped.length > 0 ? [["Not emitted", `${plan.dropped.join(", ")} (the ${this.options.target} target emits no hooks)`] as [string, string]] : []),
          ["Strength", plan.strength ?? "none"],
        ],
        lists: [{ title: "Told to the agents of", items: plan.steps.map((stepId) => this.stepTitle(stepId)) }].filter((list) => list.items.length > 0),
      });
      nodes.push(node(id, "rule", "rect", title, meta, detail, { aria: `Rule ${title}, enforced by ${plan.where}` }));
      const targets = plan.enforcers.length > 0 ? plan.enforcers : ([["prompt", "prompt"]] as [Enforcer, string][]);
      for (const [type, name] of targets) edges.push(edge(id, enforcerNode(type, name, byEnforcer.get(`${type}:${name}`) ?? []), null, type === "prompt" ? "dashed" : "solid"));
    });
    return { id: "mapping-rules", title: "Rules → where they are enforced", direction: "LR", nodes, edges };
  }

  /** Where a rule is enforced for this graph's target: a hook the target does not emit does not count. */
  private enforcementPlan(entry: Pipeline["enforcement"][number]): { rule: string; strength: string | null; where: Enforcer; enforcers: [Enforcer, string][]; dropped: string[]; steps: string[] } {
    const guards = entry.by.filter((name) => !this.hooks.has(name));
    const hooks = entry.by.filter((name) => this.hooks.has(name) && this.emittedHooks.has(name));
    const dropped = entry.by.filter((name) => this.hooks.has(name) && !this.emittedHooks.has(name));
    const where: Enforcer = entry.where === "prompt" ? "prompt" : guards.length > 0 ? "guard" : hooks.length > 0 ? "hook" : "prompt";
    const enforcers: [Enforcer, string][] = where === "prompt" ? [] : [...guards.map((name) => ["guard", name] as [Enforcer, string]), ...hooks.map((name) => ["hook", name] as [Enforcer, string])];
    return { rule: entry.rule, strength: entry.strength, where, enforcers, dropped, steps: entry.steps };
  }
}

/**
 * The stop reasons a step can produce: its kind's (runtime/workflow/kinds.ts), less
 * `critic-rejected` where the kind's critic is optional and this step has none.
 */
export function stopsOf(step: Step): string[] {
  const stops = [...(STEP_KINDS[step.kind] as { stops: readonly string[] }).stops];
  return step.agents.some((agent) => agent.role === "critic") ? stops : stops.filter((reason) => reason !== "critic-rejected");
}

function node(id: string, kind: NodeKind, shape: Shape, title: string, meta: string[], detail: string, extra: { label?: TraceLabel | null; enforcer?: Enforcer | null; aria: string }): GraphNode {
  return { id, kind, shape, title, meta, label: extra.label ?? null, enforcer: extra.enforcer ?? null, detail, aria: extra.aria };
}

function edge(from: string, to: string, label: string | null = null, style: GraphEdge["style"] = "solid"): GraphEdge {
  return { from, to, label, style, tone: null };
}

function gateLine(gate: Gate): string {
  const title = GATE_TITLES[gate.kind] ?? "Gate";
  const items = gate.items.length > 0 ? ` (${gate.items.length} items)` : "";
  return `${title}${items}${gate.text ? `: ${gate.text}` : ""}`;
}

/** An agent's name without the pipeline and step prefix it shares with its siblings. */
function agentTitle(name: string, pipeline: string, step: string): string {
  for (const prefix of [`${pipeline}-${step}-`, `${pipeline}-`]) if (name.startsWith(prefix) && name.length > prefix.length) return name.slice(prefix.length);
  return name;
}

/** `4 finders + synthesis`, `worker + critic`, `worker + monitor + fixer, retries ≤ 3`. */
function agentSummary(step: Step, pipeline: string): string {
  if (step.kind === "approval") return "a person approves";
  const parts: string[] = [];
  const many = new Map<string, number>();
  for (const agent of step.agents) {
    if (agent.role === "finder" || agent.role === "checker") {
      if (!many.has(agent.role)) parts.push(agent.role);
      many.set(agent.role, (many.get(agent.role) ?? 0) + 1);
      continue;
    }
    // The step's main agent is named after the step; the others add their slot (`-fixer`, `-critic`).
    const base = `${pipeline}-${step.id}`;
    parts.push(agent.name.startsWith(`${base}-`) ? agent.name.slice(base.length + 1) : agent.role);
  }
  const named = parts.map((part) => (many.has(part) ? `${many.get(part)} ${part}${many.get(part)! > 1 ? "s" : ""}` : part));
  const retries = typeof step.config.maxRetries === "number" ? `retries ≤ ${step.config.maxRetries}` : "";
  return [named.join(" + "), retries].filter(Boolean).join(", ");
}
