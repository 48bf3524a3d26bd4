import type { Node, Parent, RootContent } from "mdast";
import { toString } from "mdast-util-to-string";

/**
 * Plain text of block nodes, one block a line, list items as `- `: readable as agent
 * instructions, with no Markdown markup left to interpret.
 */
export function blockText(nodes: readonly (RootContent | Node)[]): string {
  return nodes
    .map((node) => nodeText(node))
    .filter((text) => text !== "")
    .join("\n")
    .trim();
}

function nodeText(node: RootContent | Node): string {
  switch (node.type) {
    case "list":
      return (node as Parent).children.map((item) => `- ${blockText((item as Parent).children).replace(/\n/g, "\n  ")}`).join("\n");
    case "table":
      return (node as Parent).children.map((row) => (row as Parent).children.map((cell) => toString(cell)).join(" | ")).join("\n");
    case "code":
      return (node as { value: string }).value;
    case "yaml":
    case "html":
    case "thematicBreak":
      return "";
    default:
      return squash(toString(node));
  }
}

/** Soft line breaks inside a paragraph are layout, not meaning: fold them into spaces. */
export function squash(text: string): string {
  return text.replace(/[ \t]*\r?\n[ \t]*/g, " ").trim();
}
