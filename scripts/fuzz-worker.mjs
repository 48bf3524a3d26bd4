// One fuzz worker (a worker_thread started by scripts/fuzz.mjs): runs each case the way the CLI's
// `check`, `ir` and `compile --target claude-code` would, against the built dist/, and classifies
// the outcome. Hangs are the parent's business: it terminates a worker that does not answer.
import { parentPort, workerData } from "node:worker_threads";
import { performance } from "node:perf_hooks";

// The build under test: this checkout's dist/ unless the parent names another (a snapshot, say).
const dist = workerData?.dist ? new URL(workerData.dist) : new URL("../dist/", import.meta.url);
const load = (path) => import(new URL(path, dist).href);

const [{ compile }, { formatMessages, messagesToJson }, { stableJson }, { SpeccError }, { loadProfile }, { TARGETS }, { validateWorkflow }, readSpec, { VFile }, { parse: parseJs }] = await Promise.all([
  load("compiler/compile.js"),
  load("compiler/diagnostics.js"),
  load("compiler/json.js"),
  load("compiler/errors.js"),
  load("compiler/load-profile.js"),
  load("targets/index.js"),
  load("targets/claude-code/validate-workflow.js"),
  load("compiler/read-spec.js"),
  import("vfile"),
  import("acorn"),
]);

const profile = undefined; // chosen from each spec's bindings, as the CLI does
const target = TARGETS["claude-code"];
const SHOWN = "fuzz.md";

/** The spec as readSpec would hand it over: strict UTF-8 decoding, BOM dropped, NUL refused. */
function toFile(text) {
  const value = typeof readSpec.decode === "function" ? readSpec.decode(Buffer.from(text, "utf8"), SHOWN) : text;
  return new VFile({ path: SHOWN, value });
}

// Spec text used as an object key leaks JavaScript into messages: "expected a function Object() { [native code] }".
const LEAKED = /\[native code\]|\[object Object\]|function \w*\(\) \{/;

/** What the CLI prints for `check` (text and --json) and `ir`: these must not throw either. */
function render(result) {
  const text = formatMessages(result.file, SHOWN);
  const leak = LEAKED.exec(text);
  if (leak) return `message leaks JavaScript: ${text.split("\n").find((line) => LEAKED.test(line))}`;
  stableJson(messagesToJson(result.file, SHOWN));
  if (result.ir) stableJson(result.ir);
  return null;
}

/** Problems in the printed files that the compile's own verify step did not report. */
async function outputProblems(result) {
  const problems = result.problems.map((problem) => `verify: ${problem.path}: ${problem.message}`);
  for (const file of result.files) {
    try {
      if (file.path.endsWith(".json")) JSON.parse(file.content);
      if (/\.m?js$/.test(file.path)) parseJs(file.content, { ecmaVersion: 2022, sourceType: "module", allowHashBang: true, allowReturnOutsideFunction: true, allowAwaitOutsideFunction: true });
    } catch (error) {
      problems.push(`${file.path}: ${error.message}`);
    }
    if (file.path.startsWith(".claude/workflows/")) {
      for (const problem of await validateWorkflow(file.path, file.content)) problems.push(`validate: ${file.path}: ${problem.message}`);
    }
  }
  return problems;
}

/** Mirrors describeFailure in cli/cli.ts: SpeccError is the user's, call stack is nesting, the rest is ours. */
function classifyError(error) {
  if (error instanceof SpeccError) return { kind: "ok", outcome: "user-error", detail: error.message };
  const detail = `${error?.name}: ${error?.message}\n${String(error?.stack ?? "").split("\n").slice(1, 9).join("\n")}`;
  if (error instanceof RangeError && /call stack/i.test(error.message)) return { kind: "stack-overflow", detail };
  return { kind: "crash", detail };
}

async function runCase(text) {
  try {
    const result = await compile(toFile(text), { target, profile, sourcePath: SHOWN, speccVersion: "fuzz" });
    const leaked = render(result);
    if (leaked) return { kind: "bad-output", detail: leaked };
    if (result.files.length === 0) return { kind: "ok", outcome: result.problems.length > 0 ? "rejected" : result.ir ? "errors" : "empty" };
    const problems = await outputProblems(result);
    if (problems.length > 0) return { kind: "bad-output", detail: problems.slice(0, 5).join("\n") };
    return { kind: "ok", outcome: "compiled" };
  } catch (error) {
    return classifyError(error);
  }
}

parentPort.on("message", async ({ id, text }) => {
  const start = performance.now();
  const outcome = await runCase(text);
  parentPort.postMessage({ id, ms: performance.now() - start, ...outcome });
});
parentPort.postMessage({ ready: true, worker: workerData?.index ?? 0 });
