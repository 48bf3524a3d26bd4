// Precomputes the declaration graph of the inlined runtime, so `specc compile` shakes it without
// parsing ~160 KB of JavaScript with acorn (see compiler/shake-runtime.ts). Run after tsc (the
// build calls it from scripts/bundle.mjs): it reads the compiled runtime exactly as inlineRuntime
// does and writes dist/runtime/shake-graph.json, each graph keyed by the SHA-256 of its text, so an
// edited runtime never meets a stale graph (it falls back to parsing instead).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/** The `parts` combinations shaken at compile time: the workflow script and the spend-guard hook. */
const SHAKEN_PARTS = [["core", "workflow"], ["core", "hook"]];

export async function writeShakeGraphs(root = fileURLToPath(new URL("..", import.meta.url))) {
  const load = (path) => import(pathToFileURL(join(root, path)).href);
  const [{ inlineRuntime }, shake] = await Promise.all([load("dist/compiler/inline-runtime.js"), load("dist/compiler/shake-runtime.js")]);
  const graphs = {};
  for (const parts of SHAKEN_PARTS) {
    const code = inlineRuntime(parts);
    graphs[shake.shakeGraphKey(code)] = { parts, length: code.length, ...shake.parseShakeGraph(code) };
  }
  const file = join(root, shake.SHAKE_GRAPH_PATH);
  writeFileSync(file, `${JSON.stringify({ format: shake.SHAKE_GRAPH_FORMAT, graphs })}\n`);
  return file;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await writeShakeGraphs();
