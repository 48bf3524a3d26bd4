import type { ListItem, Node, Paragraph, PhrasingContent, RootContent, Table, TableRow } from "mdast";
import { toString } from "mdast-util-to-string";
import type { Source } from "../ir.js";
import { trimTitle } from "./heading.js";
import { sourceOf } from "./source.js";
import { blockText, displayText, maskCode, refText, squash } from "./text.js";
import type { SectionNode } from "./tree.js";

/** One element as written: a list item, a paragraph, a heading with its blocks, or a table row. */
export interface Item {
  id: string | null;
  /** Words in parentheses after the id: `R3 (SHOULD).` → `SHOULD`. */
  qualifier: string | null;
  title: string;
  text: string;
  /** Block nodes of the item after its lead paragraph (for gates, params). */
  blocks: RootContent[];
  /** The words references are looked for in (inline code left out). */
  refText: string;
  source: Source;
  /** The title of the sub-heading the item stands under, if any. */
  group: string | null;
  from: "list" | "paragraph" | "heading" | "row";
}

/**
 * Id shapes a section accepts at the start of its items: the kind's letter (`R12`), a multi-letter
 * family with a hyphen (`SR-1`, `REQ-004`), and, where `numeric` is set, a clause number (`6.1`).
 */
export interface IdShape {
  letters: string;
  numeric?: boolean;
}

const SEPARATOR = String.raw`(?:\s*\(([^)]{0,40})\))?(?:\s*[.:—–)]|\s+-\s|\s+|$)\s*`;
const leadCache = new Map<string, RegExp>();

function leadPattern(shape: IdShape): RegExp {
  const key = `${shape.letters}|${shape.numeric ? 1 : 0}`;
  let pattern = leadCache.get(key);
  if (!pattern) {
    const forms = [`[${shape.letters}]\\d{1,4}`, "[A-Z]{2,5}-\\d{1,4}"];
    if (shape.numeric) forms.push("\\d{1,3}(?:\\.\\d{1,3})+");
    pattern = new RegExp(`^\\s*(?:§\\s*)?(${forms.join("|")})(?![\\w.]\\w)${SEPARATOR}`);
    leadCache.set(key, pattern);
  }
  return pattern;
}

/** Split `R7 (MUST). Recover in order.` into id, qualifier and the rest. */
export function splitId(text: string, shape: IdShape): { id: string | null; qualifier: string | null; rest: string } {
  const match = leadPattern(shape).exec(text);
  if (!match) return { id: null, qualifier: null, rest: text.trim() };
  return { id: match[1], qualifier: match[2]?.trim() ?? null, rest: text.slice(match[0].length).trim() };
}

/** Title from a bold lead (`**R1. Persist.** Body`), else the first short sentence. */
function leadParts(paragraph: Paragraph, shape: IdShape): { id: string | null; qualifier: string | null; title: string; text: string } {
  // `5.3 **QA-03** …`: a clause number before a bold id is layout.
  const children = paragraph.children[0]?.type === "text" && CLAUSE.test(paragraph.children[0].value) && paragraph.children[1]?.type === "strong" ? paragraph.children.slice(1) : paragraph.children;
  const [first, ...rest] = children;
  if (first && first.type === "strong") {
    // A bold lead says "this is a name": any short id family is read there (`**K1 — Prompt channel.**`).
    const lead = squash(toString(first));
    const { id, qualifier, rest: leadRest } = splitId(lead, { ...shape, letters: "A-Z" });
    const title = displayRest(squash(displayText(first)), lead, leadRest);
    const restText = squash(displayText({ type: "paragraph", children: rest as PhrasingContent[] })).replace(/^[.:—–-]\s*/, "");
    // "**R1.** Persist everything." — the bold holds only the id; the title is the first sentence.
    // "**R1** (MUST). Persist everything." — the strength after the bold id is its qualifier.
    const strength = title === "" && qualifier === null ? LEAD_STRENGTH.exec(restText) : null;
    if (strength) return { id, qualifier: strength[1].toUpperCase(), ...sentenceSplit(restText.slice(strength[0].length)) };
    if (title === "") return { id, qualifier, ...sentenceSplit(restText) };
    return { id, qualifier, title: trimTitle(title), text: restText };
  }
  // The id is read from the words (an author may write it as code: `GR-1` The …); the text keeps its code spans.
  const plain = squash(toString(paragraph));
  const unnumbered = plain.replace(CLAUSE_PREFIX, "");
  const split = splitId(unnumbered, shape);
  const { id, qualifier, rest: tail } = split.id !== null ? split : splitId(plain, shape);
  return { id, qualifier, ...sentenceSplit(displayRest(squash(displayText(paragraph)), plain, tail)) };
}

/**
 * What is left of `display` once the part of `plain` before `rest` (a suffix of it) is read off:
 * `display` is `plain` with code fences added, so the two are walked together, skipping what only
 * `display` has.
 */
function displayRest(display: string, plain: string, rest: string): string {
  const consumed = plain.length - rest.length;
  let at = 0;
  for (let read = 0; read < consumed && at < display.length; at++) if (display[at] === plain[read]) read++;
  return display.slice(at).trim();
}

const LEAD_STRENGTH = /^\(\s*(MUST NOT|MUST|SHOULD NOT|SHOULD|MAY|SHALL NOT|SHALL)\s*\)[.:]?\s*/i;
const CLAUSE = /^\s*\d{1,3}(?:\.\d{1,3})+\s*$/;
const CLAUSE_PREFIX = /^\s*\d{1,3}(?:\.\d{1,3})+\s+/;

