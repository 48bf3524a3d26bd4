import type { Node, Parent, RootContent } from "mdast";
import { toString } from "mdast-util-to-string";

/**
 * Plain text of block nodes, one block a line, list items as `- `: readable as agent
 * instructions, with no Markdown markup left to interpret but code spans, which stay code
 * (`messages` names a column; without its backticks it reads as a word).
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
      return (node as Parent).children.map((row) => (row as Parent).children.map((cell) => displayText(cell)).join(" | ")).join("\n");
    case "code":
      return (node as { value: string }).value;
    case "yaml":
    case "html":
    case "thematicBreak":
      return "";
    default:
      return squash(displayText(node));
  }
}

/**
 * The text of a node as mdast-util-to-string gives it, except that inline code keeps its code
 * span: the text a reader (or an agent) sees, not the words a matcher looks at.
 */
export function displayText(node: RootContent | Node): string {
  if (node.type === "inlineCode") return codeSpan((node as { value: string }).value);
  const children = (node as Partial<Parent>).children;
  if (children) return children.map((child) => displayText(child)).join("");
  if (node.type === "image") return (node as { alt?: string | null }).alt ?? "";
  return "value" in node && typeof node.value === "string" ? node.value : "";
}

/** A code span around `code`: a fence longer than any run of backticks in it, padded when it starts or ends with one. */
export function codeSpan(code: string): string {
  const longest = Math.max(0, ...[...code.matchAll(/`+/g)].map((run) => run[0].length));
  const fence = "`".repeat(longest + 1);
  const pad = code.startsWith("`") || code.endsWith("`") ? " " : "";
  return `${fence}${pad}${code}${pad}${fence}`;
}

/** Soft line breaks inside a paragraph are layout, not meaning: fold them into spaces. */
export function squash(text: string): string {
  return text.replace(/[ \t]*\r?\n[ \t]*/g, " ").trim();
}

/**
 * The words of `nodes` in which references are looked for: text only, with inline code, code
 * blocks and HTML left out (`R7` in backticks names a thing, it does not refer to rule R7).
 * Iterative, so nesting depth costs no stack.
 */
export function refText(nodes: readonly (RootContent | Node)[]): string {
  const parts: string[] = [];
  const pending: Node[] = [...nodes].reverse();
  while (pending.length > 0) {
    const node = pending.pop()!;
    if (node.type === "inlineCode" || node.type === "code" || node.type === "html" || node.type === "yaml") {
      parts.push(" ");
      continue;
    }
    if ("value" in node && typeof node.value === "string") parts.push(node.value);
    const children = (node as Partial<Parent>).children;
    if (children) {
      parts.push(" ");
      for (let index = children.length - 1; index >= 0; index--) pending.push(children[index]);
    }
  }
  return parts.join("").replace(/\s+/g, " ");
}

/**
 * `text` with every code span's content and fences replaced by `x`, character for character: a
 * matcher run on it finds no punctuation, id or number inside code, and its offsets are the text's.
 */
export function maskCode(text: string): string {
  return text.replace(/(`+)(?:(?!\1)[\s\S])*?\1(?!`)/g, (span) => "x".repeat(span.length));
}
