import type { ListItem, RootContent, Table, TableRow } from "mdast";
import { toString } from "mdast-util-to-string";
import { cellTexts, idColumn, isLayout, itemFromHeading, itemFromListItem, itemFromParagraph, itemFromPlainParagraph, itemFromRow, splitId, type IdShape, type Item } from "./items.js";
import { strengthOf } from "./strength.js";
import type { SectionNode } from "./tree.js";
import { sourceOf } from "./source.js";
import { blockText, refText } from "./text.js";

export interface CollectOptions {
  shape: IdShape;
  /** Rules: paragraphs with an RFC 2119 keyword are items even without an id, when the section has no other items. */
  keywordParagraphs?: boolean;
  /** Completion criteria: a section written only as paragraphs has one item per paragraph. */
  paragraphItems?: boolean;
  /** Capabilities and tools: a table without an id column names its items in the first column. */
  namedRows?: boolean;
  /** Capabilities: a table re-listing ids is a binding table, handed to the caller; otherwise its rows join their elements' text. */
  keepRelisted?: boolean;
}

/** Blocks that became no element, with the group they stood in: they go to `docs`. */
export interface Leftover {
  nodes: RootContent[];
  group: string | null;
}

export interface Collected {
  items: Item[];
  leftovers: Leftover[];
  /** Tables that re-list ids already defined above them (binding tables): attached by the caller, or already attached. */
  relisted: Table[];
}

/**
 * The elements of a kind section: list items, id-led paragraphs, table rows and id-led
 * sub-headings. Other sub-headings are groups (their title is kept on their elements). Every block
 * ends in exactly one place: an item, the text of the item it continues, or a leftover.
 */
export function collectItems(section: SectionNode, options: CollectOptions): Collected {
  const out: Collected = { items: [], leftovers: [], relisted: [] };
  const pending: { section: SectionNode; group: string | null; root: boolean }[] = [{ section, group: null, root: true }];
  while (pending.length > 0) {
    const { section: current, group, root } = pending.pop()!;
    if (!root && splitId(toString(current.heading), options.shape).id !== null) {
      out.items.push(itemFromHeading(current, options.shape, group));
      continue;
    }
    const innerGroup = root ? group : current.parts.title;
    collectBlocks(current.blocks, innerGroup, options, out);
    for (let index = current.children.length - 1; index >= 0; index--) pending.push({ section: current.children[index], group: innerGroup, root: false });
  }
  if (options.keywordParagraphs && out.items.length === 0) promoteParagraphs(out, { keyword: true });
  if (options.paragraphItems && out.items.length === 0) promoteParagraphs(out, { keyword: false });
  return out;
}

/** The items of one table standing on its own (a capability table lifted out of another section). */
export function collectTableItems(table: Table, options: CollectOptions): Collected {
  const out: Collected = { items: [], leftovers: [], relisted: [] };
  collectTable(table, null, options, out);
  return out;
}

function collectBlocks(blocks: RootContent[], group: string | null, options: CollectOptions, out: Collected): void {
  let open: Item | null = null; // a paragraph item that following prose continues
  for (const node of blocks) {
    if (isLayout(node)) continue;
    if (node.type === "paragraph") {
      const item = itemFromParagraph(node, options.shape, group);
      if (item) out.items.push((open = item));
      else if (open) extend(open, node);
      else out.leftovers.push({ nodes: [node], group });
    } else if (node.type === "list") {
      if (open && /:\s*$/.test(open.title + open.text)) {
        extend(open, node); // "**R3** — The agent MUST, in order:" followed by its list
        continue;
      }
      open = null;
      for (const listItem of node.children) out.items.push(named(itemFromListItem(listItem, options.shape, group), listItem, options));
    } else if (node.type === "table") {
      open = null;
      collectTable(node, group, options, out);
    } else if (open) extend(open, node);
    else out.leftovers.push({ nodes: [node], group });
  }
}

