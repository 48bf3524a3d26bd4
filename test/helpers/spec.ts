import { readdirSync, readFileSync } from "node:fs";
import { VFile } from "vfile";
import { analyze } from "../../compiler/analyze.js";
import { decode } from "../../compiler/read-spec.js";
import type { Node, Root } from "mdast";
import type { Point, Source, SpecIR } from "../../compiler/ir.js";
import { parse } from "../../compiler/parse.js";
import { resolveContract } from "../../compiler/realize/contract.js";
import { ROOT } from "./paths.js";

/** Analyze Markdown text as a spec (bytes decoded as `readSpec` does, so a BOM is handled alike). */
export function analyzeText(text: string, path = "spec.md"): ReturnType<typeof analyze> {
  return analyze(new VFile({ path, value: decode(new TextEncoder().encode(text), path) }));
}

/** The corpus specs written in other authors' styles (two rounds, by people who never read the parser), and the front-end failure fixtures. */
export function corpusSpecs(): string[] {
  const list = (dir: string): string[] =>
    readdirSync(`${ROOT}${dir}`)
      .filter((name) => name.endsWith(".md") && name !== "README.md")
      .sort()
      .map((name) => `${dir}/${name}`);
  return [...list("test/corpus"), ...list("test/corpus2"), ...list("test/corpus3"), ...list("test/fixtures/front-end")];
}

/** What a correct reader must find in a corpus spec (`<spec>.expect.json`). */
export interface Expectation {
  phases: { number: number; title: string }[];
  rules: { id: string; strength: string | null }[];
  capabilities?: string[];
  contract?: Record<string, number>;
  notRefs?: string[];
  /** Gates by phase number and kind (third round). */
  gates?: { phase: number; kind: string }[];
  /** Quotes of requirements written after an approval gate (third round). */
  afterApproval?: string[];
}

export function expectationOf(spec: string): Expectation {
  return JSON.parse(readFileSync(`${ROOT}${spec.replace(/\.md$/, ".expect.json")}`, "utf8")) as Expectation;
}

/** The resolved contract, flattened to the names the expectations use. */
export function contractNumbers(ir: SpecIR): Record<string, number> {
  const c = resolveContract(ir, { billable: true });
  return {
    costCapUsd: c.costCapUsd ?? Number.NaN,
    maxIterations: c.maxIterations,
    maxRetries: c.maxRetries,
    window: c.repetition.window,
    identicalStreak: c.repetition.identicalStreak,
    cycleMinLength: c.repetition.cycleMinLength,
    cycleMaxLength: c.repetition.cycleMaxLength,
    cycleRepeats: c.repetition.cycleRepeats,
    continuationRetries: c.continuationRetries,
    malformedStreak: c.malformedStreak,
    researchMaxSteps: c.researchMaxSteps,
  };
}

/** The IR without positions (and without the outline, whose numbers are layout). */
export function withoutPositions(ir: SpecIR): unknown {
  return JSON.parse(JSON.stringify({ ...ir, sections: ir.sections.map((section) => section.kind) }, (key, value: unknown) => (key === "source" ? undefined : value)));
}

/** Lines of blocks (top-level blocks, list items, table rows) that no span of the IR contains. */
export function uncoveredBlocks(text: string, ir: SpecIR): number[] {
  const spans: Source[] = [];
  JSON.stringify(ir, (key, value: unknown) => {
    if (key === "source" && value && typeof value === "object" && "start" in value) spans.push(value as Source);
    return value;
  });
  const inside = (point: Point): boolean => spans.some((span) => before(span.start, point) && before(point, span.end));
  const tree = parse(new VFile({ value: text })) as Root;
  const units: Node[] = [];
  for (const node of tree.children) {
    if (node.type === "yaml" || node.type === "thematicBreak" || node.type === "html" || node.type === "definition") continue;
    if (node.type === "heading" && node.depth === 1) continue;
    if (node.type === "list") units.push(...node.children);
    else if (node.type === "table") units.push(...node.children.slice(1));
    else units.push(node);
  }
  return units.filter((unit) => !inside(unit.position!.start)).map((unit) => unit.position!.start.line);
}

function before(a: Point, b: Point): boolean {
  return a.line < b.line || (a.line === b.line && a.column <= b.column);
}
