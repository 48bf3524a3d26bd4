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

/** Where nesting first goes past the limit, and how deep it gets at most. */
export interface DeepNesting {
  depth: number;
  line: number;
  column: number;
}

/** Report SPC105 for `found` on `file`. */
export function reportDeepNesting(file: VFile, found: DeepNesting): void {
  report(file, "SPC105", `Unexpected nesting ${found.depth} levels deep, expected at most ${MAX_NESTING}`, {
    place: { line: found.line, column: found.column },
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
const FENCE = /^ {0,3}(?:`{3,}|~{3,})/;

/**
 * A line-by-line estimate of list and quote depth, cheap enough to run before parsing: micromark
 * takes minutes on a few thousand nested levels. Each line counts its `>` markers plus the list
 * items it sits in, tracked as a stack of content columns; fenced code is skipped. It follows
 * CommonMark for nesting written on purpose; the exact count comes from the tree.
 */
export function deepNestingInSource(source: string): DeepNesting | null {
  const found: DeepNesting = { depth: 0, line: 0, column: 0 };
  let items: Item[] = []; // open list items, outermost first
  let fenced = false;
  const lines = source.split(/\r\n|\r|\n/);
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index].replace(/\t/g, "    ");
    const quotes: number[] = []; // the column of each `>` on this line
    let column = 0;
    for (let quote = matchAt(QUOTE, line, column); quote; quote = matchAt(QUOTE, line, column)) {
      quotes.push(column + quote.indexOf(">"));
      column += quote.length;
    }
    const rest = line.slice(column);
    if (rest.trim() === "") continue; // blank lines keep list items open
    if (FENCE.test(rest)) fenced = !fenced;
    if (fenced) continue;
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
    if (levels.length <= MAX_NESTING) continue;
    if (found.line === 0) {
      const ordered = levels.sort((a, b) => a.quoted - b.quoted); // stable: items keep their order
      Object.assign(found, { line: index + 1, column: ordered[MAX_NESTING].column + 1 });
    }
    found.depth = Math.max(found.depth, levels.length);
  }
  return found.line === 0 ? null : found;
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
