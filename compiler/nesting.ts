import type { Root } from "mdast";
import type { Node } from "unist";
import type { VFile } from "vfile";
import { report } from "./diagnostics.js";

/**
 * Lists and quotes may nest this deep. A spec a person reads nests a few levels; 64 leaves ample
 * room while keeping every later recursive pass (lowering, checks, mdast-util-to-string) far
 * from the stack limit, and micromark's time grows with depth times lines, so deeper input is
 * refused before it is parsed.
 */
export const MAX_NESTING = 64;

/**
 * Budgets for the parser's work, which is linear in the input but heavy on a few shapes. A line
 * nested `d` levels costs micromark about `d²` steps (each container rechecks the ones around it);
 * a table cell about 50 to 150 µs; the `m` emphasis markers of a paragraph are matched against each
 * other, about `m²` steps. A spec a person reads stays far below all three (ml-research.md: no
 * line nested two deep, 176 table cells, marker work 5,847; a 10,000-phase spec: no nesting). One
 * staircase to the 64-level limit (about 90,000) still passes, and so does a paragraph of 4,000
 * markers.
 * Past these budgets, input that passes every other check would take seconds to parse.
 */
export const MAX_NESTING_WORK = 100_000;
export const MAX_TABLE_CELLS = 10_000;
export const MAX_MARKER_WORK = 20_000_000;

/** Where nesting first goes past the limit (or the budget), and how deep or how much it gets. */
export interface DeepNesting {
  depth: number;
  line: number;
  column: number;
  /** Set when a budget ran out rather than the depth: what ran out, and how much was used. */
  budget?: { what: "nesting" | "table cells" | "emphasis"; used: number; limit: number };
}

/** Report SPC105 for `found` on `file`. */
export function reportDeepNesting(file: VFile, found: DeepNesting): void {
  const place = { line: found.line, column: found.column };
  if (found.budget) {
    const { what, used, limit } = found.budget;
    const count = (n: number): string => n.toLocaleString("en-US");
    const wording = { nesting: `nested list and quote lines worth ${count(used)} (levels squared, summed)`, "table cells": `${count(used)} table cells`, emphasis: `emphasis markers worth ${count(used)} (per paragraph, squared, summed)` }[what];
    const hint = {
      nesting: "flatten the lists: move deep detail into sub-headings; every nested line costs the parser time",
      "table cells": "a spec is read by people: keep data tables in a data file and name it from the spec",
      emphasis: "use `*` and `_` for emphasis only; write a separator as `---` on its own line",
    }[what];
    report(file, "SPC105", `Unexpected ${wording}, expected at most ${count(limit)}`, { place, hint });
    return;
  }
  report(file, "SPC105", `Unexpected nesting ${found.depth} levels deep, expected at most ${MAX_NESTING}`, {
    place,
    hint: "flatten the list or quote: move the detail into a sub-heading or a table",
  });
}

/** Lists and block quotes in `tree` nested past the limit, measured without recursion. */
export function deepNestingInTree(tree: Root): DeepNesting | null {
  let found: DeepNesting | null = null;
  const stack: [Node, number][] = [[tree, 0]];
  while (stack.length > 0) {
    const [node, outer] = stack.pop()!;
    const depth = node.type === "list" || node.type === "blockquote" ? outer + 1 : outer;
    if (depth > MAX_NESTING) {
      found ??= { depth, line: node.position?.start.line ?? 1, column: node.position?.start.column ?? 1 };
      found.depth = Math.max(found.depth, depth);
    }
    const children = (node as { children?: Node[] }).children;
    if (children) for (let index = children.length - 1; index >= 0; index--) stack.push([children[index], depth]);
  }
  return found;
}

const QUOTE = / {0,3}> ?/y;
const LIST_MARKER = /(?:[-+*]|\d{1,9}[.)])(?: {1,4}|$)/y;
// A fence opens with 3+ backticks (and no backtick after them) or 3+ tildes.
const FENCE = /^ {0,3}(?:(`{3,})(?!.*`)|(~{3,}))/;

/**
 * A line-by-line estimate of list and quote depth, cheap enough to run before parsing: micromark
 * takes minutes on a few thousand nested levels. Each line counts its `>` markers plus the list
 * items it sits in, tracked as a stack of content columns; fenced code is skipped. It follows
 * CommonMark for nesting written on purpose; the exact count comes from the tree.
 */