/** A table whose header names capabilities or tools (`| Ref | Capability | Notes |`), wherever it stands. */
export function isCapabilityTable(table: Table): boolean {
  const header = table.children[0];
  return header !== undefined && header.children.some((cell) => /^(?:capabilit(?:y|ies)|tools?)$/i.test(toString(cell).trim()));
}

function collectTable(table: Table, group: string | null, options: CollectOptions, out: Collected): void {
  // Outside the capabilities, such a table is left for the capabilities to claim (see lowerCapabilities).
  if (!options.namedRows && isCapabilityTable(table)) {
    out.leftovers.push({ nodes: [table], group });
    return;
  }
  const idAt = idColumn(table, options.shape);
  if (idAt < 0 && !options.namedRows) {
    out.leftovers.push({ nodes: [table], group });
    return;
  }
  const [header, ...rows] = table.children;
  const columns = header ? cellTexts(header) : [];
  const defined = new Set(out.items.map((item) => item.id));
  if (idAt >= 0 && rows.length > 0 && rows.every((row) => defined.has(splitId(cellTexts(row)[idAt] ?? "", options.shape).id))) {
    // Binding tables go to the caller; any other re-listing table adds its cells to its elements' text
    // and is also kept (as a table) among the caller's relisted tables, so its place is recorded.
    if (!options.keepRelisted) for (const row of rows) attachRow(row, columns, idAt, options.shape, out.items);
    out.relisted.push(table);
    return;
  }
  for (const row of rows) {
    const item = itemFromRow(row, columns, idAt, options.shape, group);
    if (idAt < 0) item.id = cellTexts(row)[0] || null;
    if (idAt < 0) item.title = cellTexts(row)[1] ? item.title : item.id ?? "";
    out.items.push(item);
  }
}

/** A capability written as `` - `search` — … `` is named by its code: that name is its id. */
function named(item: Item, listItem: ListItem, options: CollectOptions): Item {
  const lead = listItem.children[0];
  const code = lead?.type === "paragraph" && lead.children[0]?.type === "inlineCode" ? lead.children[0].value.trim() : "";
  if (options.namedRows && item.id === null && code !== "") item.id = code;
  return item;
}

/** A row of a table that re-lists an element (`| R3 | enforced by | … |`) adds its cells to that element. */
function attachRow(row: TableRow, columns: string[], idAt: number, shape: IdShape, items: Item[]): void {
  const cells = cellTexts(row);
  const item = items.find((candidate) => candidate.id === splitId(cells[idAt] ?? "", shape).id)!;
  const lines = cells.map((cell, index) => (index === idAt || cell === "" ? "" : `${columns[index] ?? ""}: ${cell}`)).filter(Boolean);
  item.text = [item.text, ...lines].filter(Boolean).join("\n");
  item.refText = `${item.refText} ${refText(row.children)}`;
}

/** Append a block to an item written as a paragraph (its rationale, its list, its table). */
function extend(item: Item, node: RootContent): void {
  item.text = [item.text, blockText([node])].filter(Boolean).join("\n");
  item.refText = `${item.refText} ${refText([node])}`;
  item.blocks.push(node);
  item.source = { start: item.source.start, end: sourceOf(node).end };
}

/**
 * A section written as paragraphs and no ids: each paragraph is an element (rules: only the ones
 * with a keyword; completion criteria: every one, since "the run is complete when …" is one).
 */
function promoteParagraphs(out: Collected, options: { keyword: boolean }): void {
  const kept: Leftover[] = [];
  for (const leftover of out.leftovers) {
    const [node] = leftover.nodes;
    if (leftover.nodes.length === 1 && node.type === "paragraph" && (!options.keyword || strengthOf(blockText([node])) !== null)) {
      out.items.push(itemFromPlainParagraph(node, leftover.group));
    } else kept.push(leftover);
  }
  out.leftovers = kept;
  out.items.sort((a, b) => a.source.start.line - b.source.start.line || a.source.start.column - b.source.start.column);
}
