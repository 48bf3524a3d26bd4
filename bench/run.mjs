// specc benchmarks: ratios against floors measured in the same run, never absolute thresholds.
// Run with `npm run bench` (it builds first). Prints a table and writes nothing else.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { syntheticSpec } from "./synthetic.mjs";
import { scaling } from "./scaling.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const bin = join(root, "dist/bin/specc.mjs");
const spec = join(root, "specs/ml-research.md");
const runs = Number(process.env.BENCH_RUNS ?? 15);
const scratch = mkdtempSync(join(tmpdir(), "specc-bench-"));

function timeProcess(argsOrMake) {
  const args = typeof argsOrMake === "function" ? argsOrMake() : argsOrMake;
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { cwd: root, encoding: "utf8" });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`${args.join(" ")} exited ${result.status}: ${result.stderr}`);
  return ms;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** Run each command `runs` times, interleaved so machine noise hits all of them alike. */
function sideBySide(commands) {
  const times = Object.fromEntries(Object.keys(commands).map((name) => [name, []]));
  for (const args of Object.values(commands)) timeProcess(args); // warm the file cache
  for (let run = 0; run < runs; run++) for (const [name, args] of Object.entries(commands)) times[name].push(timeProcess(args));
  return Object.fromEntries(Object.entries(times).map(([name, values]) => [name, median(values)]));
}

// A replay of the 13-step run: every agent answered from a recording, journaled in a fresh run
// directory each time (a run id is never reused).
const replay = process.env.BENCH_REPLAY ?? join(root, "examples/qwen2-capybara/run.jsonl");
let runs_ = 0;
const cold = sideBySide({
  node: [join(root, "bench/empty.mjs")],
  parse: [join(root, "bench/floor-parse.mjs"), spec],
  check: [bin, "check", spec],
  compile: [bin, "compile", spec, "--target", "claude-code", "--out", join(scratch, "out")],
  compileNode: [bin, "compile", spec, "--target", "node", "--out", join(scratch, "out-node")],
  compileActions: [bin, "compile", spec, "--target", "github-actions", "--out", join(scratch, "out-actions")],
  run: () => [bin, "run", spec, "--task", "Fine-tune Qwen/Qwen2-0.5B on trl-lib/Capybara with LoRA on HF Jobs (cost cap is 10 USD)", "--executor", `replay:${replay}`, "--run-dir", join(scratch, `runs-${runs_++}`)],
});

console.log(`cold process, median of ${runs} interleaved runs (ms):`);
console.log(`  bare node start                 ${cold.node.toFixed(0)}`);
console.log(`  floor: unified+remark-parse     ${cold.parse.toFixed(0)}`);
console.log(`  specc check ml-research.md      ${cold.check.toFixed(0)}   ratio to floor ${(cold.check / cold.parse).toFixed(2)}x (target <= 1.30x)`);
console.log(`  specc compile --target claude   ${cold.compile.toFixed(0)}   ratio to floor ${(cold.compile / cold.parse).toFixed(2)}x (target <= 1.50x)`);
console.log(`  specc compile --target node     ${cold.compileNode.toFixed(0)}   ratio to floor ${(cold.compileNode / cold.parse).toFixed(2)}x (target <= 1.50x)`);
console.log(`  specc compile --target github-a  ${cold.compileActions.toFixed(0)}   ratio to floor ${(cold.compileActions / cold.parse).toFixed(2)}x (target <= 1.50x; includes GitHub's workflow parser on the output)`);
console.log(`  specc run (13-step replay)      ${cold.run.toFixed(0)}   ratio to floor ${(cold.run / cold.parse).toFixed(2)}x (target < 2.00x)`);

// Compile time per phase, in one process (warm), for synthetic specs.
const { compile } = await import(join(root, "dist/compiler/compile.js"));
const { loadProfile } = await import(join(root, "dist/compiler/load-profile.js"));
const { TARGETS } = await import(join(root, "dist/targets/index.js"));
const { VFile } = await import("vfile");
const profile = undefined; // chosen from each spec's bindings, as the CLI does
console.log("\ncompile() in process, warm, synthetic specs (median of 5):");
const perSize = [];
for (const phases of [10, 100, 1000]) {
  const value = syntheticSpec(phases);
  const once = async () => {
    const started = process.hrtime.bigint();
    const result = await compile(new VFile({ path: "synthetic.md", value }), { target: TARGETS["claude-code"], profile, sourcePath: "synthetic.md", speccVersion: "bench" });
    if (result.files.length === 0 || result.problems.length > 0) throw new Error("synthetic spec did not compile cleanly");
    return Number(process.hrtime.bigint() - started) / 1e6;
  };
  await once();
  const samples = [];
  for (let i = 0; i < 5; i++) samples.push(await once());
  perSize.push({ phases, ms: median(samples) });
}
// Per phase = the marginal cost between sizes, so the fixed cost of a compile does not hide growth.
for (const [index, { phases, ms }] of perSize.entries()) {
  const previous = perSize[index - 1];
  const marginal = previous ? ((ms - previous.ms) / (phases - previous.phases)) * 1000 : null;
  console.log(`  ${String(phases).padStart(5)} phases  ${ms.toFixed(1).padStart(8)} ms${marginal === null ? "" : `   ${marginal.toFixed(0).padStart(5)} us per added phase`}`);
}
const [small, mid, large] = perSize;
const growth = ((large.ms - mid.ms) / 900) / ((mid.ms - small.ms) / 90);
console.log(`  per-phase cost 100→1000 vs 10→100: ${growth.toFixed(2)}x (flat is ~1x); 1000 phases ${large.ms < 1000 ? "under" : "OVER"} 1 s`);

await scaling();

// Runtime: one repetition check at window 30, one journal append.
const runtime = await import(join(root, "dist/runtime/index.js"));
const signatures = Array.from({ length: 30 }, (_, i) => runtime.actionSignature({ name: "poll", args: { job: 1 }, result: { step: i } }));
const iterations = 20000;
let start = process.hrtime.bigint();
for (let i = 0; i < iterations; i++) runtime.checkRepetition(signatures);
const guardUs = Number(process.hrtime.bigint() - start) / 1e3 / iterations;
start = process.hrtime.bigint();
for (let i = 0; i < iterations; i++) runtime.actionSignature({ name: "poll", args: { job: i }, result: { status: "RUNNING", step: i } });
const signatureUs = Number(process.hrtime.bigint() - start) / 1e3 / iterations;
const journal = runtime.openJournal(join(scratch, "journal.jsonl"));
const appends = 2000;
start = process.hrtime.bigint();
for (let i = 0; i < appends; i++) journal.append({ type: "step-started", step: `s${i}` });
const appendUs = Number(process.hrtime.bigint() - start) / 1e3 / appends;
journal.close?.();
console.log("\nruntime:");
console.log(`  checkRepetition, window 30      ${guardUs.toFixed(2)} us/check`);
console.log(`  actionSignature                 ${signatureUs.toFixed(2)} us/signature`);
console.log(`  journal append (write + fsync)  ${appendUs.toFixed(1)} us/append`);
rmSync(scratch, { recursive: true, force: true });
