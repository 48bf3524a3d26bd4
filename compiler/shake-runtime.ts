import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import type { Comment, Node, ObjectExpression, Pattern, Program, Property, SpreadElement } from "acorn";
import { SpeccError } from "./errors.js";
import { findPackageRoot } from "./package-root.js";

/**
 * Dead-code elimination for the inlined runtime: keep only the top-level declarations reachable
 * from `roots` (the names the generated script's own code uses), in their original order, each
 * with its comment block, under the `// runtime/<folder>/<file>.ts` marker and header of its
 * file. `kinds` first narrows the `STEP_KINDS` object literal to those step kinds, so the drivers
 * of the other kinds (and whatever only they use) drop out too.
 *
 * The declaration graph comes from the build (`SHAKE_GRAPH_PATH`, for the exact runtime texts
 * `inlineRuntime` produces, keyed by their SHA-256) when one fits `code`; otherwise `code` is
 * parsed with acorn, loaded only then. `graph` (tests) gives the graph of `code` to use instead.
 */
export function shakeRuntime(code: string, options: { roots: string[]; kinds?: string[]; graph?: ShakeGraph }): string {
  const text = lf(code);
  const graph = options.graph ? withIndex(text, options.graph) : graphOf(text);
  const kept = new Uint8Array(graph.units.length);
  const keptKinds = options.kinds === undefined ? null : kindsToKeep(graph, options.kinds);
  const stack: number[] = [];
  const mark = (index: number): void => {
    if (kept[index]) return;
    kept[index] = 1;
    stack.push(index);
  };
  for (const root of options.roots) {
    const index = graph.byName.get(root);
    if (index === undefined) throw new SpeccError(`internal: the inlined runtime declares no \`${root}\``, { exitCode: 70 });
    mark(index);
  }
  graph.units.forEach((unit, index) => {
    if (unit.effect) mark(index);
  });
  const stepKinds = graph.stepKinds;
  while (stack.length > 0) {
    const index = stack.pop()!;
    graph.units[index].refs.forEach(mark);
    if (stepKinds?.unit !== index) continue;
    for (const property of stepKinds.properties) {
      if (!keptKinds || property.name === null || keptKinds.has(property.name)) property.refs.forEach(mark);
    }
  }
  return emit(graph, kept, keptKinds);
}

/** The step kinds `STEP_KINDS` declares, in order (empty when the runtime has no such object). */
export function runtimeStepKinds(code: string): string[] {
  return graphOf(lf(code)).stepKinds?.properties.flatMap((property) => (property.name === null ? [] : [property.name])) ?? [];
}

/** Where the build writes the precomputed graphs, from the package root (scripts/shake-graph.mjs). */
export const SHAKE_GRAPH_PATH = "dist/runtime/shake-graph.json";
/** Bump when `ShakeGraph` or how it is computed changes: a file of another format is ignored. */
export const SHAKE_GRAPH_FORMAT = 1;

/** The precomputed graphs file: graphs keyed by `shakeGraphKey` of the text they describe. */
export interface ShakeGraphFile {
  format: number;
  graphs: Record<string, ShakeGraph & { parts?: string[]; length: number }>;
}

/** The key of a runtime text in the precomputed graphs: the SHA-256 (hex) of its UTF-8, LF line ends. */
export function shakeGraphKey(code: string): string {
  return createHash("sha256").update(lf(code)).digest("hex");
}

/**
 * The declaration graph of a runtime text, as plain data (the build writes it as JSON). Ranges
 * are string offsets (UTF-16 code units) into the text with LF line ends.
 */
export interface ShakeGraph {
  /** Every top-level statement, in order. */
  units: Unit[];
  /** The inlined files, in order. */
  segments: Segment[];
  stepKinds: StepKinds | null;
}

/** One top-level statement: its text range (comment block and trailing same-line comments included). */
interface Unit {
  start: number;
  end: number;
  /** The top-level names it declares. */
  names: string[];
  /** Indices of the units whose names this one mentions (for `STEP_KINDS`: outside its properties). */
  refs: number[];
  /** Not a declaration (an expression statement, say): always kept, and what it mentions too. */
  effect: boolean;
}

/** One inlined file: its marker line, its header comments and its statements. */
interface Segment {
  marker: [number, number] | null;
  header: [number, number] | null;
  trailer: [number, number] | null;
  units: number[];
}

/** A property of the `STEP_KINDS` object literal; `name` null for a spread or computed key (always kept). */
interface KindProperty {
  name: string | null;
  /**
   * Its text: from the end of the previous one (or the `{`), so its comments above it, to its
   * comma and any comment on the same line after that.
   */
  start: number;
  end: number;
  refs: number[];
}

