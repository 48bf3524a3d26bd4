// Seeded mutation fuzzer: mutates the bundled specs and fixtures (test/fuzz/mutate.ts) and runs
// each case through check and compile against the built dist/, in a pool of worker threads with a
// hard wall-clock limit per case.
//
//   node scripts/fuzz.mjs [--cases 20000] [--seed 1] [--out .fuzz] [--workers 2]
//   node scripts/fuzz.mjs --seed 1 --case 42                 (rerun one case, written to <out>/case-1-42.md)
//   node scripts/fuzz.mjs --shrink .fuzz/crash-1-42.md      (delta-debug one case down by lines)
//
// Exit 1 when any case crashed, overflowed the stack, hung, took over the slow threshold or
// produced output that does not parse. Failing inputs go to <out>/<kind>-<seed>-<n>.md.
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { Worker } from "node:worker_threads";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const WORKER = new URL("./fuzz-worker.mjs", import.meta.url);
export const FAILURE_KINDS = ["crash", "stack-overflow", "hang", "slow", "bad-output"];

/** The seed specs: bundled specs, the corpus (when present) and every fixture, sorted for determinism. */
export function loadSeeds(root = ROOT) {
  const found = [];
  const walk = (dir, weight) => {
    if (!existsSync(join(root, dir))) return;
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory()) walk(path, weight);
      else if (entry.name.endsWith(".md")) found.push({ name: path, text: readFileSync(join(root, path), "utf8"), weight });
    }
  };
  // Full specs reach every section (contract, bindings, phases); fixtures mostly reach one.
  walk("specs", 6);
  walk("test/corpus", 2);
  walk("test/fixtures", 1);
  return found;
}

/** test/fuzz/mutate.ts without a TS loader: Node 20 cannot strip types, rolldown (a dev dependency) can. */
export async function loadMutate() {
  const { transformSync } = await import("rolldown/experimental");
  const path = join(ROOT, "test/fuzz/mutate.ts");
  const { code, errors } = transformSync(path, readFileSync(path, "utf8"), { lang: "ts" });
  if (errors?.length) throw new Error(`cannot transpile ${path}: ${errors.map((error) => error.message).join("; ")}`);
  // A file, not a data: URL, so stack traces stay readable.
  const dir = mkdtempSync(join(tmpdir(), "specc-fuzz-"));
  writeFileSync(join(dir, "mutate.mjs"), code);
  return import(pathToFileURL(join(dir, "mutate.mjs")).href);
}

/**
 * A worker that runs one case at a time. A case still running after `timeoutMs` is a hang: the
 * worker is terminated (V8 interrupts even a tight loop) and the caller gets a fresh one. The stack
 * is capped near the main thread's ~1 MB so overflows show up as they would in the CLI.
 */
class Runner {
  constructor(index, timeoutMs, dist) {
    this.index = index;
    this.timeoutMs = timeoutMs;
    this.dist = dist;
  }

  async start() {
    this.worker = new Worker(WORKER, { workerData: { index: this.index, dist: this.dist }, resourceLimits: { stackSizeMB: 1, maxOldGenerationSizeMb: 1024 }, stdout: true, stderr: true });
    this.worker.unref();
    // Discard what the compiler prints (nothing, normally): an unread pipe would only buffer.
    this.worker.stdout.resume();
    this.worker.stderr.resume();
    await new Promise((resolve, reject) => {
      this.worker.once("message", resolve);
      this.worker.once("error", reject);
    });
  }

  /** Run one case; resolves with the worker's verdict, or a hang/crash decided here. */
  run(text) {
    return new Promise((resolve) => {
      const worker = this.worker;
      const settle = (outcome) => {
        clearTimeout(timer);
        worker.removeAllListeners("message");
        worker.removeAllListeners("error");
        worker.removeAllListeners("exit");
        resolve(outcome);
      };
      const timer = setTimeout(() => {
        this.dead = true;
        void worker.terminate();
        settle({ kind: "hang", ms: this.timeoutMs, detail: `still running after ${this.timeoutMs} ms` });
      }, this.timeoutMs);
      worker.on("message", (message) => settle(message));
      // Out of memory, or a crash outside the case's try (a worker that exits on its own).
      worker.on("error", (error) => {
        this.dead = true;
        settle({ kind: "crash", ms: 0, detail: `worker error: ${error?.code ?? ""} ${error?.message}` });
      });
      worker.on("exit", (code) => {
        this.dead = true;
        settle({ kind: "crash", ms: 0, detail: `worker exited with code ${code}` });
      });
      worker.postMessage({ id: 0, text });
    });
  }

