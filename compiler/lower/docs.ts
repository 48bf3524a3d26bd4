import type { RootContent } from "mdast";
import { report } from "../diagnostics.js";
import type { Doc } from "../ir.js";
import type { LowerContext } from "./context.js";
import { isLayout, splitId } from "./items.js";
import { sourceOf } from "./source.js";
import { strengthOf } from "./strength.js";
import { blockText, refText } from "./text.js";

// The BCP 14 boilerplate names the keywords; it states no requirement of its own.
const BOILERPLATE = /\b(?:RFC\s?2119|RFC\s?8174|BCP\s?14)\b/i;
const ID_SHAPE = { letters: "PCRD" };

/** The overview and every pending doc, each checked for normative text that would be lost in it. */
export function writeDocs(preamble: RootContent[], context: LowerContext): Doc[] {
  const pending = [{ kind: "overview" as const, title: "Overview", nodes: preamble, checked: true }, ...context.docs];
  const docs: Doc[] = [];
  // Document order, whatever order the sections were read in.
  const start = (entry: { nodes: RootContent[] }): number => entry.nodes[0]?.position?.start.offset ?? 0;
  for (const entry of [...pending].sort((a, b) => start(a) - start(b))) {
    const nodes = entry.nodes.filter((node) => !isLayout(node));
    if (nodes.length === 0) continue;
    const doc: Doc = { kind: entry.kind, title: entry.title, text: blockText(nodes), refs: [], source: { start: sourceOf(nodes[0]).start, end: sourceOf(nodes.at(-1)!).end } };
    context.cite(doc, refText(nodes));
    if (entry.checked) for (const block of blocksOf(nodes)) warnNormative(block, entry.title, context);
    docs.push(doc);
  }
  return docs;
}

/** Paragraphs and list items: the units a requirement is written in. */
function blocksOf(nodes: RootContent[]): RootContent[] {
  const out: RootContent[] = [];
  const pending = [...nodes].reverse();
  while (pending.length > 0) {
    const node = pending.pop()!;
    if (node.type === "list" || node.type === "blockquote") for (let index = node.children.length - 1; index >= 0; index--) pending.push(node.children[index] as RootContent);
    else if (node.type === "listItem") out.push(node as unknown as RootContent);
    else if (node.type === "paragraph" || node.type === "table") out.push(node);
  }
  return out;
}

function warnNormative(block: RootContent, title: string, context: LowerContext): void {
  const text = blockText([block]);
  if (BOILERPLATE.test(text)) return;
  const strength = strengthOf(text);
  const { id } = splitId(text, ID_SHAPE);
  if (strength === null && id === null) return;
  const looks = id !== null ? `element \`${id}\`` : `requirement (\`${strength}\`)`;
  report(context.file, "SPC110", `Unexpected ${looks} in \`${title}\`, kept as documentation only; expected it in a rules section, a phase or the contract`, {
    place: sourceOf(block),
    hint: "move it under a section specc reads (docs/spec-language.md §2), or write the keyword in lowercase if it is not a requirement",
  });
}
