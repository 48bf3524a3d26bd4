import type { List, ListItem, Paragraph, RootContent } from "mdast";
import { toString } from "mdast-util-to-string";
import { report } from "../diagnostics.js";
import type { Gate, Phase, Requirement } from "../ir.js";
import type { LowerContext } from "./context.js";
import { gateFrom } from "./gates.js";
import { isLayout, itemFromListItem, sectionNodes, splitId } from "./items.js";
import { collectParams, paramFromItem } from "./params.js";
import { sourceOf } from "./source.js";
import { strengthOf } from "./strength.js";
import { blockText, refText } from "./text.js";
import type { SectionNode } from "./tree.js";

const NO_IDS = { letters: "PCRD" };

/** A phase heading found in the outline, with the group it stands in. */
interface PhaseSection {
  section: SectionNode;
  group: string | null;
}

/** The phases and loops of a workflow section: phase headings at any depth, or an ordered list of steps. */
export function lowerWorkflow(workflow: SectionNode, context: LowerContext): Phase[] {
  const { phases, loops, unnumbered } = phaseSections(workflow, context);
  if (phases.length === 0 && loops.length === 0 && unnumbered.length === 0) return listWorkflow(workflow, context);
  context.toDocs("prose", workflow.parts.title, workflow.blocks.filter((node) => !isLayout(node)));
  const numberedByPosition = phases.length === 0 && unnumbered.length > 0;
  if (numberedByPosition) noteNumbered(workflow, unnumbered, context);
  else for (const { section } of unnumbered) warnUnnumbered(section, context);
  const all = [...phases, ...loops, ...(numberedByPosition ? unnumbered : [])].sort((a, b) => a.section.heading.position!.start.offset! - b.section.heading.position!.start.offset!);
  let loopCount = 0;
  let position = 0;
  return all.map(({ section, group }) => {
    const { phase: head } = section.parts;
    if (head) return lowerPhase(section, { number: head.number, title: head.title, kind: "phase", group }, context);
    if (numberedByPosition && !isLoop(section)) return lowerPhase(section, { number: ++position, title: section.parts.title, kind: "phase", group }, context);
    loopCount += 1;
    return lowerPhase(section, { id: loopCount === 1 ? "loop" : `loop-${loopCount}`, number: null, title: section.parts.title, kind: "loop", group }, context);
  });
}

/** A `##` phase section with no workflow section around it (`## Phase 1: Timeline`). */
export function lowerLonePhase(section: SectionNode, context: LowerContext): Phase {
  const head = section.parts.phase!;
  return lowerPhase(section, { number: head.number, title: head.title, kind: "phase", group: null }, context);
}

function isLoop(section: SectionNode): boolean {
  return /\bloop\b/i.test(section.parts.title);
}

/** Walk the workflow's sub-headings: phases, loops, groups of phases, and unnumbered headings. */
function phaseSections(workflow: SectionNode, context: LowerContext): { phases: PhaseSection[]; loops: PhaseSection[]; unnumbered: PhaseSection[] } {
  const found = { phases: [] as PhaseSection[], loops: [] as PhaseSection[], unnumbered: [] as PhaseSection[] };
  const pending: PhaseSection[] = workflow.children.map((section) => ({ section, group: null })).reverse();
  while (pending.length > 0) {
    const next = pending.pop()!;
    const { section } = next;
    if (section.parts.phase) found.phases.push(next);
    else if (isLoop(section)) found.loops.push(next);
    else if (section.children.some((child) => hasPhase(child))) {
      // A group of phases (`### Part A: Preparation` over `#### Phase 1`): its own text is documentation.
      context.toDocs("prose", section.parts.title, section.blocks.filter((node) => !isLayout(node)));
      for (let index = section.children.length - 1; index >= 0; index--) pending.push({ section: section.children[index], group: section.parts.title });
    } else found.unnumbered.push(next);
  }
  return found;
}

function hasPhase(section: SectionNode): boolean {
  return section.parts.phase !== null || section.children.some(hasPhase);
}

function noteNumbered(workflow: SectionNode, unnumbered: PhaseSection[], context: LowerContext): void {
  report(context.file, "SPC106", `Unexpected workflow headings without phase numbers in \`${workflow.parts.title}\`, expected \`Phase N: title\`; numbered them Phase 1–Phase ${unnumbered.length} in order`, {
    place: sourceOf(workflow.heading),
    hint: "number the phases yourself (`### Phase 1: Intake`) so that references such as `(Phase 2)` are stable",
  });
}

function warnUnnumbered(section: SectionNode, context: LowerContext): void {
  const heading = toString(section.heading).trim();
  report(context.file, "SPC104", `Unexpected workflow heading \`${heading}\` without a phase number, expected \`Phase N: title\`, \`Stage N\`, \`Step N\` or a loop`, {
    place: sourceOf(section.heading),
    hint: "the other phases of this workflow are numbered; number this one too (`### Phase 3: Data audit`) or move it out of the workflow. Until then its text is kept as documentation only",
  });
  context.toDocs("unknown", heading, sectionNodes(section).slice(1));
}

