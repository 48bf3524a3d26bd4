import type { Node } from "mdast";
import type { Source } from "../ir.js";

/** The 1-based source range of an mdast node (mdast positions are always set by the parser). */
export function sourceOf(node: Node): Source {
  const position = node.position;
  if (!position) return { start: { line: 1, column: 1 }, end: { line: 1, column: 1 } };
  return {
    start: { line: position.start.line, column: position.start.column },
    end: { line: position.end.line, column: position.end.column },
  };
}

/** The range from the start of `first` to the end of `last`. */
export function spanOf(first: Node, last: Node): Source {
  return { start: sourceOf(first).start, end: sourceOf(last).end };
}
