// `--target node`: the pipeline as an ES module importing specc/runtime. Its output is the same
// bytes for the same input, type-checks under `tsc --strict` against the runtime's declarations,
// imports and runs, and a run of it ends exactly as the Claude Code script's run does on the same
// agent answers (the same driver, guards and stop reasons).
import { spawnSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { compile } from "../compiler/compile.js";
import { readSpec } from "../compiler/read-spec.js";
import { cooperativeAnswer, VIOLATIONS, type AnswerInfo } from "../runtime/proof/answers.js";
import type { DriverPipeline, RunResult } from "../runtime/workflow/index.js";
import { TARGETS } from "../targets/index.js";
import { standInExecutor } from "./helpers/executor.js";
import { bundledSpecs, ROOT } from "./helpers/paths.js";
import { runWorkflow } from "./helpers/standin.js";

// Inside the package, so `specc/runtime` resolves to this package's own build (a self-reference).
const SCRATCH = join(ROOT, ".tmp-node-target");
const outputs = new Map<string, { files: { path: string; content: string }[]; claude: { path: string; content: string }[]; pipeline: unknown }>();

beforeAll(async () => {
  rmSync(SCRATCH, { recursive: true, force: true });
  for (const spec of bundledSpecs()) {
    const node = await compile(readSpec(join(ROOT, spec), { displayPath: spec }), { target: TARGETS.node, sourcePath: spec, speccVersion: "test" });
    const claude = await compile(readSpec(join(ROOT, spec), { displayPath: spec }), { target: TARGETS["claude-code"], sourcePath: spec, speccVersion: "test" });
    expect(node.problems).toEqual([]);
    outputs.set(spec, { files: node.files, claude: claude.files, pipeline: claude.pipeline });
    for (const file of node.files) {
      mkdirSync(join(SCRATCH, basename(spec, ".md"), file.path, ".."), { recursive: true });
      writeFileSync(join(SCRATCH, basename(spec, ".md"), file.path), file.content);
    }
  }
});

afterAll(() => rmSync(SCRATCH, { recursive: true, force: true }));

const scripts = () => bundledSpecs().map((spec) => join(SCRATCH, basename(spec, ".md"), "workflows", `${basename(spec, ".md")}.workflow.mjs`));

describe("the emitted files", () => {
  test("a hostile spec's text stays data: the script parses, imports, and its pipeline holds the text as written", async () => {
    const spec = "test/fixtures/compile/hostile.md";
    const result = await compile(readSpec(join(ROOT, spec), { displayPath: spec }), { target: TARGETS.node, sourcePath: spec, speccVersion: "test" });
    expect(result.problems).toEqual([]);
    const script = result.files.find((file) => file.path.endsWith(".workflow.mjs"))!;
    const path = join(SCRATCH, "hostile", script.path);
    mkdirSync(join(path, ".."), { recursive: true });
    writeFileSync(path, script.content);
    expect(spawnSync(process.execPath, ["--check", path], { encoding: "utf8" }).status).toBe(0);
    const module = (await import(pathToFileURL(path).href)) as { pipeline: DriverPipeline; RULES: { [id: string]: string } };
    expect(module.pipeline.steps.map((step) => step.title)).toEqual(result.pipeline!.steps.map((step) => step.title));
    // The text that would run as code elsewhere is a string here, and nothing of it ran.
    expect(Object.values(module.RULES).join("\n")).toContain("globalThis.__pwned = 9;");
    expect(Object.values(module.RULES).join("\n")).toContain("$(touch /tmp/pwned)");
    expect((globalThis as { __pwned?: unknown }).__pwned).toBeUndefined();
  });

  test.each(bundledSpecs())("%s: a script and its manifest, the same bytes on every compile", async (spec) => {
    const again = await compile(readSpec(join(ROOT, spec), { displayPath: spec }), { target: TARGETS.node, sourcePath: spec, speccVersion: "test" });
    const first = outputs.get(spec)!.files;
    expect(again.files).toEqual(first);
    const name = basename(spec, ".md");
    expect(first.map((file) => file.path)).toEqual([`.specc/${name}.node.manifest.json`, `workflows/${name}.workflow.mjs`]);
    const manifest = JSON.parse(first[0].content);
    expect(manifest).toMatchObject({ target: "node", runtime: "specc/runtime", files: [`workflows/${name}.workflow.mjs`] });
    // The spec's hash is in the manifest only, so an edit to the spec's prose touches one line there.
    expect(first[1].content).not.toMatch(/[0-9a-f]{64}/);
    expect(first[1].content).toMatch(/^import \{ runFromArgv, runNodePipeline, workflow \} from "specc\/runtime";$/m);
  });

  test("type-check under tsc --strict against the runtime's declarations", () => {
    const tsc = join(ROOT, "node_modules", "typescript", "bin", "tsc");
    // Run from the scratch folder, so the package's own tsconfig is not in play; `specc/runtime`
    // still resolves to this package (the scripts lie inside it) and its declarations in dist/.
    const result = spawnSync(process.execPath, [tsc, "--ignoreConfig", "--noEmit", "--strict", "--allowJs", "--checkJs", "--skipLibCheck", "--module", "nodenext", "--moduleResolution", "nodenext", "--target", "es2022", "--types", "node", "--typeRoots", join(ROOT, "node_modules", "@types"), ...scripts()], { cwd: SCRATCH, encoding: "utf8" });
    expect(result.stdout + result.stderr, "tsc found problems in the generated scripts").toBe("");
    expect(result.status).toBe(0);
  }, 60_000);

  test("a wrong value in the pipeline literal is a type error (the check is real)", () => {
    const script = scripts()[0];
    const broken = script.replace(/\.workflow\.mjs$/, ".broken.mjs");
    writeFileSync(broken, (outputs.get(bundledSpecs()[0])!.files[1].content).replace('"maxRetries": ', '"maxRetries": "three", "was": '));
    const tsc = join(ROOT, "node_modules", "typescript", "bin", "tsc");
    const result = spawnSync(process.execPath, [tsc, "--ignoreConfig", "--noEmit", "--strict", "--allowJs", "--checkJs", "--skipLibCheck", "--module", "nodenext", "--moduleResolution", "nodenext", "--target", "es2022", "--types", "node", "--typeRoots", join(ROOT, "node_modules", "@types"), broken], { cwd: SCRATCH, encoding: "utf8" });
    expect(result.status).not.toBe(0);
    expect(result.stdout).toMatch(/error TS2322/);
  }, 60_000);
});

/** Run a pipeline through the Claude Code script (under the Workflow API stand-in) and through the node module. */
async function bothWays(spec: string, answer: (info: AnswerInfo) => unknown, args: { [key: string]: unknown }, baseline: { [key: string]: string } = {}): Promise<{ claude: RunResult; node: RunResult }> {
  const { claude, pipeline } = outputs.get(spec)!;
  const workflow = claude.find((file) => file.path.startsWith(".claude/workflows/"))!;
  const viaClaude = await runWorkflow(workflow.content, pipeline as never, { args, answer: (call, info) => answer({ step: info.step as never, slot: info.slot, count: info.count, baseline, prompt: call.prompt }) });
  const module = (await import(pathToFileURL(scripts()[bundledSpecs().indexOf(spec)]).href)) as { pipeline: DriverPipeline; run: (options: unknown) => Promise<{ result: RunResult }> };
  const viaNode = await module.run({ args, executor: standInExecutor(module.pipeline, answer, { baseline }) });
  return { claude: viaClaude.result as unknown as RunResult, node: viaNode.result };
}

/** What must agree between the two: how the run ended, where, what it spent, what each step output. */
function ending(result: RunResult) {
  return { status: result.status, stoppedReason: result.stoppedReason, step: result.step, spend: result.spend, outputs: result.outputs, iterations: result.iterations };
}

describe("the same run either way", () => {
  test.each(bundledSpecs())("%s: cooperative agents, the same ending", async (spec) => {
    const { claude, node } = await bothWays(spec, cooperativeAnswer, { task: "Fine-tune a small model on a public dataset", approve: ["all-under-cap"] });
    expect(ending(node)).toEqual(ending(claude));
    if (spec === "specs/ml-research.md") expect(node.status).toBe("completed");
  });

  test("an agent that changes a protected value and claims approval stops both the same way", async () => {
    const violation = VIOLATIONS.checkScopeChange;
    const answer = (info: AnswerInfo) => (info.step.kind === "agent" && info.slot === "worker" ? violation.answer(info) : cooperativeAnswer(info));
    const { claude, node } = await bothWays("specs/ml-research.md", answer, { task: "Fine-tune a small model on a public dataset" }, { model: "org/model-a" });
    expect(node.stoppedReason).toBe("scope-change-requires-approval");
    expect(ending(node)).toEqual(ending(claude));
  });
});