/** A workflow written as one ordered list: each item is a step. */
function listWorkflow(workflow: SectionNode, context: LowerContext): Phase[] {
  const blocks = workflow.blocks.filter((node) => !isLayout(node));
  const list = blocks.find((node): node is List => node.type === "list" && node.ordered === true);
  if (!list) {
    context.toDocs("prose", workflow.parts.title, blocks);
    return [];
  }
  context.toDocs("prose", workflow.parts.title, blocks.filter((node) => node !== list));
  const start = list.start ?? 1;
  return list.children.map((item, index) => phaseFromListItem(item, start + index, context));
}

function phaseFromListItem(listItem: ListItem, number: number, context: LowerContext): Phase {
  const [lead, ...rest] = listItem.children;
  const hasLead = lead?.type === "paragraph";
  const head = itemFromListItem({ ...listItem, children: hasLead ? [lead] : [] }, NO_IDS, null);
  const phase = emptyPhase({ id: `Phase ${number}`, number, title: head.title || `Step ${number}`, kind: "phase", group: null }, sourceOf(listItem));
  fillPhase(phase, hasLead ? rest : listItem.children, context);
  phase.text = [head.text, phase.text].filter(Boolean).join("\n");
  context.cite(phase, refText(listItem.children));
  return phase;
}

interface PhaseHead {
  id?: string;
  number: number | null;
  title: string;
  kind: Phase["kind"];
  group: string | null;
}

function emptyPhase(head: PhaseHead, source: Phase["source"]): Phase {
  return {
    id: head.id ?? `Phase ${head.number}`,
    title: head.title,
    text: "",
    refs: [],
    source,
    group: head.group,
    kind: head.kind,
    number: head.number,
    optional: false,
    requirements: [],
    gates: [],
    params: [],
    rules: [],
  };
}

function lowerPhase(section: SectionNode, head: PhaseHead, context: LowerContext): Phase {
  const nodes = sectionNodes(section).slice(1).map(headingAsLabel);
  const last = nodes.at(-1) ?? section.heading;
  const title = head.title || (head.number !== null ? `Phase ${head.number}` : section.parts.title);
  const phase = emptyPhase({ ...head, title }, { start: sourceOf(section.heading).start, end: sourceOf(last).end });
  phase.optional = section.parts.optional;
  fillPhase(phase, nodes, context);
  context.cite(phase, refText(nodes));
  return phase;
}

/** A sub-heading inside a phase reads like a bold label (`#### Checklist` is a checklist gate). */
function headingAsLabel(node: RootContent): RootContent {
  if (node.type !== "heading") return node;
  const paragraph: Paragraph = { type: "paragraph", children: [{ type: "strong", children: node.children }], position: node.position };
  return paragraph;
}

/** Sort a phase's blocks into prose, requirements, gates and parameters: each block lands once. */
function fillPhase(phase: Phase, children: RootContent[], context: LowerContext): void {
  const prose: RootContent[] = [];
  for (let index = 0; index < children.length; index++) {
    const node = children[index];
    if (isLayout(node)) continue;
    if (node.type === "paragraph") {
      const found = gateFrom(node, children[index + 1]);
      if (found) {
        phase.gates.push(found.gate);
        if (found.consumedNext) index += 1;
      } else if (phase.gates.some((gate) => gate.kind === "approval")) {
        // Written after an approval gate: work that runs once the gate passes, so it keeps its place.
        paragraphRequirement(node, phase, context);
      } else prose.push(node);
    } else if (node.type === "list") {
      for (const item of node.children) lowerListItem(item, phase, context);
    } else if (node.type === "table") phase.params.push(...collectParams([node]));
    else prose.push(node);
  }
  phase.text = blockText(prose);
}

/** A paragraph as a requirement, with its own source: where it stands matters. */
function paragraphRequirement(node: Paragraph, phase: Phase, context: LowerContext): void {
  const text = blockText([node]);
  const requirement: Requirement = { id: null, strength: strengthOf(text), text, refs: [], source: sourceOf(node) };
  phase.requirements.push(requirement);
  context.cite(requirement, refText([node]));
}

function lowerListItem(item: ListItem, phase: Phase, context: LowerContext): void {
  const lead = item.children[0];
  if (lead?.type === "paragraph") {
    const found = gateFrom(lead, item.children[1]);
    if (found) {
      phase.gates.push({ ...found.gate, source: sourceOf(item) } satisfies Gate);
      return;
    }
  }
  const param = paramFromItem(item);
  if (param) {
    phase.params.push(param);
    return;
  }
  const text = blockText(item.children);
  const { id, rest } = splitId(text, NO_IDS);
  const requirement: Requirement = { id, strength: strengthOf(id ? rest : text), text: id ? rest : text, refs: [], source: sourceOf(item) };
  phase.requirements.push(requirement);
  context.cite(requirement, refText(item.children));
}

