// Scaling: per-phase cost of parse alone and of analyze (parse + lower + check), in process,
// for synthetic specs of 100, 1,000 and 10,000 phases. Flat per-phase cost means linear time.
// Run alone with `node bench/scaling.mjs` after a build, or as part of `npm run bench`.
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { syntheticSpec } from "./synthetic.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** Median ms of `runs` calls of `work`, after one warm-up call. */
function timed(work, runs) {
  work();
  const samples = [];
  for (let run = 0; run < runs; run++) {
    const started = process.hrtime.bigint();
    work();
    samples.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  return median(samples);
}

export async function scaling() {
  const { parse } = await import(pathToFileURL(join(root, "dist/compiler/parse.js")).href);
  const { analyze } = await import(pathToFileURL(join(root, "dist/compiler/analyze.js")).href);
  const { VFile } = await import("vfile");
  console.log("\nscaling, in process, warm (median of 5; 3 at 10,000 phases); rules = phases / 10:");
  const rows = [];
  for (const phases of [100, 1000, 10000]) {
    const value = syntheticSpec(phases, { rules: Math.max(1, phases / 10) });
    const runs = phases >= 10000 ? 3 : 5;
    const parseMs = timed(() => parse(new VFile({ path: "synthetic.md", value })), runs);
    let errors = 0;
    const analyzeMs = timed(() => {
      const { file } = analyze(new VFile({ path: "synthetic.md", value }));
      errors = file.messages.filter((message) => message.fatal === true).length;
    }, runs);
    rows.push({ phases, parseMs, analyzeMs });
    const perPhase = (ms) => `${((ms / phases) * 1000).toFixed(0).padStart(5)} us/phase`;
    console.log(`  ${String(phases).padStart(6)} phases  parse ${parseMs.toFixed(0).padStart(6)} ms ${perPhase(parseMs)}   analyze ${analyzeMs.toFixed(0).padStart(6)} ms ${perPhase(analyzeMs)}${errors ? `   (${errors} errors)` : ""}`);
  }
  const first = rows[0];
  const last = rows.at(-1);
  const ratio = (key) => ((last[key] / last.phases) / (first[key] / first.phases)).toFixed(2);
  console.log(`  per-phase cost at ${last.phases} vs ${first.phases} phases: parse ${ratio("parseMs")}x, analyze ${ratio("analyzeMs")}x (target <= 1.30x)`);
  console.log(`  ${last.phases} phases analyze in ${(last.analyzeMs / 1000).toFixed(1)} s (target < 5 s)`);
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) await scaling();