  /** Run a case, restarting the worker first if the previous case killed it. */
  async runCase(text) {
    if (this.dead || !this.worker) {
      if (this.worker) await this.worker.terminate();
      this.dead = false;
      await this.start();
    }
    return this.run(text);
  }

  stop() {
    return this.worker?.terminate();
  }
}

/** A slow case is one that finished but took longer than the threshold. */
function finalKind(outcome, slowMs) {
  return outcome.kind === "ok" && outcome.ms > slowMs ? "slow" : outcome.kind;
}

function describe(outcome, kind) {
  return kind === "slow" ? `${Math.round(outcome.ms)} ms (${outcome.outcome})` : (outcome.detail ?? "");
}

/**
 * Run `cases` cases of run `seed` in a pool of `workers` threads. `makeCase` defaults to
 * test/fuzz/mutate.ts; returns counts per class, the failures and the slowest cases.
 */
export async function runFuzz({ cases = 20000, seed = 1, workers = 2, timeoutMs = 5000, slowMs = 2000, out = null, makeCase = null, seeds = loadSeeds(), onProgress = null, dist = null, only = null } = {}) {
  const make = makeCase ?? (await loadMutate()).makeCase;
  const pool = Array.from({ length: workers }, (_, index) => new Runner(index, timeoutMs, dist));
  const counts = Object.fromEntries(["ok", ...FAILURE_KINDS].map((kind) => [kind, 0]));
  const outcomes = {};
  const failures = [];
  const timings = [];
  const indices = only ?? Array.from({ length: cases }, (_, index) => index);
  let next = 0;
  if (out) mkdirSync(out, { recursive: true });
  const work = async (runner) => {
    while (next < indices.length) {
      const index = indices[next++];
      const testCase = make(seeds, seed, index);
      if (out && only) writeFileSync(join(out, `case-${seed}-${index}.md`), testCase.text);
      const outcome = await runner.runCase(testCase.text);
      const kind = finalKind(outcome, slowMs);
      counts[kind]++;
      if (outcome.outcome) outcomes[outcome.outcome] = (outcomes[outcome.outcome] ?? 0) + 1;
      timings.push({ index, ms: outcome.ms, seed: testCase.seed, ops: testCase.ops });
      if (kind !== "ok") {
        const failure = { kind, index, ms: Math.round(outcome.ms), seed: testCase.seed, ops: testCase.ops, detail: describe(outcome, kind) };
        failures.push(failure);
        if (out) writeFileSync(join(out, `${kind}-${seed}-${index}.md`), testCase.text);
      }
      onProgress?.(counts, index);
    }
  };
  try {
    await Promise.all(pool.map(work));
  } finally {
    await Promise.all(pool.map((runner) => runner.stop()));
  }
  failures.sort((a, b) => a.index - b.index);
  const slowest = timings.sort((a, b) => b.ms - a.ms).slice(0, 10);
  if (out) writeFileSync(join(out, "summary.json"), `${JSON.stringify({ seed, cases, counts, outcomes, failures, slowest }, null, 2)}\n`);
  return { counts, outcomes, failures, slowest };
}

/**
 * Delta-debug `text` by lines (ddmin): the smallest set of lines that still fails the same way
 * (same class and, for exceptions, the same first stack frame).
 */
