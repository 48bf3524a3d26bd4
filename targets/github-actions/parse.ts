/**
 * GitHub's own workflow parser (@actions/workflow-parser, from the Actions language services):
 * the schema, expressions and `needs` of a workflow, as line-numbered problems.
 *
 * The package imports JSON without an import attribute, which plain Node refuses, so the build
 * bundles it on its own (dist/bin/workflow-parser.cjs, with a V8 code cache beside it). Loading and
 * first use cost about 90 ms, as much as the rest of a compile's emit and checks together, so
 * `prepareParser` starts it in a worker thread when a compile begins: it warms up on the second
 * core while the spec is parsed and realized, and `parseActionsWorkflow` then only sends it the
 * text. Without the bundle (the tests, from the sources) the parser runs in this thread.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { findPackageRoot } from "../../compiler/package-root.js";
import type { TargetProblem } from "../../compiler/target.js";

type Parser = typeof import("@actions/workflow-parser");
type Problem = { message: string; line: number | null };

/** The worker's program: load the bundled parser through the code cache, answer each text with its problems. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const { readFileSync, writeFileSync, existsSync } = require("node:fs");
const Module = require("node:module");
const { Script } = require("node:vm");
const { dirname } = require("node:path");
const file = workerData.bundle;
const cacheFile = file + ".cache";
const script = new Script(Module.wrap(readFileSync(file, "utf8")), { filename: file, cachedData: existsSync(cacheFile) ? readFileSync(cacheFile) : undefined });
const mod = { exports: {} };
script.runInThisContext()(mod.exports, Module.createRequire(file), mod, file, dirname(file));
const parser = mod.exports;
parentPort.on("message", async ({ id, path, content }) => {
  try {
    const result = parser.parseWorkflow({ name: path, content }, new parser.NoOperationTraceWriter());
    if (result.value !== undefined) await parser.convertWorkflowTemplate(result.context, result.value);
    const problems = result.context.errors.getErrors().map((error) => ({ message: error.message, line: error.range ? error.range.start.line : null }));
    if (workerData.writeCache) writeFileSync(cacheFile, script.createCachedData());
    parentPort.postMessage({ id, problems });
  } catch (error) {
    parentPort.postMessage({ id, error: String(error && error.message || error) });
  }
});
`;

let worker: Worker | null = null;
let nextId = 0;

/** The bundled parser's path, when the build made it. */
function bundledParser(): string | null {
  const root = findPackageRoot();
  const bundle = root === null ? null : join(root, "dist", "bin", "workflow-parser.cjs");
  return bundle !== null && existsSync(bundle) ? bundle : null;
}

/** Start the parser in a worker (once); a compile calls this before it parses the spec. */
export function prepareParser(): void {
  const bundle = bundledParser();
  if (worker !== null || bundle === null) return;
  worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { bundle, writeCache: process.env.SPECC_WRITE_CODE_CACHE === "1" } });
  // The worker must not keep the CLI alive once the compile is done.
  worker.unref();
}

export async function parseActionsWorkflow(path: string, content: string): Promise<TargetProblem[]> {
  prepareParser();
  const problems = worker !== null ? await viaWorker(worker, path, content) : await inThisThread(path, content);
  return problems.map((problem) => ({ path, line: problem.line, message: `Unexpected workflow: ${problem.message}` }));
}

function viaWorker(thread: Worker, path: string, content: string): Promise<Problem[]> {
  const id = nextId++;
  // Held while an answer is due, so the process waits for it; let go after, so it can exit.
  thread.ref();
  return new Promise<Problem[]>((resolve, reject) => {
    const onMessage = (message: { id: number; problems?: Problem[]; error?: string }): void => {
      if (message.id !== id) return;
      thread.off("message", onMessage);
      thread.off("error", reject);
      thread.unref();
      if (message.error !== undefined) reject(new Error(`GitHub's workflow parser failed: ${message.error}`));
      else resolve(message.problems ?? []);
    };
    thread.on("message", onMessage);
    thread.on("error", reject);
    thread.postMessage({ id, path, content });
  });
}

async function inThisThread(path: string, content: string): Promise<Problem[]> {
  const parser: Parser = await import("@actions/workflow-parser");
  const result = parser.parseWorkflow({ name: path, content }, new parser.NoOperationTraceWriter());
  if (result.value !== undefined) await parser.convertWorkflowTemplate(result.context, result.value);
  return result.context.errors.getErrors().map((error: { message: string; range?: { start: { line: number } } }) => ({ message: error.message, line: error.range ? error.range.start.line : null }));
}
