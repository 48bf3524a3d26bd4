import type { Node } from "acorn";
import { createRequire } from "node:module";
import { Script } from "node:vm";
import { forbiddenConstructs } from "../../compiler/inline-runtime.js";

/** A problem found in generated output by the target's own rules. */
export interface OutputProblem {
  path: string;
  line: number | null;
  message: string;
}

interface AnyNode extends Node {
  [key: string]: unknown;
}

const PURE_LITERAL = new Set(["ObjectExpression", "ArrayExpression", "Literal", "Property", "TemplateLiteral", "TemplateElement"]);

/**
 * Check a workflow script the way Claude Code does (claude-code-formats §1.3–1.5): plain
 * JavaScript, `meta` first and a pure literal, no module loading, clock or randomness, and
 * `meta.phases` titles equal to the `phase()` calls, in order.
 */
export async function validateWorkflow(path: string, source: string): Promise<OutputProblem[]> {
  // Loaded on use (tests), through require: the CLI bundle has no dynamic import (scripts/bundle.mjs).
  const load = createRequire(import.meta.url);
  const { parse } = load("acorn") as typeof import("acorn");
  const { full } = load("acorn-walk") as typeof import("acorn-walk");
  const problems: OutputProblem[] = [];
  const report = (node: Node | null, message: string): void => {
    problems.push({ path, line: node ? lineOf(source, node.start) : null, message });
  };
  let program: AnyNode;
  try {
    program = parse(source, { ecmaVersion: 2022, sourceType: "module", allowReturnOutsideFunction: true, allowAwaitOutsideFunction: true }) as unknown as AnyNode;
  } catch (error) {
    return [{ path, line: null, message: `Unexpected syntax: ${(error as Error).message}` }];
  }
  const body = program.body as AnyNode[];
  const metaValue = metaOf(body[0]);
  if (!metaValue) report(body[0] ?? null, "Unexpected first statement, expected `export const meta = { … }`");
  const metaTitles = metaValue ? checkMeta(metaValue, path, report) : [];
  const calls: string[] = [];
  full(program, (node) => {
    const n = node as AnyNode;
    if (n.type === "ImportExpression" || n.type === "ImportDeclaration") report(n, "Unexpected module loading, expected none");
    if (n.type === "ExportNamedDeclaration" && n !== body[0]) report(n, "Unexpected export, expected only `meta`");
    if (n.type === "CallExpression") {
      const callee = n.callee as AnyNode;
      if (isMember(callee, "Date", "now") || isMember(callee, "Math", "random")) report(n, "Unexpected clock or randomness, expected none (it breaks resume)");
      if (callee.type === "Identifier" && callee.name === "require") report(n, "Unexpected require(), expected none");
      if (callee.type === "Identifier" && callee.name === "phase") calls.push(phaseTitle(n, report));
    }
    if (n.type === "NewExpression" && (n.callee as AnyNode).type === "Identifier" && (n.callee as AnyNode).name === "Date" && (n.arguments as unknown[]).length === 0) {
      report(n, "Unexpected `new Date()`, expected none (it breaks resume)");
    }
  });
  if (metaValue && JSON.stringify(metaTitles) !== JSON.stringify(calls)) {
    report(null, `Unexpected phase() titles ${JSON.stringify(calls)}, expected meta.phases titles ${JSON.stringify(metaTitles)}`);
  }
  return problems;
}

function metaOf(statement: AnyNode | undefined): AnyNode | null {
  if (statement?.type !== "ExportNamedDeclaration") return null;
  const declaration = statement.declaration as AnyNode | null;
  if (declaration?.type !== "VariableDeclaration" || declaration.kind !== "const") return null;
  const [declarator] = declaration.declarations as AnyNode[];
  if ((declarator?.id as AnyNode)?.name !== "meta") return null;
  return (declarator.init as AnyNode) ?? null;
}

function checkMeta(value: AnyNode, path: string, report: (node: Node | null, message: string) => void): string[] {
  const impure = findImpure(value);
  if (impure) report(impure, `Unexpected ${impure.type} in meta, expected a pure literal`);
  const meta = impure ? null : (literalValue(value) as { name?: unknown; description?: unknown; phases?: { title?: unknown }[] });
  if (!meta) return [];
  const base = path.split("/").pop()!.replace(/\.js$/, "");
  if (meta.name !== base) report(value, `Unexpected meta.name ${JSON.stringify(meta.name)}, expected ${JSON.stringify(base)} (the file name)`);
  if (typeof meta.description !== "string" || meta.description.includes("\n")) report(value, "Unexpected meta.description, expected one line of text");
  return (meta.phases ?? []).map((phase) => String(phase.title));
}