export async function shrink(text, { timeoutMs = 5000, slowMs = 2000, dist = null } = {}) {
  const runner = new Runner(0, timeoutMs, dist);
  const signature = (outcome) => `${finalKind(outcome, slowMs)} ${(outcome.detail ?? "").split("\n").slice(0, 2).join(" ").replace(/:\d+:\d+\)/g, ")")}`;
  try {
    const want = signature(await runner.runCase(text));
    if (want.startsWith("ok")) return { text, kind: "ok", detail: "" };
    let lines = text.split("\n");
    let chunks = 2;
    while (lines.length >= 2) {
      const size = Math.ceil(lines.length / chunks);
      let reduced = false;
      for (let start = 0; start < lines.length; start += size) {
        const candidate = [...lines.slice(0, start), ...lines.slice(start + size)];
        if (signature(await runner.runCase(candidate.join("\n"))) === want) {
          lines = candidate;
          chunks = Math.max(chunks - 1, 2);
          reduced = true;
          break;
        }
      }
      if (!reduced) {
        if (size === 1) break;
        chunks = Math.min(chunks * 2, lines.length);
      }
    }
    return { text: lines.join("\n"), kind: want.split(" ")[0], detail: want };
  } finally {
    await runner.stop();
  }
}

function printReport({ counts, outcomes, failures, slowest }, { cases, seed }) {
  console.log(`fuzz: ${cases} cases, seed ${seed}`);
  for (const [kind, count] of Object.entries(counts)) console.log(`  ${kind.padEnd(15)} ${count}`);
  console.log(`  ok outcomes: ${Object.entries(outcomes).map(([name, count]) => `${name} ${count}`).join(", ")}`);
  console.log("slowest:");
  for (const entry of slowest) console.log(`  #${entry.index} ${Math.round(entry.ms)} ms (${entry.seed}: ${entry.ops.join(", ")})`);
  const byDetail = new Map();
  for (const failure of failures) {
    const key = failure.kind === "slow" ? "slow: over the threshold" : `${failure.kind}: ${failure.detail.split("\n").slice(0, 2).join(" | ").replace(/file:\/\/\S*\/dist\//g, "dist/")}`;
    byDetail.set(key, [...(byDetail.get(key) ?? []), failure.index]);
  }
  if (byDetail.size > 0) console.log("failures, grouped:");
  for (const [key, indices] of byDetail) console.log(`  ${indices.length}× ${key}\n     cases ${indices.slice(0, 8).join(", ")}${indices.length > 8 ? ", …" : ""}`);
}

async function main() {
  const { values } = parseArgs({
    options: {
      cases: { type: "string", default: "20000" },
      seed: { type: "string", default: "1" },
      out: { type: "string", default: ".fuzz" },
      workers: { type: "string", default: "2" },
      timeout: { type: "string", default: "5000" },
      slow: { type: "string", default: "2000" },
      shrink: { type: "string" },
      dist: { type: "string" },
      case: { type: "string" },
    },
  });
  const timeoutMs = Number(values.timeout);
  const slowMs = Number(values.slow);
  const dist = values.dist ? pathToFileURL(`${values.dist.replace(/\/$/, "")}/`).href : null;
  if (values.shrink) {
    const result = await shrink(readFileSync(values.shrink, "utf8"), { timeoutMs, slowMs, dist });
    const path = values.shrink.replace(/\.md$/, ".min.md");
    writeFileSync(path, result.text);
    console.log(`${result.kind}: ${result.text.split("\n").length} lines → ${path}\n${result.detail}`);
    return result.kind === "ok" ? 0 : 1;
  }
  const only = values.case === undefined ? null : [Number(values.case)];
  const cases = only ? 1 : Number(values.cases);
  const seed = Number(values.seed);
  const started = Date.now();
  const onProgress = (counts, index) => {
    if (process.stderr.isTTY && index % 100 === 0) process.stderr.write(`\r${index}/${cases} ${JSON.stringify(counts)}`);
  };
  const result = await runFuzz({ cases, seed, workers: Number(values.workers), timeoutMs, slowMs, out: values.out, onProgress, dist, only });
  if (process.stderr.isTTY) process.stderr.write("\n");
  printReport(result, { cases, seed });
  console.log(`${((Date.now() - started) / 1000).toFixed(1)} s; failing inputs in ${values.out}/`);
  return result.failures.length > 0 ? 1 : 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = await main();
