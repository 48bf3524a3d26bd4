import type { Root, RootContent } from "mdast";
import { frontmatterFromMarkdown } from "mdast-util-frontmatter";
import { gfmTableFromMarkdown } from "mdast-util-gfm-table";
import { gfmTaskListItemFromMarkdown } from "mdast-util-gfm-task-list-item";
import { frontmatter } from "micromark-extension-frontmatter";
import { gfmTable } from "micromark-extension-gfm-table";
import { gfmTaskListItem } from "micromark-extension-gfm-task-list-item";
import remarkParse from "remark-parse";
import { unified, type Processor } from "unified";
import type { Node, Point, Position } from "unist";
import type { VFile } from "vfile";
import "./edit-map-patch.js";

/**
 * Only the syntax specs use: tables, task lists and YAML frontmatter.
 * remark-gfm would also load autolinks, footnotes and strikethrough, which cost start-up time
 * and add nothing a spec needs.
 */
function remarkSpecSyntax(this: Processor): void {
  const data = this.data() as {
    micromarkExtensions?: unknown[];
    fromMarkdownExtensions?: unknown[];
  };
  (data.micromarkExtensions ??= []).push(frontmatter(["yaml"]), gfmTable(), gfmTaskListItem());
  (data.fromMarkdownExtensions ??= []).push(
    frontmatterFromMarkdown(["yaml"]),
    gfmTableFromMarkdown(),
    gfmTaskListItemFromMarkdown(),
  );
}

const processor = unified().use(remarkParse).use(remarkSpecSyntax).freeze();

/**
 * Markdown → mdast with positions. Adds no meaning.
 *
 * micromark's cost grows with the square of the document (each container it closes rebuilds the
 * whole event list), so a 10,000-phase spec took 35 s. The source is parsed section by section
 * instead, split only where CommonMark starts afresh, and the sections are joined under one
 * root with positions in the whole file: the tree is the same as one whole-file parse.
 */
export function parse(file: VFile): Root {
  // Below this size the quadratic term is smaller than the cost of parsing in pieces.
  return String(file.value).length < WHOLE_BELOW ? parseWhole(file) : parseInSections(file);
}

/** `parse` in sections whatever the size (tests compare it with `parseWhole` on small files). */
export function parseInSections(file: VFile): Root {
  const source = String(file.value);
  const parsed = parseSections(source);
  const labels = definitionLabels(parsed.map(({ tree }) => tree));
  if (labels.length === 0) return joinSections(parsed.map(({ tree }) => tree));
  // A reference resolves against definitions anywhere in the document: tell each section of them.
  const parser = withDefinitions(labels);
  return joinSections(parsed.map(({ section }) => parseSection(parser, source, section).tree));
}

/** Specs shorter than this (the bundled ones are 15–31 KB) are parsed in one piece. */
const WHOLE_BELOW = 48 * 1024;

/** The whole file in one micromark parse: what `parse` must equal (tests), quadratic in size. */
export function parseWhole(file: VFile): Root {
  return processor.parse(file) as Root;
}

/** A slice of the source that parses on its own, from a line start to a line start. */
interface Section {
  start: number;
  end: number;
  /** The number of its first line in the whole file. */
  line: number;
  /** Where its parse stops: after the heading line that follows it, if any. */
  through: number;
}

/** A line of the source: where it starts, its text (no line ending) and its number. */
interface Line {
  start: number;
  text: string;
  number: number;
}

function linesOf(source: string): Line[] {
  const lines: Line[] = [];
  const ending = /\r\n|\r|\n/g;
  let start = 0;
  let number = 1;
  for (let match = ending.exec(source); match; match = ending.exec(source)) {
    lines.push({ start, text: source.slice(start, match.index), number: number++ });
    start = match.index + match[0].length;
  }
  if (start < source.length) lines.push({ start, text: source.slice(start), number });
  return lines;
}

const ATX_HEADING = /^#{1,6}(?:[ \t]|$)/;