function sentenceSplit(text: string): { title: string; text: string } {
  // Split where the masked copy splits, so a `:` or `.` inside code splits nothing.
  const match = /^(.{1,100}?)(?:[.:]\s+|\s+—\s+)(.*)$/s.exec(maskCode(text));
  if (!match) return { title: trimTitle(text), text: "" };
  return { title: trimTitle(text.slice(0, match[1].length)), text: text.slice(match[0].length - match[2].length).trim() };
}

/** A list item as an item. */
export function itemFromListItem(item: ListItem, shape: IdShape, group: string | null): Item {
  const [lead, ...blocks] = item.children;
  const base = { refText: refText(item.children), source: sourceOf(item), group, from: "list" as const };
  if (!lead || lead.type !== "paragraph") return { id: null, qualifier: null, title: "", text: blockText(item.children), blocks: item.children, ...base };
  const parts = leadParts(lead, shape);
  return { ...parts, text: [parts.text, blockText(blocks)].filter(Boolean).join("\n"), blocks, ...base };
}

/** A paragraph that opens with an id (`**R1** — …`, `R3: …`) as an item; null when it has none. */
export function itemFromParagraph(paragraph: Paragraph, shape: IdShape, group: string | null): Item | null {
  const parts = leadParts(paragraph, shape);
  if (parts.id === null) return null;
  return { ...parts, blocks: [], refText: refText([paragraph]), source: sourceOf(paragraph), group, from: "paragraph" };
}

/** A paragraph without an id as an item (rules written as plain paragraphs). */
export function itemFromPlainParagraph(paragraph: Paragraph, group: string | null): Item {
  // `6.1 The operator SHALL …`: an ISO clause number is layout, not part of the rule.
  const parts = sentenceSplit(squash(displayText(paragraph)).replace(/^\d{1,3}(?:\.\d{1,3})+\s+/, ""));
  return { id: null, qualifier: null, ...parts, blocks: [], refText: refText([paragraph]), source: sourceOf(paragraph), group, from: "paragraph" };
}

/** A heading with its blocks (and every block of its sub-headings) as an item. */
export function itemFromHeading(section: SectionNode, shape: IdShape, group: string | null): Item {
  const { id, qualifier, rest } = splitId(toString(section.heading), shape);
  const nodes = sectionNodes(section).slice(1);
  const last = nodes.at(-1) ?? section.heading;
  return {
    id,
    qualifier,
    title: trimTitle(rest),
    text: blockText(nodes),
    blocks: nodes,
    refText: refText(nodes),
    source: { start: sourceOf(section.heading).start, end: sourceOf(last).end },
    group,
    from: "heading",
  };
}

/** A section's heading and every node below it, sub-headings included, in document order. */
export function sectionNodes(section: SectionNode): RootContent[] {
  const out: RootContent[] = [];
  const pending: SectionNode[] = [section];
  while (pending.length > 0) {
    const next = pending.pop()!;
    out.push(next.heading, ...next.blocks);
    for (let index = next.children.length - 1; index >= 0; index--) pending.push(next.children[index]);
  }
  return out;
}

/** Header names of an id column. */
const ID_COLUMNS = /^(?:#|id|no\.?|ref|key|nr\.?)$/i;

/** The column of a table that holds ids, or -1. */
export function idColumn(table: Table, shape: IdShape): number {
  const header = table.children[0];
  if (!header) return -1;
  const named = header.children.findIndex((cell) => ID_COLUMNS.test(toString(cell).trim()));
  if (named >= 0) return named;
  const rows = table.children.slice(1);
  const allIds = rows.length > 0 && rows.every((row) => splitId(toString(row.children[0] ?? { type: "text", value: "" }).trim(), shape).id !== null);
  return allIds ? 0 : -1;
}

/** Cell texts of a row. */
export function cellTexts(row: TableRow): string[] {
  return row.children.map((cell) => squash(toString(cell)));
}

/** Header names of the column that holds an item's title. */
const TITLE_COLUMNS = /^(?:name|title|capability|capabilities|tool|tools|rule|principle|statement|requirement|criterion|role|step)s?$/i;

/**
 * A table row as an item: the id from `idAt` (-1: none), the title from a column named like one
 * (else the first other column), and the other cells as `Column: value` lines sorted by column, so
 * reordering a table's columns changes nothing.
 */
export function itemFromRow(row: TableRow, columns: string[], idAt: number, shape: IdShape, group: string | null): Item {
  // The id cell is read as words; the others are text, code spans kept.
  const cells = row.children.map((cell) => squash(displayText(cell)));
  const idCell = idAt >= 0 && row.children[idAt] !== undefined ? squash(toString(row.children[idAt])) : "";
  const { id, qualifier, rest } = idAt >= 0 ? splitId(idCell, shape) : { id: null, qualifier: null, rest: "" };
  const others = cells.map((cell, index) => ({ cell, column: columns[index] ?? "", index })).filter((entry) => entry.index !== idAt);
  const named = others.find((entry) => TITLE_COLUMNS.test(entry.column.trim()) && entry.cell !== "");
  const titleEntry = rest ? null : named ?? others.find((entry) => entry.cell !== "") ?? null;
  const title = rest || titleEntry?.cell || "";
  const text = others
    .filter((entry) => entry !== titleEntry && entry.cell !== "")
    .map((entry) => `${entry.column}: ${entry.cell}`)
    .sort()
    .join("\n");
  return { id, qualifier, title: trimTitle(title), text, blocks: [], refText: refText(row.children), source: sourceOf(row), group, from: "row" };
}

/** Whether a node is layout only (a rule line, an HTML comment): it carries no meaning. */
export function isLayout(node: Node): boolean {
  return node.type === "thematicBreak" || (node.type === "html" && /^\s*<!--[\s\S]*-->\s*$/.test((node as unknown as { value: string }).value)) || node.type === "definition";
}