interface StepKinds {
  unit: number;
  /** The object literal's text range, braces included. */
  object: { start: number; end: number };
  properties: KindProperty[];
}

/** A graph with its text and a name index, ready to shake. */
interface Graph extends ShakeGraph {
  code: string;
  byName: Map<string, number>;
}

/** A top-level statement of the parsed runtime. */
type Statement = Program["body"][number];

type Acorn = typeof import("acorn");
type AcornWalk = typeof import("acorn-walk");

const MARKER = /^ runtime\/[\w.-]+\/[\w.-]+\.ts$/;
const GRAPH_CACHE_SIZE = 4;
const graphs = new Map<string, Graph>();

function lf(code: string): string {
  return code.includes("\r") ? code.replace(/\r\n?/g, "\n") : code;
}

/** The declaration graph of `code`: precomputed, or parsed once per distinct text (a few recent texts are cached). */
function graphOf(code: string): Graph {
  const cached = graphs.get(code);
  if (cached) return cached;
  const graph = withIndex(code, precomputedShakeGraph(code) ?? parseShakeGraph(code));
  if (graphs.size >= GRAPH_CACHE_SIZE) graphs.delete(graphs.keys().next().value!);
  graphs.set(code, graph);
  return graph;
}

function withIndex(code: string, graph: ShakeGraph): Graph {
  const byName = new Map<string, number>();
  graph.units.forEach((unit, index) => {
    for (const name of unit.names) byName.set(name, index);
  });
  return { code, units: graph.units, segments: graph.segments, stepKinds: graph.stepKinds, byName };
}

let precomputed: Map<string, ShakeGraph> | undefined;

/** The graph the build computed for exactly this text (same SHA-256 and length), or null. */
export function precomputedShakeGraph(code: string): ShakeGraph | null {
  precomputed ??= readPrecomputed();
  if (precomputed.size === 0) return null;
  const text = lf(code);
  const entry = precomputed.get(shakeGraphKey(text)) as (ShakeGraph & { length?: number }) | undefined;
  return entry && entry.length === text.length ? entry : null;
}

/** The build's graphs; none when the file is missing, unreadable or of another format (then every shake parses). */
function readPrecomputed(): Map<string, ShakeGraph> {
  const root = findPackageRoot();
  if (root === null) return new Map();
  try {
    const file = JSON.parse(readFileSync(join(root, SHAKE_GRAPH_PATH), "utf8")) as ShakeGraphFile;
    if (file.format !== SHAKE_GRAPH_FORMAT || typeof file.graphs !== "object" || file.graphs === null) return new Map();
    return new Map(Object.entries(file.graphs));
  } catch {
    return new Map();
  }
}

let parser: { acorn: Acorn; walk: AcornWalk } | undefined;

/**
 * acorn and acorn-walk, loaded on first use: only a runtime text the build did not precompute is
 * parsed. Loaded with require (both ship CommonJS), which keeps `shakeRuntime` synchronous.
 */
function loadParser(): { acorn: Acorn; walk: AcornWalk } {
  if (!parser) {
    const load = createRequire(import.meta.url);
    parser = { acorn: load("acorn") as Acorn, walk: load("acorn-walk") as AcornWalk };
  }
  return parser;
}

/** Parse `code` (LF line ends) with acorn into its declaration graph: what the build precomputes. */
export function parseShakeGraph(code: string): ShakeGraph {
  const { acorn, walk } = loadParser();
  const comments: Comment[] = [];
  let program: Program;
  try {
    program = acorn.parse(code, { ecmaVersion: "latest", sourceType: "script", allowReturnOutsideFunction: true, allowAwaitOutsideFunction: true, onComment: comments });
  } catch (error) {
    throw new SpeccError(`internal: cannot parse the inlined runtime: ${(error as Error).message}`, { exitCode: 70 });
  }
  const commentEnds = new Map(comments.map((comment) => [comment.start, comment.end]));
  const { units, nodes, segments } = layout(code, program.body, comments);

  const byName = new Map<string, number>();
  units.forEach((unit, index) => {
    unit.names = declaredNames(nodes[index]);
    for (const name of unit.names) byName.set(name, index);
  });
  const resolve = (names: Set<string>): number[] => {
    const indices: number[] = [];
    for (const name of names) {
      const index = byName.get(name);
      if (index !== undefined) indices.push(index);
    }
    return indices;
  };

  let stepKinds: StepKinds | null = null;
  units.forEach((unit, index) => {
    const node = nodes[index];
    const object = stepKindsObject(node);
    if (!object) {
      unit.refs = resolve(mentions(walk, node));
      return;
    }
    const inProperties = (position: number): boolean => object.properties.some((property) => position >= property.start && position < property.end);
    unit.refs = resolve(mentions(walk, node, inProperties));
    let start = object.start + 1;
    const properties = object.properties.map((property): KindProperty => {
      const comma = nextComma(code, commentEnds, property.end, object.end);
      const end = comma === null ? property.end : afterSameLineComments(code, commentEnds, comma + 1);
      const entry = { name: propertyName(property), start, end, refs: resolve(mentions(walk, property)) };
      start = end;
      return entry;
    });
    stepKinds = { unit: index, object: { start: object.start, end: object.end }, properties };
  });
  return { units, segments, stepKinds };
}

