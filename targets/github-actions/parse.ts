/**
 * GitHub's own workflow parser (@actions/workflow-parser, from the Actions language services):
 * the schema, expressions and `needs` of a workflow, as line-numbered problems.
 *
 * The package imports JSON without an import attribute, which plain Node refuses, so the build
 * bundles it on its own (dist/bin/workflow-parser.cjs, with a V8 code cache beside it) and only a
 * compile for this target loads it. From the sources (the tests) the package is imported as is.
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

type Parser = typeof import("@actions/workflow-parser");
type Problem = { message: string; line: number | null };

/** The parser, once loaded: the bundle when the build made it, else the package. */
let loaded: { parser: Parser; bundled: boolean } | null = null;

export async function parseActionsWorkflow(path: string, content: string): Promise<TargetProblem[]> {
  loaded ??= loadBundled() ?? { parser: await import("@actions/workflow-parser"), bundled: false };
  const problems = loaded.bundled ? await withoutOptimizingTiers(() => problemsOf(loaded!.parser, path, content)) : await problemsOf(loaded.parser, path, content);
  return problems.map((problem) => ({ path, line: problem.line, message: `Unexpected workflow: ${problem.message}` }));
}

async function problemsOf(parser: Parser, path: string, content: string): Promise<Problem[]> {
  const result = parser.parseWorkflow({ name: path, content }, new parser.NoOperationTraceWriter());
  if (result.value !== undefined) await parser.convertWorkflowTemplate(result.context, result.value);
  return result.context.errors.getErrors().map((error: { message: string; range?: { start: { line: number } } }) => ({ message: error.message, line: error.range ? error.range.start.line : null }));
}

/** The bundled parser through its code cache, or null without a build. */
function loadBundled(): { parser: Parser; bundled: true } | null {
  const root = findPackageRoot();
  const file = root === null ? null : join(root, "dist", "bin", "workflow-parser.cjs");
  if (file === null || !existsSync(file)) return null;
  const cacheFile = `${file}.cache`;
  const script = new Script(Module.wrap(readFileSync(file, "utf8")), { filename: file, cachedData: existsSync(cacheFile) ? readFileSync(cacheFile) : undefined });
  // The build runs a compile with this set to write the cache after a representative parse.
  if (writingCodeCache()) process.once("exit", () => writeFileSync(cacheFile, script.createCachedData()));
  const bundle = { exports: {} as Parser };
  script.runInThisContext()(bundle.exports, Module.createRequire(file), bundle, file, dirname(file));
  return { parser: bundle.exports, bundled: true };
}

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
  if (writingCodeCache()) return parse();
  setFlagsFromString("--max-opt=1");
  try {
    return await parse();
  } finally {
    setFlagsFromString("--max-opt=999");
    setFlagsFromString("--turbofan");
  }
}