/**
 * Lines where a section may start: an ATX heading at column 1. Such a line closes every open
 * list and quote (a heading is never a lazy continuation, and list content is indented at
 * least 2) and interrupts a paragraph, unless a block that ignores headings is still open: a
 * fence, an HTML block or the frontmatter. `parseSections` checks that on the parse itself.
 */
function candidates(lines: Line[]): Line[] {
  const chosen: Line[] = [];
  let last = 0;
  for (let index = 1; index < lines.length; index++) {
    const line = lines[index];
    if (line.start - last < MIN_SECTION || !ATX_HEADING.test(line.text)) continue;
    chosen.push(line);
    last = line.start;
  }
  return chosen;
}

/**
 * The smallest section worth its own parse. Each parse pays a fixed cost (micromark combines its
 * extensions, mdast-util-from-markdown builds its handlers), so tiny sections cost more than the
 * quadratic term they avoid; 4 KB measured fastest on a 10,000-phase spec (1.6 s against 2.2 s for one section a heading and 2.6 s at 64 KB).
 */
const MIN_SECTION = 4 * 1024;

/**
 * Parse the source in sections cut at candidate lines. Each section is parsed with the heading
 * line that follows it, as a whole-file parse sees it (it decides where the section's open
 * blocks end, trailing blank lines included), then that heading is dropped. When it did not
 * parse as a top-level heading, a block is still open there: the section grows to the first
 * candidate after the line that can close that block and is parsed again. Each growth passes
 * at least one candidate, so the work stays linear unless blocks are left open on purpose.
 */
function parseSections(source: string): { section: Section; tree: Root }[] {
  const lines = linesOf(source);
  const starts = candidates(lines);
  const parsed: { section: Section; tree: Root }[] = [];
  let next = 0; // the candidate the current section ends at
  let section: Section = { start: 0, end: 0, line: 1, through: 0 };
  for (;;) {
    const heading = starts[next];
    section.end = heading ? heading.start : source.length;
    section.through = heading ? lineEnd(lines, heading) : source.length;
    const { tree, following } = parseSection(processor, source, section);
    const closer = heading ? openAtEnd(source, tree, following, section, heading) : null;
    if (closer) {
      const line = firstMatch(lines, heading.number - 1, closer);
      while (next < starts.length && starts[next].start <= line.start) next++;
      continue;
    }
    parsed.push({ section, tree });
    if (!heading) return parsed;
    section = { start: heading.start, end: 0, line: heading.number, through: 0 };
    next++;
  }
}

/** Where the line after `line` starts (the end of the source for the last line). */
function lineEnd(lines: Line[], line: Line): number {
  return line.number < lines.length ? lines[line.number].start : Number.MAX_SAFE_INTEGER;
}

/** The first line from index `from` on that matches `pattern`, else the last line. */
function firstMatch(lines: Line[], from: number, pattern: RegExp): Line {
  for (let index = from; index < lines.length; index++) if (pattern.test(lines[index].text)) return lines[index];
  return lines[lines.length - 1];
}

/**
 * Null when the section parsed with `heading` after it ends in that heading at top level.
 * Otherwise a pattern for the line that can close the block still open there.
 */
function openAtEnd(source: string, tree: Root, last: RootContent | undefined, section: Section, heading: Line): RegExp | null {
  // The frontmatter closes at a `---` line, which the first section alone may not reach.
  if (section.start === 0 && /^---[ \t]*(?:\r|\n|$)/.test(source) && tree.children[0]?.type !== "yaml") return /^---/;
  if (last?.type === "heading" && last.position?.start.offset === heading.start) return null;
  const text = last?.position ? source.slice(last.position.start.offset, last.position.end.offset) : "";
  const closer = last?.type === "code" ? openFence(text) : last?.type === "html" ? openHtml(text) : null;
  return closer ?? ANY_LINE; // not a known block: grow by one candidate
}

const ANY_LINE = /(?:)/;