export function deepNestingInSource(source: string): DeepNesting | null {
  const found: DeepNesting = { depth: 0, line: 0, column: 0 };
  let items: Item[] = []; // open list items, outermost first
  let fence: string | null = null; // the open fence's marker run, while inside one
  let work = 0;
  let cells = 0;
  let markers = 0; // `*` and `_` in the current paragraph
  let markerWork = 0;
  const lines = source.split(/\r\n|\r|\n/);
  // What this line costs the parser, against the budgets; the first one exceeded, or null.
  const spend = (depth: number, rest: string): DeepNesting["budget"] | null => {
    if (depth >= 2) work += depth * depth;
    cells += count(rest, "|");
    const more = count(rest, "*") + count(rest, "_");
    markerWork += (markers + more) ** 2 - markers ** 2;
    markers += more;
    if (work > MAX_NESTING_WORK) return { what: "nesting", used: work, limit: MAX_NESTING_WORK };
    if (cells > MAX_TABLE_CELLS) return { what: "table cells", used: cells, limit: MAX_TABLE_CELLS };
    if (markerWork > MAX_MARKER_WORK) return { what: "emphasis", used: markerWork, limit: MAX_MARKER_WORK };
    return null;
  };
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index].replace(/\t/g, "    ");
    const quotes: number[] = []; // the column of each `>` on this line
    let column = 0;
    for (let quote = matchAt(QUOTE, line, column); quote; quote = matchAt(QUOTE, line, column)) {
      quotes.push(column + quote.indexOf(">"));
      column += quote.length;
    }
    const rest = line.slice(column);
    if (rest.trim() === "") {
      markers = 0;
      continue; // blank lines keep list items open
    }
    const marker = FENCE.exec(rest);
    if (fence === null && marker) fence = marker[1] ?? marker[2];
    else if (fence !== null && marker && (marker[1] ?? marker[2]).startsWith(fence) && rest.trim() === (marker[1] ?? marker[2])) fence = null;
    if (fence !== null || marker) continue;
    column += rest.search(/\S/);
    // An item goes on while the line reaches its content column inside the quotes around it.
    const at = (quoted: number) => (quoted < quotes.length ? quotes[quoted] : column);
    const open = items.findIndex((item) => item.quotes > quotes.length || at(item.quotes) < item.content);
    if (open !== -1) items = items.slice(0, open);
    const levels = [...quotes.map((quoteColumn, quoted) => ({ quoted: quoted + 0.5, column: quoteColumn })), ...items.map((item) => ({ quoted: item.quotes, column: at(item.quotes) }))];
    // A marker indented 4 or more past the innermost item is code, not a nested item.
    if (column - (items.at(-1)?.content ?? 0) < 4) {
      for (let marker = matchAt(LIST_MARKER, line, column); marker; marker = matchAt(LIST_MARKER, line, column)) {
        levels.push({ quoted: quotes.length, column });
        column += marker.length;
        items.push({ quotes: quotes.length, content: column });
      }
    }
    const budget = spend(Math.max(levels.length, markersAtStart(line)), rest);
    // Too deep is the plainer message; a budget speaks only for input within the depth limit.
    if (budget && levels.length <= MAX_NESTING && found.line === 0) return { depth: levels.length, line: index + 1, column: 1, budget };
    if (levels.length <= MAX_NESTING) continue;
    if (found.line === 0) {
      const ordered = levels.sort((a, b) => a.quoted - b.quoted); // stable: items keep their order
      Object.assign(found, { line: index + 1, column: ordered[MAX_NESTING].column + 1 });
    }
    found.depth = Math.max(found.depth, levels.length);
  }
  return found.line === 0 ? null : found;
}

const LEADING_MARKERS = /^(?:[ \t]*(?:>|[-+*](?=[ \t])|\d{1,9}[.)](?=[ \t])))*/;

/** The quote and list markers a line opens with: a plain count the parser will walk through. */
function markersAtStart(line: string): number {
  const prefix = LEADING_MARKERS.exec(line)![0];
  return prefix.length === 0 ? 0 : (prefix.match(/>|[-+*]|\d{1,9}[.)]/g) ?? []).length;
}

/** How often `char` occurs in `text`. */
function count(text: string, char: string): number {
  let n = 0;
  for (let at = text.indexOf(char); at !== -1; at = text.indexOf(char, at + 1)) n++;
  return n;
}

/** An open list item: how many quotes surround it, and the column its content starts at. */
interface Item {
  quotes: number;
  content: number;
}

/** The match of sticky `pattern` at `index` of `text`, without copying the text. */
function matchAt(pattern: RegExp, text: string, index: number): string | null {
  pattern.lastIndex = index;
  return pattern.exec(text)?.[0] ?? null;
}
