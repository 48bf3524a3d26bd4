/**
 * GitHub's own workflow parser (@actions/workflow-parser, from the Actions language services):
 * the schema, expressions and `needs` of a workflow, as line-numbered problems. The package
 * imports JSON without an import attribute, which plain Node refuses, so the build bundles it on
 * its own (dist/bin/workflow-parser.cjs, loaded only by this target); the tests load the package
 * through Vite.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import Module, { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { Script } from "node:vm";
import { findPackageRoot } from "../../compiler/package-root.js";
import type { TargetProblem } from "../../compiler/target.js";

type Parser = typeof import("@actions/workflow-parser");
let parser: Parser | undefined;

async function loadParser(): Promise<Parser> {
  if (parser) return parser;
  const root = findPackageRoot();
  const bundled = root === null ? null : join(root, "dist", "bin", "workflow-parser.cjs");
  parser = bundled !== null && existsSync(bundled) ? (requireCached(bundled) as Parser) : await import("@actions/workflow-parser");
  return parser;
}

/**
 * Require a CommonJS bundle through V8 with the code cache the build wrote beside it (as the CLI's
 * loader does for the CLI): 300 KB of parser need not be compiled on every compile.
 */
function requireCached(file: string): unknown {
  const cacheFile = `${file}.cache`;
  const cachedData = existsSync(cacheFile) ? readFileSync(cacheFile) : undefined;
  const script = new Script((Module as unknown as { wrap(source: string): string }).wrap(readFileSync(file, "utf8")), { filename: file, cachedData });
  if (process.env.SPECC_WRITE_CODE_CACHE === "1") process.once("exit", () => writeFileSync(cacheFile, script.createCachedData()));
  const module = { exports: {} as unknown };
  (script.runInThisContext() as (...args: unknown[]) => void)(module.exports, createRequire(file), module, file, dirname(file));
  return module.exports;
}

export async function parseActionsWorkflow(path: string, content: string): Promise<TargetProblem[]> {
  const { parseWorkflow, convertWorkflowTemplate, NoOperationTraceWriter } = await loadParser();
  const result = parseWorkflow({ name: path, content }, new NoOperationTraceWriter());
  if (result.value !== undefined) await convertWorkflowTemplate(result.context, result.value);
  return result.context.errors.getErrors().map((error: { message: string; range?: { start: { line: number } } }) => ({
    path,
    line: error.range ? error.range.start.line : null,
    message: `Unexpected workflow: ${error.message}`,
  }));
}
