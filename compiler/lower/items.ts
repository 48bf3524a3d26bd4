import type { Heading, ListItem, Paragraph, PhrasingContent, RootContent, TableRow } from "mdast";
import { toString } from "mdast-util-to-string";
import type { Source } from "../ir.js";
import { sourceOf } from "./source.js";
import { blockText, squash } from "./text.js";

/** One identified element as written: a list item, a `###` block or a table row. */
export interface Item {
  id: string | null;
  /** Words in parentheses after the id: `R3 (SHOULD).` → `SHOULD`. */
  qualifier: string | null;
  title: string;
  text: string;
  /** Block nodes of the item after its lead paragraph (for gates, params). */
  blocks: RootContent[];
  source: Source;
}

const ID = String.raw`(?:§\s*)?([PCRD]\d+|Phase\s+\d+|\d+(?:\.\d+)+)`;
// The id, an optional "(MUST)" qualifier, then one of . : — – or a spaced hyphen.
const LEAD = new RegExp(String.raw`^\s*${ID}(?:\s*\(([^)]*)\))?(?:\s*[.:—–]|\s+-\s|\s+|$)\s*`);

/** Split `R7 (MUST). Recover in order.` into id, qualifier and the rest. */
export function splitId(text: string): { id: string | null; qualifier: string | null; rest: string } {
  const match = LEAD.exec(text);
  if (!match) return { id: null, qualifier: null, rest: text.trim() };
  return { id: match[1].replace(/\s+/g, " "), qualifier: match[2]?.trim() ?? null, rest: text.slice(match[0].length).trim() };
}

function trimTitle(text: string): string {
  return text.trim().replace(/[.:—–-]+$/, "").trim();
}

/** Title from a bold lead (`**R1. Persist.** Body`), else the first short sentence. */
function leadParts(paragraph: Paragraph): { id: string | null; qualifier: string | null; title: string; text: string } {
  const [first, ...rest] = paragraph.children;
  if (first && first.type === "strong") {
    const { id, qualifier, rest: title } = splitId(squash(toString(first)));
    const restText = squash(toString({ type: "paragraph", children: rest as PhrasingContent[] }));
    // "**R1.** Persist everything." — the bold holds only the id; the title is the first sentence.
    if (title === "") return { id, qualifier, ...sentenceSplit(restText.replace(/^[.:—–-]\s*/, "")) };
    return { id, qualifier, title: trimTitle(title), text: restText.replace(/^[.:—–-]\s*/, "") };
  }
  const { id, qualifier, rest: body } = splitId(squash(toString(paragraph)));
  return { id, qualifier, ...sentenceSplit(body) };
}

function sentenceSplit(text: string): { title: string; text: string } {
  const match = /^(.{1,100}?)(?:[.:]\s+|\s+—\s+)(.*)$/s.exec(text);
  if (!match) return { title: trimTitle(text), text: "" };
  return { title: trimTitle(match[1]), text: match[2].trim() };
}

/** A list item as an element. */
export function itemFromListItem(item: ListItem): Item {
  const [lead, ...blocks] = item.children;
  const source = sourceOf(item);
  if (!lead || lead.type !== "paragraph") return { id: null, qualifier: null, title: "", text: blockText(item.children), blocks: item.children, source };
  const parts = leadParts(lead);
  const text = [parts.text, blockText(blocks)].filter(Boolean).join("\n");
  return { ...parts, text, blocks, source };
}

/** A `###` heading and its blocks as an element. */
export function itemFromHeading(heading: Heading, children: RootContent[]): Item {
  const { id, qualifier, rest } = splitId(toString(heading));
  const last = children.at(-1) ?? heading;
  const end = sourceOf(last).end;
  return {
    id,
    qualifier,
    title: trimTitle(rest),
    text: blockText(children),
    blocks: children,
    source: { start: sourceOf(heading).start, end },
  };
}

/** A table row whose first cell holds the id: `| C4 | Citation graph | … |`. */
export function itemFromRow(row: TableRow, columns: string[]): Item {
  const cells = row.children.map((cell) => toString(cell).trim());
  const { id, qualifier, rest } = splitId(cells[0] ?? "");
  const title = rest || cells[1] || "";
  const body = cells
    .slice(rest ? 1 : 2)
    .map((cell, index) => (cell ? `${columns[index + (rest ? 1 : 2)] ?? ""}: ${cell}` : ""))
    .filter(Boolean)
    .join("\n");
  return { id, qualifier, title: trimTitle(title), text: body, blocks: [], source: sourceOf(row) };
}

/** Every element of a section, from its top-level list items, `###` blocks and table rows. */
export function itemsOf(children: readonly RootContent[]): Item[] {
  const items: Item[] = [];
  let block: { heading: Heading; children: RootContent[] } | null = null;
  const flush = (): void => {
    if (block) items.push(itemFromHeading(block.heading, block.children));
    block = null;
  };
  for (const node of children) {
    if (node.type === "heading" && node.depth >= 3) {
      flush();
      block = { heading: node, children: [] };
    } else if (block) {
      block.children.push(node);
    } else if (node.type === "list") {
      items.push(...node.children.map(itemFromListItem));
    } else if (node.type === "table") {
      const [header, ...rows] = node.children;
      const columns = header ? header.children.map((cell) => toString(cell).trim()) : [];
      items.push(...rows.map((row) => itemFromRow(row, columns)));
    }
  }
  flush();
  return items;
}