/**
 * Split the program into files (at marker comments) and statements, and attach each comment
 * outside a statement: to the statement it stands above, to the statement it follows on the same
 * line, or (at the top of a file) to the file's header. A file header is the run of `//` lines
 * before the first statement's doc comment; a first statement with only `//` lines above it (no
 * doc comment, no blank line in between) counts them as the header.
 */
function layout(code: string, body: Statement[], comments: Comment[]): { units: Unit[]; nodes: Statement[]; segments: Segment[] } {
  const units: Unit[] = [];
  const nodes: Statement[] = [];
  const segments: Segment[] = [];
  let segment: Segment = { marker: null, header: null, trailer: null, units: [] };
  let pending: Comment[] = [];
  let last: Unit | null = null;
  const closeSegment = (): void => {
    if (pending.length > 0) segment.trailer = [pending[0].start, pending.at(-1)!.end];
    pending = [];
    segments.push(segment);
  };
  let next = 0;
  for (const comment of comments) {
    while (next < body.length && body[next].end <= comment.start) last = place(body[next++]);
    if (next < body.length && body[next].start < comment.start) continue; // inside a statement
    const lineStart = comment.start === 0 || code[comment.start - 1] === "\n";
    if (comment.type === "Line" && lineStart && MARKER.test(comment.value)) {
      closeSegment();
      segment = { marker: [comment.start, comment.end], header: null, trailer: null, units: [] };
      last = null;
    } else if (last && pending.length === 0 && !code.slice(last.end, comment.start).includes("\n")) {
      last.end = comment.end;
    } else {
      pending.push(comment);
    }
  }
  while (next < body.length) last = place(body[next++]);
  closeSegment();
  return { units, nodes, segments };

  function place(node: Statement): Unit {
    let attached = pending;
    if (segment.units.length === 0 && pending.length > 0) {
      let group = pending.length;
      let after = node.start;
      while (group > 0 && !blankLineIn(code, pending[group - 1].end, after)) after = pending[--group].start;
      const touching = pending.slice(group);
      const firstBlock = touching.findIndex((comment) => comment.type === "Block");
      const split = firstBlock === -1 ? pending.length : touching[0].type === "Line" ? group + firstBlock : group;
      if (split > 0) segment.header = [pending[0].start, pending[split - 1].end];
      attached = pending.slice(split);
    }
    const unit: Unit = { start: attached.length > 0 ? attached[0].start : node.start, end: node.end, names: [], refs: [], effect: !isDeclaration(node) };
    segment.units.push(units.length);
    units.push(unit);
    nodes.push(node);
    pending = [];
    return unit;
  }
}

function blankLineIn(code: string, from: number, to: number): boolean {
  const first = code.indexOf("\n", from);
  return first !== -1 && first < to && code.slice(first + 1, to).includes("\n");
}

function isDeclaration(node: Statement): boolean {
  return node.type === "FunctionDeclaration" || node.type === "VariableDeclaration" || node.type === "ClassDeclaration";
}

function declaredNames(node: Statement): string[] {
  if (node.type === "FunctionDeclaration" || node.type === "ClassDeclaration") return [node.id.name];
  if (node.type !== "VariableDeclaration") return [];
  const names: string[] = [];
  for (const declarator of node.declarations) bindingNames(declarator.id, names);
  return names;
}

function bindingNames(pattern: Pattern, names: string[]): void {
  switch (pattern.type) {
    case "Identifier":
      names.push(pattern.name);
      break;
    case "ObjectPattern":
      for (const property of pattern.properties) bindingNames(property.type === "RestElement" ? property.argument : property.value, names);
      break;
    case "ArrayPattern":
      for (const element of pattern.elements) if (element) bindingNames(element, names);
      break;
    case "RestElement":
      bindingNames(pattern.argument, names);
      break;
    case "AssignmentPattern":
      bindingNames(pattern.left, names);
      break;
  }
}

