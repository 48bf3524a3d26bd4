// Bundles the CLI with rolldown into one CommonJS file, dist/bin/specc.cjs, started by a small ESM
// loader, dist/bin/specc.mjs (scripts/cli-loader.mjs), that hands V8 a code cache written here.
// An ESM package tree of ~300 small modules costs more to resolve and load than to run, and
// compiling one 600 KB file costs more than reading its cache (see bench/). Heavy, rarely used
// dependencies (acorn for the tests' full check) stay outside the bundle, loaded with require.
import { rolldown } from "rolldown";
import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { writeShakeGraphs } from "./shake-graph.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const bin = `${root}dist/bin`;
// The inlined runtime's declaration graph, precomputed so compile need not parse it.
await writeShakeGraphs(root);
// Files an earlier build wrote and this one does not would linger and ship in the package.
rmSync(bin, { recursive: true, force: true });
const bundle = await rolldown({
  input: { specc: `${root}dist/cli/bin.js` },
  platform: "node",
  logLevel: "warn",
  // GitHub's workflow parser (300 KB) is only for --target github-actions: bundled on its own below
  // and loaded from there; the tests, from the sources, import it through parser-entry.js.
  external: [/^@actions\/workflow-parser(\/|$)/, /\/parser-entry\.js$/],
});
await bundle.write({ dir: bin, format: "cjs", entryFileNames: "[name].cjs", codeSplitting: false, minify: true });
await bundle.close();
// The parser imports its JSON schema without an import attribute, which plain Node refuses; a
// bundle of it loads with require (targets/github-actions/parse.ts). Beside it, the workflow schema
// it loads, saved as data a compile rebuilds in one JSON.parse (targets/github-actions/schema-copy.ts).
const parser = await rolldown({ input: { "workflow-parser": `${root}dist/targets/github-actions/parser-entry.js` }, platform: "node", logLevel: "warn", cwd: root });
await parser.write({ dir: bin, format: "cjs", entryFileNames: "[name].cjs", codeSplitting: false, minify: true });
await parser.close();
{
  const { copySchema } = await import(`${root}dist/targets/github-actions/schema-copy.js`);
  const { SCHEMA_COPY } = await import(`${root}dist/targets/github-actions/parse.js`);
  const bundled = createRequire(import.meta.url)(`${bin}/workflow-parser.cjs`);
  writeFileSync(`${bin}/${SCHEMA_COPY}`, copySchema(bundled, bundled.getWorkflowSchema()));
}
copyFileSync(`${root}scripts/cli-loader.mjs`, `${bin}/specc.mjs`);
// The package's bin: npm links it before `prepare` has built it, so it must be made executable here
// (`npx specc` on a fresh clone runs it directly).
chmodSync(`${bin}/specc.mjs`, 0o755);
writeCodeCache();

/**
 * Run the CLI on a bundled spec with SPECC_WRITE_CODE_CACHE=1, once per target and once as a
 * replayed run, so the cache holds the functions real runs compile: each run starts from the
 * cache the one before wrote and adds what it compiled. Without a cache the CLI still works, only
 * slower.
 */
function writeCodeCache() {
  const scratch = mkdtempSync(join(tmpdir(), "specc-cache-"));
  const spec = "specs/ml-research.md";
  const runs = [
    ["check", spec],
    ...["node", "github-actions", "claude-code"].map((target) => ["compile", spec, "--target", target, "--out", join(scratch, target)]),
    ["run", spec, "--task", "Fine-tune Qwen/Qwen2-0.5B on trl-lib/Capybara with LoRA on HF Jobs (cost cap is 10 USD)", "--executor", "replay:examples/qwen2-capybara/run.jsonl", "--run-dir", join(scratch, "runs")],
  ];
  try {
    for (const args of runs) {
      const run = spawnSync(process.execPath, [`${bin}/specc.mjs`, ...args], { cwd: root, env: { ...process.env, SPECC_WRITE_CODE_CACHE: "1" }, encoding: "utf8" });
      if (run.status !== 0) console.warn(`bundle: the code cache misses \`specc ${args[0]}\` (it exited ${run.status}): ${run.stderr.trim().split("\n").at(-1)}`);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