function findImpure(node: AnyNode): AnyNode | null {
  if (!PURE_LITERAL.has(node.type)) return node;
  if (node.type === "TemplateLiteral" && (node.expressions as unknown[]).length > 0) return node;
  if (node.type === "Property" && (node.computed || node.method || node.kind !== "init")) return node;
  for (const child of childrenOf(node)) {
    const found = findImpure(child);
    if (found) return found;
  }
  return null;
}

function childrenOf(node: AnyNode): AnyNode[] {
  if (node.type === "ObjectExpression") return (node.properties as AnyNode[]).map((p) => (p.type === "Property" ? (p.value as AnyNode) : p));
  if (node.type === "ArrayExpression") return (node.elements as AnyNode[]).filter(Boolean);
  return [];
}

function literalValue(node: AnyNode): unknown {
  if (node.type === "Literal") return node.value;
  if (node.type === "TemplateLiteral") return ((node.quasis as AnyNode[])[0].value as { cooked: string }).cooked;
  if (node.type === "ArrayExpression") return (node.elements as AnyNode[]).map(literalValue);
  const object: Record<string, unknown> = {};
  for (const property of node.properties as AnyNode[]) {
    const key = property.key as AnyNode;
    // defineProperty: a `"__proto__"` key (a parameter named in the spec) must stay an own key.
    Object.defineProperty(object, String(key.type === "Identifier" ? key.name : key.value), { value: literalValue(property.value as AnyNode), enumerable: true, writable: true, configurable: true });
  }
  return object;
}

function isMember(node: AnyNode, object: string, property: string): boolean {
  return node.type === "MemberExpression" && (node.object as AnyNode).type === "Identifier" && (node.object as AnyNode).name === object && ((node.property as AnyNode).name === property || (node.property as AnyNode).value === property);
}

function phaseTitle(call: AnyNode, report: (node: Node | null, message: string) => void): string {
  const [argument] = call.arguments as AnyNode[];
  if (argument?.type !== "Literal" || typeof argument.value !== "string") {
    report(call, "Unexpected phase() argument, expected a string literal");
    return "";
  }
  return argument.value;
}

function lineOf(source: string, offset: number): number {
  let line = 1;
  for (let index = 0; index < offset; index++) if (source.charCodeAt(index) === 10) line++;
  return line;
}

/**
 * The compile-time check: V8's own parser (via `vm.Script`, which compiles but never runs) on the
 * script wrapped the way the runtime wraps it, the forbidden constructs, and `meta.phases` against
 * the `phase()` calls. The full AST check (`validateWorkflow`) runs in the test suite; this one is
 * cheap enough for every compile.
 */
export async function quickCheckWorkflow(path: string, source: string): Promise<OutputProblem[]> {
  const problems: OutputProblem[] = [];
  if (!source.startsWith("export const meta = {")) problems.push({ path, line: 1, message: "Unexpected first statement, expected `export const meta = { … }`" });
  const wrapped = `(async function (agent, parallel, pipeline, phase, log, args, budget, workflow) {\n${source.replace(/^export const meta = /m, "const meta = ")}\n})`;
  try {
    new Script(wrapped, { filename: path });
  } catch (error) {
    problems.push({ path, line: null, message: `Unexpected syntax: ${(error as Error).message}` });
  }
  for (const { index, name } of forbiddenConstructs(source)) {
    problems.push({ path, line: lineOf(source, index), message: `Unexpected ${name}, expected none` });
  }
  const metaEnd = source.indexOf("\n};\n");
  const titles = [...source.slice(0, metaEnd).matchAll(/^ {4}\{ title: ("(?:[^"\\]|\\.)*"),/gm)].map((match) => JSON.parse(match[1]) as string);
  const calls = [...source.matchAll(/^ *phase\(("(?:[^"\\]|\\.)*")\);$/gm)].map((match) => JSON.parse(match[1]) as string);
  if (JSON.stringify(titles) !== JSON.stringify(calls)) {
    problems.push({ path, line: null, message: `Unexpected phase() titles ${JSON.stringify(calls)}, expected meta.phases titles ${JSON.stringify(titles)}` });
  }
  return problems;
}
