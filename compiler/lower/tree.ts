import type { Heading, Root, RootContent } from "mdast";
import { toString } from "mdast-util-to-string";
import { normalizeHeading, type HeadingParts } from "./heading.js";

/** A heading with the blocks right under it and its sub-headings: the document as an outline. */
export interface SectionNode {
  heading: Heading;
  depth: number;
  parts: HeadingParts;
  /** Blocks between this heading and its first sub-heading (or the next heading). */
  blocks: RootContent[];
  children: SectionNode[];
}

export interface DocumentTree {
  /** The document's one `#` heading; null when there are none or several (then they are sections). */
  title: Heading | null;
  /** Blocks before the first section (after the title). */
  preamble: RootContent[];
  sections: SectionNode[];
}

/** Build the outline in one pass with a stack: linear, no recursion. */
export function documentTree(tree: Root): DocumentTree {
  const body = tree.children.filter((node) => node.type !== "yaml");
  const tops = body.filter((node): node is Heading => node.type === "heading" && node.depth === 1);
  const title = tops.length === 1 ? tops[0] : null;
  const preamble: RootContent[] = [];
  const sections: SectionNode[] = [];
  const stack: SectionNode[] = [];
  for (const node of body) {
    if (node === title) continue;
    if (node.type !== "heading") {
      (stack.at(-1)?.blocks ?? preamble).push(node);
      continue;
    }
    while (stack.length > 0 && stack[stack.length - 1].depth >= node.depth) stack.pop();
    const section: SectionNode = { heading: node, depth: node.depth, parts: normalizeHeading(toString(node)), blocks: [], children: [] };
    (stack.at(-1)?.children ?? sections).push(section);
    stack.push(section);
  }
  return { title, preamble, sections };
}

/** Every section below `section` (itself first), in document order, without recursion. */
export function flattenSections(section: SectionNode): SectionNode[] {
  const out: SectionNode[] = [];
  const pending = [section];
  while (pending.length > 0) {
    const next = pending.pop()!;
    out.push(next);
    for (let index = next.children.length - 1; index >= 0; index--) pending.push(next.children[index]);
  }
  return out;
}