/**
 * Every name the node uses as a value, wherever it is nested (functions and arrows included).
 * Property names and member names are not uses; shadowing is ignored (a local that shares a
 * top-level name keeps that declaration, which is harmless).
 */
function mentions(walk: AcornWalk, node: Node, skip?: (position: number) => boolean): Set<string> {
  const names = new Set<string>();
  walk.simple(node, {
    Identifier(identifier) {
      if (!skip || !skip(identifier.start)) names.add(identifier.name);
    },
  });
  return names;
}

/** The object literal of `const STEP_KINDS = { … }`, if this statement is that declaration. */
function stepKindsObject(node: Statement): ObjectExpression | null {
  if (node.type !== "VariableDeclaration") return null;
  for (const declarator of node.declarations) {
    if (declarator.id.type === "Identifier" && declarator.id.name === "STEP_KINDS" && declarator.init?.type === "ObjectExpression") return declarator.init;
  }
  return null;
}

function propertyName(property: Property | SpreadElement): string | null {
  if (property.type !== "Property" || property.computed) return null;
  if (property.key.type === "Identifier") return property.key.name;
  if (property.key.type === "Literal" && (typeof property.key.value === "string" || typeof property.key.value === "number")) return String(property.key.value);
  return null;
}

/** The first comma in `code[from, to)` outside comments, or null. */
function nextComma(code: string, commentEnds: Map<number, number>, from: number, to: number): number | null {
  for (let position = from; position < to; position++) {
    const commentEnd = commentEnds.get(position);
    if (commentEnd !== undefined) position = commentEnd - 1;
    else if (code[position] === ",") return position;
    else if (code[position] === "}") return null;
  }
  return null;
}

/** Where the comments right after `from` on the same line end (`from` if there are none). */
function afterSameLineComments(code: string, commentEnds: Map<number, number>, from: number): number {
  let end = from;
  let position = from;
  while (position < code.length) {
    const commentEnd = commentEnds.get(position);
    if (commentEnd !== undefined) {
      end = position = commentEnd;
    } else if (code[position] === " " || code[position] === "\t") {
      position++;
    } else {
      break;
    }
  }
  return end;
}

function kindsToKeep(graph: Graph, kinds: string[]): Set<string> | null {
  if (!graph.stepKinds) return null;
  const known = graph.stepKinds.properties.flatMap((property) => (property.name === null ? [] : [property.name]));
  const unknown = [...new Set(kinds)].filter((kind) => !known.includes(kind));
  if (unknown.length > 0) {
    const list = unknown.map((kind) => JSON.stringify(kind)).join(", ");
    throw new SpeccError(`the workflow runtime has no driver for step kind${unknown.length > 1 ? "s" : ""} ${list}; known kinds: ${known.join(", ")}`);
  }
  return new Set(kinds);
}

/** The kept statements, file by file, separated by single newlines. */
function emit(graph: Graph, kept: Uint8Array, keptKinds: Set<string> | null): string {
  const { code } = graph;
  const files: string[] = [];
  for (const segment of graph.segments) {
    const units = segment.units.filter((index) => kept[index]);
    if (units.length === 0) continue;
    const lines: string[] = [];
    if (segment.marker) lines.push(code.slice(...segment.marker));
    if (segment.header) lines.push(code.slice(...segment.header));
    for (const index of units) lines.push(graph.stepKinds?.unit === index && keptKinds ? specializedText(graph, graph.stepKinds, keptKinds) : code.slice(graph.units[index].start, graph.units[index].end));
    if (segment.trailer) lines.push(code.slice(...segment.trailer));
    files.push(lines.join("\n"));
  }
  return files.join("\n");
}

/** The `STEP_KINDS` declaration with only the kept kinds' properties. */
function specializedText(graph: Graph, stepKinds: StepKinds, keptKinds: Set<string>): string {
  const { code } = graph;
  const unit = graph.units[stepKinds.unit];
  const { object, properties } = stepKinds;
  const kept = properties.filter((property) => property.name === null || keptKinds.has(property.name)).map((property) => code.slice(property.start, property.end));
  // Each kept property carries its own comma, so the result may end in a (valid) trailing comma.
  const tail = code.slice(properties.length > 0 ? properties.at(-1)!.end : object.start + 1, object.end);
  return code.slice(unit.start, object.start + 1) + kept.join("") + tail + code.slice(object.end, unit.end);
}
