/**
 * GitHub's own workflow parser (@actions/workflow-parser, from the Actions language services):
 * the schema, expressions and `needs` of a workflow, as line-numbered problems.
 *
 * The package imports JSON without an import attribute, which plain Node refuses, so the build
 * bundles it on its own (dist/bin/workflow-parser.cjs from parser-entry.ts, with a V8 code cache
 * beside it) and only a compile for this target loads it, with the workflow schema rebuilt from the
 * copy the build saved (workflow-schema.json, schema-copy.ts). From the sources (the tests) the
 * package is imported as is and loads its schema itself.
 *
 * One parse of a workflow is all a compile does with it, and on code that cold V8's optimizing
 * compiler costs more than it saves: compiling, then throwing away, optimized code for functions
 * that run a few hundred times. So the bundled parser runs with the optimizing tiers off (the
 * interpreter and the baseline compiler only), which halves its time on the canonical workflow
 * (`npm run bench`). A worker thread was tried first: its start-up and its own
 * small heap's collections cost more than the parse, on the same two cores.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import Module from "node:module";
import { dirname, join } from "node:path";
import { setFlagsFromString } from "node:v8";
import { Script } from "node:vm";
import { findPackageRoot } from "../../compiler/package-root.js";
import type { TargetProblem } from "../../compiler/target.js";
import type { TemplateSchema } from "@actions/workflow-parser/templates/schema/template-schema";
import { reviveSchema } from "./schema-copy.js";

type Parser = typeof import("./parser-entry.js");
type Problem = { message: string; line: number | null };
type Loaded = { parser: Parser; schema: TemplateSchema; bundled: boolean };

/** The parser and its schema, once loaded: the bundle when the build made it, else the package. */
let loaded: Loaded | null = null;

export async function parseActionsWorkflow(path: string, content: string): Promise<TargetProblem[]> {
  loaded ??= loadBundled() ?? (await loadPackage());
  const { parser, schema, bundled } = loaded;
  const problems = bundled ? await withoutOptimizingTiers(() => problemsOf(parser, schema, path, content)) : await problemsOf(parser, schema, path, content);
  return problems.map((problem) => ({ path, line: problem.line, message: `Unexpected workflow: ${problem.message}` }));
}

/** GitHub's parser on one file, in the context its `parseWorkflow` would make, with the given schema. */
export async function problemsOf(parser: Parser, schema: TemplateSchema, path: string, content: string): Promise<Problem[]> {
  const context = new parser.TemplateContext(new parser.TemplateValidationErrors(), schema, new parser.NoOperationTraceWriter());
  const result = parser.parseWorkflow({ name: path, content }, context);
  if (result.value !== undefined) await parser.convertWorkflowTemplate(result.context, result.value);
  return result.context.errors.getErrors().map((error: { message: string; range?: { start: { line: number } } }) => ({ message: error.message, line: error.range ? error.range.start.line : null }));
}

async function loadPackage(): Promise<Loaded> {
  const parser = await import("./parser-entry.js");
  return { parser, schema: parser.getWorkflowSchema(), bundled: false };
}

/** The bundled parser through its code cache, with the schema from its copy, or null without a build. */
function loadBundled(): Loaded | null {
  const root = findPackageRoot();
  const file = root === null ? null : join(root, "dist", "bin", "workflow-parser.cjs");
  if (file === null || !existsSync(file)) return null;
  const cacheFile = `${file}.cache`;
  const script = new Script(Module.wrap(readFileSync(file, "utf8")), { filename: file, cachedData: existsSync(cacheFile) ? readFileSync(cacheFile) : undefined });
  // The build runs a compile with this set to write the cache after a representative parse.
  if (writingCodeCache()) process.once("exit", () => writeFileSync(cacheFile, script.createCachedData()));
  const bundle = { exports: {} as Parser };
  script.runInThisContext()(bundle.exports, Module.createRequire(file), bundle, file, dirname(file));
  const parser = bundle.exports;
  const copy = join(dirname(file), SCHEMA_COPY);
  return { parser, schema: existsSync(copy) ? reviveSchema(parser, readFileSync(copy, "utf8")) : parser.getWorkflowSchema(), bundled: true };
}

/** The schema copy's file, beside the bundle (scripts/bundle.mjs writes it). */
export const SCHEMA_COPY = "workflow-schema.json";

function writingCodeCache(): boolean {
  return process.env.SPECC_WRITE_CODE_CACHE === "1";
}

/**
 * Run `parse` with V8's optimizing tiers off, then turn them back on. V8's flags are per process and
 * V8 refuses a code cache written under other flags, so nothing is changed while the build writes
 * the caches. (`--max-opt=1` also turns TurboFan off, hence the second flag; on Node versions whose
 * V8 runs Maglev by default, Maglev stays off for the rest of the process, which costs time only.)
 */
async function withoutOptimizingTiers<T>(parse: () => Promise<T>): Promise<T> {
  // V8 prints an error for a flag it does not know: only on the versions (Node 20 to 24) that have them.
  const v8Major = Number(process.versions.v8.split(".")[0]);
  if (writingCodeCache() || v8Major < 11 || v8Major > 13) return parse();
  setFlagsFromString("--max-opt=1");
  try {
    return await parse();
  } finally {
    setFlagsFromString("--max-opt=999");
    setFlagsFromString("--turbofan");
  }
}