/** The line that closes a fenced code block, from its opening fence. */
function openFence(text: string): RegExp | null {
  const fence = /^ {0,3}(`{3,}|~{3,})/.exec(text)?.[1];
  return fence ? new RegExp(`^ {0,3}${fence[0]}{${fence.length},}[ \\t]*$`) : null;
}

/** HTML blocks of kind 1–5 end only at their end marker, whatever lines come between. */
const HTML_KINDS: [RegExp, RegExp][] = [
  [/^ {0,3}<(?:script|pre|style|textarea)(?=[ \t>]|$)/i, /<\/(?:script|pre|style|textarea)>/i],
  [/^ {0,3}<!--/, /-->/],
  [/^ {0,3}<\?/, /\?>/],
  [/^ {0,3}<!\[CDATA\[/, /\]\]>/],
  [/^ {0,3}<![A-Za-z]/, />/],
];

function openHtml(text: string): RegExp | null {
  const firstLine = text.split(/\r\n|\r|\n/, 1)[0];
  return HTML_KINDS.find(([start]) => start.test(firstLine))?.[1] ?? null;
}

/**
 * Parse one section, with positions in the whole file (it starts at column 1 of a line). The
 * last top-level node of a parse through the next heading is taken out as `following`.
 */
function parseSection(parser: typeof processor, source: string, section: Section): { tree: Root; following?: RootContent } {
  const tree = parser.parse(source.slice(section.start, section.through)) as Root;
  const following = section.through > section.end ? tree.children.pop() : undefined;
  if (section.start === 0) return { tree, following };
  const lines = section.line - 1;
  const move = (point: Point): Point => ({ line: point.line + lines, column: point.column, offset: (point.offset ?? 0) + section.start });
  forEachNode(tree, (node) => {
    if (node.position) node.position = { start: move(node.position.start), end: move(node.position.end) };
  });
  if (following?.position) following.position = { start: move(following.position.start), end: move(following.position.end) };
  return { tree, following };
}

/** Labels of every definition in the trees, in micromark's normal form (upper case). */
function definitionLabels(trees: Root[]): string[] {
  const labels = new Set<string>();
  for (const tree of trees) {
    forEachNode(tree, (node) => {
      if (node.type === "definition") labels.add((node as unknown as { identifier: string }).identifier.toUpperCase());
    });
  }
  return [...labels];
}

/**
 * A processor whose parser knows `labels` as defined. micromark keeps the defined labels on its
 * parse context (`parser.defined`), filled as definitions are met; a text construct tried at
 * every `[` adds the labels from other sections before a reference after it is resolved.
 */
function withDefinitions(labels: string[]): typeof processor {
  const seed = {
    tokenize(this: { parser: { defined: string[] } }, _effects: unknown, _ok: unknown, nok: unknown) {
      if (!this.parser.defined.includes(labels[0])) this.parser.defined.push(...labels);
      return nok;
    },
  };
  function remarkSeedDefinitions(this: Processor): void {
    const data = this.data() as { micromarkExtensions?: unknown[] };
    (data.micromarkExtensions ??= []).push({ text: { 91: seed } });
  }
  return unified().use(remarkParse).use(remarkSpecSyntax).use(remarkSeedDefinitions).freeze() as unknown as typeof processor;
}

/** One root holding every section's children, positions moved from the section to the file. */
function joinSections(trees: Root[]): Root {
  const children: RootContent[] = [];
  let position: Position | undefined;
  for (const tree of trees) {
    children.push(...tree.children);
    if (tree.position) position = position ? { start: position.start, end: tree.position.end } : tree.position;
  }
  return { type: "root", children, position };
}

/** Visit every node without recursion (deep trees must not overflow the stack). */
export function forEachNode(tree: Node, visit: (node: Node) => void): void {
  const stack: Node[] = [tree];
  while (stack.length > 0) {
    const node = stack.pop()!;
    visit(node);
    const children = (node as { children?: Node[] }).children;
    if (children) for (let index = children.length - 1; index >= 0; index--) stack.push(children[index]);
  }
}
