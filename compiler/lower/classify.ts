import { toString } from "mdast-util-to-string";
import { report } from "../diagnostics.js";
import type { LowerContext } from "./context.js";
import type { SectionKind } from "./conventions.js";
import { sectionKind, suggestSection } from "./heading.js";
import { sectionNodes, splitId } from "./items.js";
import { sourceOf } from "./source.js";
import { flattenSections, type DocumentTree, type SectionNode } from "./tree.js";

/** A section with what it was read as: a kind, or a lone phase (`## Phase 1: …` with no workflow around it). */
export interface ClassifiedSection {
  kind: SectionKind | "phase";
  section: SectionNode;
}

export interface Classified {
  ordered: ClassifiedSection[];
  of: (kind: SectionKind) => SectionNode[];
  context: LowerContext;
}

/** Families whose ids, when most items of an unnamed section start with them, name its kind. */
const SNIFF: { kind: SectionKind; letters: string }[] = [
  { kind: "capabilities", letters: "C" },
  { kind: "rules", letters: "R" },
  { kind: "principles", letters: "P" },
];

/**
 * Read each section as a kind, by its normalized heading; a section whose heading names nothing
 * known is recognized by its content (items that are mostly `C<n>` ids), or has its sub-sections
 * read on their own, or goes to `docs` with a note. One pass over the outline, no recursion.
 */
export function classifySections(document: DocumentTree, context: LowerContext): Classified {
  const ordered: ClassifiedSection[] = [];
  const pending = [...document.sections].reverse();
  while (pending.length > 0) {
    const section = pending.pop()!;
    const kind: SectionKind | "phase" = section.parts.phase ? "phase" : sectionKind(section.parts.title);
    if (kind !== "unknown") {
      place(section, kind, ordered, context);
      continue;
    }
    const sniffed = sniff(section);
    if (sniffed) {
      report(context.file, "SPC107", `Unexpected section title \`${section.parts.title}\` for a list of ${sniffed} ids, expected a ${sniffed} heading; read it as ${sniffed}`, {
        place: sourceOf(section.heading),
        hint: `name the section \`${sniffed[0].toUpperCase()}${sniffed.slice(1)}\` to say so`,
      });
      place(section, sniffed, ordered, context);
    } else if (section.children.some(readsAsSomething)) {
      record(context, section, "unknown");
      context.toDocs("unknown", section.parts.title, section.blocks);
      for (let index = section.children.length - 1; index >= 0; index--) pending.push(section.children[index]);
    } else {
      unknownSection(section, context);
      place(section, "unknown", ordered, context);
    }
  }
  const of = (kind: SectionKind): SectionNode[] => ordered.filter((entry) => entry.kind === kind).map((entry) => entry.section);
  return { ordered, of, context };
}

function readsAsSomething(section: SectionNode): boolean {
  return flattenSections(section).some((node) => node.parts.phase !== null || sectionKind(node.parts.title) !== "unknown");
}

function place(section: SectionNode, kind: ClassifiedSection["kind"], ordered: ClassifiedSection[], context: LowerContext): void {
  for (const node of flattenSections(section)) record(context, node, node === section ? kind : node.parts.phase ? "phase" : kind);
  if (kind === "documentation" || kind === "realization" || kind === "unknown") {
    context.toDocs(kind, section.parts.title, sectionNodes(section).slice(1).filter((node) => node.type !== "heading"));
    return;
  }
  ordered.push({ kind, section });
}

function record(context: LowerContext, section: SectionNode, kind: string): void {
  context.sections.push({ title: section.parts.title, number: section.parts.number, depth: section.depth, kind, source: sourceOf(section.heading) });
}

function unknownSection(section: SectionNode, context: LowerContext): void {
  const suggestion = suggestSection(section.parts.title);
  report(context.file, "SPC103", `Unexpected section \`${section.parts.title}\`, kept as documentation`, {
    place: sourceOf(section.heading),
    hint: suggestion
      ? `did you mean \`${suggestion}\`? A known section name makes it drive the workflow (docs/spec-language.md §2)`
      : "rename it to a known section (see docs/spec-language.md §2) if it should drive the workflow",
  });
}

/** The kind whose ids start most of the section's items, when at least two do. */
function sniff(section: SectionNode): SectionKind | null {
  const leads: string[] = [];
  for (const node of section.blocks) {
    if (node.type === "list") for (const item of node.children) leads.push(toString(item.children[0] ?? item).trim());
    else if (node.type === "table") for (const row of node.children.slice(1)) leads.push(toString(row.children[0] ?? row).trim());
    else if (node.type === "paragraph") leads.push(toString(node).trim());
  }
  for (const { kind, letters } of SNIFF) {
    const hits = leads.filter((lead) => splitId(lead, { letters }).id?.startsWith(letters)).length;
    if (hits >= 2 && hits * 2 >= leads.length) return kind;
  }
  return null;
}
