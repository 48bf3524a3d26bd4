import type { ListItem, RootContent } from "mdast";
import { toString } from "mdast-util-to-string";
import type { VFile } from "vfile";
import { report } from "../diagnostics.js";
import type { Gate, Phase, Requirement } from "../ir.js";
import { gateFrom } from "./gates.js";
import { splitId } from "./items.js";
import { collectParams, paramFromItem } from "./params.js";
import { refsIn } from "./refs.js";
import { splitByHeading, type Section } from "./sections.js";
import { sourceOf } from "./source.js";
import { strengthOf } from "./strength.js";
import { blockText } from "./text.js";

const PHASE_HEADING = /^(?:step|phase)\s+(\d+)\s*(?:[.:—–)]|\s-\s)?\s*(.*)$/i;

/** The phases and loops of a workflow section, one per `###` heading. */
export function lowerPhases(section: Section, file: VFile): Phase[] {
  const { sections: blocks } = splitByHeading(section.children, 3);
  const phases: Phase[] = [];
  let loops = 0;
  for (const block of blocks) {
    const heading = toString(block.heading).trim();
    const match = PHASE_HEADING.exec(heading);
    if (match) {
      phases.push(lowerPhase(block, { id: `Phase ${Number(match[1])}`, number: Number(match[1]), title: match[2], kind: "phase" }));
    } else if (/\bloop\b/i.test(heading)) {
      loops += 1;
      phases.push(lowerPhase(block, { id: loops === 1 ? "loop" : `loop-${loops}`, number: null, title: heading, kind: "loop" }));
    } else {
      report(file, "SPC104", `Unexpected workflow heading \`${heading}\`, expected \`Phase N: title\` or a loop`, {
        place: sourceOf(block.heading),
        hint: "number the phase (`### Phase 3: Data audit`); until then its text is kept as documentation only",
      });
    }
  }
  return phases;
}

interface PhaseHead {
  id: string;
  number: number | null;
  title: string;
  kind: Phase["kind"];
}

function lowerPhase(block: Section, head: PhaseHead): Phase {
  const gates: Gate[] = [];
  const requirements: Requirement[] = [];
  const prose: RootContent[] = [];
  const children = block.children;
  for (let index = 0; index < children.length; index++) {
    const node = children[index];
    if (node.type === "paragraph") {
      const found = gateFrom(node, children[index + 1]);
      if (found) {
        gates.push(found.gate);
        if (found.consumedNext) index += 1;
      } else prose.push(node);
    } else if (node.type === "list") {
      for (const item of node.children) lowerListItem(item, gates, requirements);
    } else if (node.type !== "table") prose.push(node);
  }
  const title = head.title.replace(/\s*\((?:optional)\)\s*$/i, "").replace(/[.:]$/, "").trim();
  const text = blockText(prose);
  const allText = [text, ...requirements.map((r) => r.text), ...gates.map((g) => [g.text, ...g.items].join("\n"))].join("\n");
  const last = children.at(-1) ?? block.heading;
  return {
    id: head.id,
    title,
    text,
    refs: refsIn(allText, head.id),
    source: { start: sourceOf(block.heading).start, end: sourceOf(last).end },
    kind: head.kind,
    number: head.number,
    optional: /\boptional\b/i.test(head.title),
    requirements,
    gates,
    params: collectParams(children.filter((node) => node.type === "table")).concat(
      children.flatMap((node) => (node.type === "list" ? node.children.map(paramFromItem).filter((p) => p !== null) : [])),
    ),
  };
}

function lowerListItem(item: ListItem, gates: Gate[], requirements: Requirement[]): void {
  const lead = item.children[0];
  if (lead?.type === "paragraph") {
    const found = gateFrom(lead, item.children[1]);
    if (found) {
      gates.push({ ...found.gate, source: sourceOf(item) });
      return;
    }
  }
  if (paramFromItem(item)) return;
  const text = blockText(item.children);
  const { id, rest } = splitId(text);
  const body = id && !id.startsWith("Phase") ? rest : text;
  requirements.push({
    id: id && !id.startsWith("Phase") ? id : null,
    strength: strengthOf(body),
    text: body,
    refs: refsIn(body),
    source: sourceOf(item),
  });
}
