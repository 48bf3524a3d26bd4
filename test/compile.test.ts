import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, statSync, writeFileSync, existsSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { beforeAll, describe, expect, test } from "vitest";
import { compile, type CompileResult } from "../compiler/compile.js";
import { loadProfile } from "../compiler/load-profile.js";
import { readSpec } from "../compiler/read-spec.js";
import { validateWorkflow } from "../targets/claude-code/validate-workflow.js";
import { TARGETS } from "../targets/index.js";
import { bundledSpecs, ROOT } from "./helpers/paths.js";
import { happy, runWorkflow, withOverride, type Answer } from "./helpers/standin.js";
import { preflightReport } from "../runtime/proof/answers.js";

const BIN = join(ROOT, "dist/bin/specc.mjs");

function specc(args: string[], cwd = ROOT) {
  const result = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

async function compileSpec(path: string, options: { withLoop?: boolean; profile?: string } = {}): Promise<CompileResult> {
  // Without a profile name it is chosen from the spec's bindings, as the CLI does.
  const profile = options.profile ? loadProfile(options.profile).profile : undefined;
  return compile(readSpec(join(ROOT, path), { displayPath: path }), { target: TARGETS["claude-code"], profile, sourcePath: path, speccVersion: "test", withLoop: options.withLoop });
}

let canonical: CompileResult;
let script: string;
beforeAll(async () => {
  canonical = await compileSpec("specs/ml-research.md");
  script = canonical.files.find((file) => file.path === ".claude/workflows/ml-research.js")!.content;
});

describe("realization of the canonical spec", () => {
  // The 13 steps themselves are asserted once, with the task classes, in test/realize.test.ts.
  test("every step is traced and labelled; the loop is omitted by default", () => {
    const pipeline = canonical.pipeline!;
    for (const step of pipeline.steps) {
      expect(["kept", "adapted", "added"]).toContain(step.trace.label);
      expect(step.trace.elements.length).toBeGreaterThan(0);
      expect(step.trace.reason).not.toBe("");
    }
    expect(pipeline.omitted).toEqual([expect.objectContaining({ label: "omitted", elements: ["loop"] })]);
    expect(pipeline.steps.find((step) => step.id === "full-job")!.trace.elements).toContain("Phase 6");
  });

  test("research fans out one read-only finder per referenced capability, then a synthesis", () => {
    const research = canonical.pipeline!.steps[1];
    expect(research.agents.map((agent) => `${agent.role}:${agent.capabilities.join(",")}`)).toEqual(["finder:C1", "finder:C3", "finder:C4", "finder:C6", "synthesis:C1,C3,C4,C6"]);
    for (const agent of research.agents) expect(agent.tools).not.toContain("Bash");
  });

  test("every rule records where it is enforced", () => {
    const { enforcement } = canonical.pipeline!;
    expect(enforcement.map((entry) => entry.rule)).toEqual(canonical.ir!.rules.map((rule) => rule.id));
    const byRule = Object.fromEntries(enforcement.map((entry) => [entry.rule, entry]));
    expect(byRule.R2).toMatchObject({ where: "guard", by: ["checkScopeChange"] });
    expect(byRule.R7).toMatchObject({ where: "guard", by: ["nextOomRung"] });
    for (const entry of enforcement) expect(["guard", "hook", "prompt", "schema", "critic"]).toContain(entry.where);
  });

  test("the contract numbers come from the spec", () => {
    expect(canonical.pipeline!.contract).toMatchObject({ maxIterations: 300, maxRetries: 3, repetition: { window: 30, identicalStreak: 3, cycleMinLength: 2, cycleMaxLength: 5, cycleRepeats: 2 }, costCapUsd: 10, researchMaxSteps: 60 });
  });

  test("--with-loop keeps the loop, bounded", async () => {
    const result = await compileSpec("specs/ml-research.md", { withLoop: true });
    const loop = result.pipeline!.steps.find((step) => step.kind === "loop");
    expect(loop).toMatchObject({ trace: { label: "kept" }, config: { maxIterations: expect.any(Number) } });
    expect(result.pipeline!.omitted).toEqual([]);
  });
});

describe("the workflow script, checked the way Claude Code checks it", () => {
  test.each(bundledSpecs())("%s: no problems, meta.phases equal the phase() calls", async (spec) => {
    const result = await compileSpec(spec);
    expect(result.problems).toEqual([]);
    const workflow = result.files.find((file) => file.path.startsWith(".claude/workflows/"))!;
    expect(await validateWorkflow(workflow.path, workflow.content)).toEqual([]);
  });

  test("the validator rejects forbidden constructs and disagreeing phases", async () => {
    const bad = script.replace('phase("Research");', 'phase("Reserch");').replace("async function main(wf, input) {", "const when = Date.now();\nasync function main(wf, input) {");
    const messages = (await validateWorkflow(".claude/workflows/ml-research.js", bad)).map((problem) => problem.message);
    expect(messages.some((message) => message.includes("clock or randomness"))).toBe(true);
    expect(messages.some((message) => message.includes("phase() titles"))).toBe(true);
    const typed = await validateWorkflow(".claude/workflows/ml-research.js", script.replace("let run = startRun", "let run: any = startRun"));
    expect(typed[0].message).toMatch(/^Unexpected syntax/);
  });

  test("agent files have parseable frontmatter and least-privilege tools", () => {
    const agents = canonical.files.filter((file) => file.path.startsWith(".claude/agents/"));
    expect(agents).toHaveLength(canonical.pipeline!.steps.flatMap((step) => step.agents).length);
    for (const file of agents) {
      const [, yaml] = file.content.split(/^---$/m);
      const front = parseYaml(yaml) as { name: string; tools: string };
      expect(file.path).toBe(`.claude/agents/${front.name}.md`);
      if (/finder|critic|checker|verify|review|synthesis|format-check/.test(front.name) && !front.name.endsWith("fixer")) {
        expect(front.tools).not.toMatch(/Bash|Edit|Write/);
      }
    }
  });

  test("settings.json has the permissions and the PreToolUse spend guard", () => {
    const settings = JSON.parse(canonical.files.find((file) => file.path === ".claude/settings.json")!.content);
    expect(settings.hooks.PreToolUse[0].matcher).toBe("Bash");
    expect(settings.hooks.PreToolUse[0].hooks[0].command).toContain(".claude/hooks/ml-research-spend-guard.mjs");
    expect(settings.permissions.allow).toContain("Workflow");
    const manifest = JSON.parse(canonical.files.find((file) => file.path === ".specc/ml-research.manifest.json")!.content);
    expect(manifest.steps).toHaveLength(13);
    expect(manifest.minClaudeCodeVersion).toMatch(/^2\.1\.\d+$/);
  });
});

describe("running the generated script under a Workflow API stand-in", () => {
  const TASK = "Fine-tune Qwen/Qwen2-0.5B on trl-lib/Capybara with LoRA (cost cap is 10 USD)";
  const run = (answer: Answer, args: unknown) => runWorkflow(script, canonical.pipeline!, { args, answer });

  test("the happy end: every phase, in order, completed within the cap", async () => {
    const { result, phases } = await run(happy, TASK);
    expect(result).toMatchObject({ status: "completed", stoppedReason: "completed" });
    expect(phases).toEqual(canonical.pipeline!.steps.map((step) => step.title));
    const spend = result.spend as { capUsd: number; committedUsd: number };
    expect(spend.capUsd).toBe(10);
    expect(spend.committedUsd).toBeLessThanOrEqual(10);
    expect(spend.committedUsd).toBeGreaterThan(0);
  });

  test("an object argument with its own cap", async () => {
    const { result } = await run(happy, { task: "Fine-tune", costCapUsd: 25 });
    expect((result.spend as { capUsd: number }).capUsd).toBe(25);
  });

  const stops: [string, unknown, Answer][] = [
    ["missing-argument", undefined, happy],
    ["needs-clarification", "x", withOverride((_c, { step }) => (step.kind === "intake" ? { ...(happy(_c, { step, role: "worker", slot: "worker", count: 1 }) as object), needs_clarification: true, question: "Which model?" } : undefined))],
    ["agent-failed", "x", withOverride((_c, { step }) => (step.kind === "intake" ? null : undefined))],
    ["critic-rejected", "x", withOverride((_c, { step }) => (step.id === "verify-research" ? { verdict: "fail", issues: [{ severity: "high", description: "paper does not exist" }], summary: "made up" } : undefined))],
    ["resource-missing", "x", withOverride((_c, { step, count }) => (step.kind === "resources" && count === 1 ? { resource: "nope/nope", kind: "dataset", exists: false, id: "nope/nope", url: "", params_b: null, notes: "404" } : undefined))],
    ["smoke-test-failed", "x", withOverride((_c, { step, slot, count }) => (step.kind === "smoke" && slot === "worker" ? { passed: false, command: `python train.py --try ${count}`, log_tail: `ModuleNotFoundError: No module named 'trl' (${count})`, summary: "failed" } : step.kind === "smoke" ? { analysis: "missing dependency", failure_class: "import-error", changes: {}, description: "add trl" } : undefined))],
    ["repetition-detected", "x", withOverride((_c, { step, slot }) => (step.kind === "smoke" && slot === "worker" ? { passed: false, command: "python train.py", log_tail: "ModuleNotFoundError: No module named 'trl'", summary: "failed" } : step.kind === "smoke" ? { analysis: "missing dependency", failure_class: "import-error", changes: {}, description: "add trl" } : undefined))],
    ["scope-change-requires-approval", "x", withOverride((_c, { step, slot }) => (step.kind === "smoke" && slot === "worker" ? { passed: false, command: "python train.py", log_tail: "torch.OutOfMemoryError: CUDA out of memory.", summary: "failed" } : step.kind === "smoke" ? { analysis: "too big", failure_class: "oom", changes: { max_length: 512 }, description: "shorten sequences" } : undefined))],
    ["cost-cap-reached", { task: "x", costCapUsd: 1 }, happy],
    ["needs-approval", { task: "x", mode: "interactive" }, happy],
    ["oom-ladder-exhausted", { task: "x", costCapUsd: 1000 }, withOverride((call, { step, slot, count }) => (step.kind === "preflight" && slot === "worker" ? preflightReport({ step: step as never, slot, count, baseline: {}, prompt: call.prompt }, { status: "failed", log_tail: "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB." }) : undefined))],
    ["checklist-incomplete", "x", withOverride((_c, { step }) => (step.kind === "readiness" ? { items: [{ item: "x", satisfied: false, evidence: "" }], job: {} } : undefined))],
    ["submit-invariant-violated", "x", withOverride((call, info) => (info.step.kind === "readiness" ? { ...(happy(call, info) as { job: object }), job: { ...(happy(call, info) as { job: object }).job, code: { kind: "path", value: "/home/alice/train.py" } } } : undefined))],
    ["completion-criteria-unmet", "x", withOverride((_c, { step }) => (step.kind === "completion" ? { criteria: [], verdict: "fail", summary: "no evidence" } : undefined))],
  ];

  test.each(stops)("stops with %s", async (reason, args, answer) => {
    const { result } = await run(answer, args);
    expect(result.status).toBe("stopped");
    expect(result.stoppedReason).toBe(reason);
    const spend = result.spend as { capUsd: number | null; committedUsd: number };
    expect(spend.committedUsd).toBeLessThanOrEqual(spend.capUsd ?? 0);
  });
});

describe("spec text is data", () => {
  let hostile: CompileResult;
  beforeAll(async () => {
    hostile = await compileSpec("test/fixtures/compile/hostile.md");
  });

  test("the hostile spec compiles and passes the target's checks", () => {
    expect(hostile.problems).toEqual([]);
    expect(hostile.files.length).toBeGreaterThan(3);
  });

  test("hostile text appears in the script only inside string literals", async () => {
    const source = hostile.files.find((file) => file.path === ".claude/workflows/hostile.js")!.content;
    const { parse } = await import("acorn");
    const { full } = await import("acorn-walk");
    const ast = parse(source, { ecmaVersion: 2022, sourceType: "module", allowReturnOutsideFunction: true, allowAwaitOutsideFunction: true });
    const literals: [number, number][] = [];
    full(ast, (node) => {
      if (node.type === "Literal" || node.type === "TemplateLiteral") literals.push([node.start, node.end]);
    });
    const inside = (offset: number) => literals.some(([start, end]) => offset >= start && offset < end);
    for (const marker of ["__pwned", "</script>", "{{", "${{", "rm -rf"]) {
      for (let offset = source.indexOf(marker); offset !== -1; offset = source.indexOf(marker, offset + 1)) {
        expect(inside(offset), `${marker} at offset ${offset} is outside a string literal`).toBe(true);
      }
    }
  });

  test("running the hostile script executes none of its text", async () => {
    const g = globalThis as { __pwned?: unknown };
    delete g.__pwned;
    const source = hostile.files.find((file) => file.path === ".claude/workflows/hostile.js")!.content;
    const { result } = await runWorkflow(source, hostile.pipeline!, { args: "do it", answer: withOverride(() => undefined) });
    expect(result.status).toBeDefined();
    expect(g.__pwned).toBeUndefined();
  });

  test("hostile agent frontmatter reads back as the same strings", () => {
    for (const file of hostile.files.filter((f) => f.path.startsWith(".claude/agents/"))) {
      const [, yaml, ...rest] = file.content.split(/^---$/m);
      expect(rest.join("---")).not.toMatch(/^---$/m);
      const front = parseYaml(yaml) as { description: string };
      expect(typeof front.description).toBe("string");
    }
  });

  test("the hook carries no spec prose", async () => {
    const withHook = await compileSpec("test/fixtures/compile/hostile.md", { profile: "hf-skills" });
    const hook = withHook.files.find((file) => file.path.endsWith("spend-guard.mjs"))!.content;
    expect(hook).not.toContain("__pwned");
    expect(hook).not.toContain("Hostile");
  });
});

describe("specc compile", () => {
  const out = mkdtempSync(join(tmpdir(), "specc-compile-"));

  test("writes the tree, identically twice, and rewrites nothing when nothing changed", () => {
    const first = specc(["compile", "specs/ml-research.md", "--target", "claude-code", "--out", out]);
    expect(first.code, first.stderr).toBe(0);
    const workflow = join(out, ".claude/workflows/ml-research.js");
    const before = readFileSync(workflow, "utf8");
    const mtime = statSync(workflow).mtimeMs;
    const second = specc(["compile", "specs/ml-research.md", "--target", "claude-code", "--out", out]);
    expect(second.code).toBe(0);
    expect(second.stderr).toContain("wrote 0 of");
    expect(readFileSync(workflow, "utf8")).toBe(before);
    expect(statSync(workflow).mtimeMs).toBe(mtime);
    expect(statSync(join(out, ".claude/hooks/ml-research-spend-guard.mjs")).mode & 0o111).not.toBe(0);
  });

  test("--check passes on fresh output and fails after an edit or a deletion", () => {
    specc(["compile", "specs/ml-research.md", "--target", "claude-code", "--out", out]);
    expect(specc(["compile", "specs/ml-research.md", "--target", "claude-code", "--out", out, "--check"]).code).toBe(0);
    const agent = join(out, ".claude/agents/ml-research-implement.md");
    writeFileSync(agent, `${readFileSync(agent, "utf8")}\nedited by hand\n`);
    rmSync(join(out, ".claude/settings.json"));
    const stale = specc(["compile", "specs/ml-research.md", "--target", "claude-code", "--out", out, "--check"]);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain("ml-research-implement.md: stale");
    expect(stale.stderr).toContain("settings.json: missing");
    expect(existsSync(join(out, ".claude/settings.json"))).toBe(false);
  });

  test("files an earlier compile wrote but this one does not are flagged, then removed", () => {
    const dir = mkdtempSync(join(tmpdir(), "specc-orphans-"));
    const spec = join(dir, "spec.md");
    const original = readFileSync(join(ROOT, "specs/ml-research.md"), "utf8");
    writeFileSync(spec, original);
    expect(specc(["compile", spec, "--target", "claude-code", "--out", dir], dir).code).toBe(0);
    const removed = join(dir, ".claude/agents/ml-research-data-audit.md");
    expect(existsSync(removed)).toBe(true);
    writeFileSync(spec, original.replace("### Phase 3: Data audit", "### Phase 3: Dataset audit"));
    const check = specc(["compile", spec, "--target", "claude-code", "--out", dir, "--check"], dir);
    expect(check.code).toBe(1);
    expect(check.stderr).toContain("ml-research-data-audit.md: no longer produced");
    const write = specc(["compile", spec, "--target", "claude-code", "--out", dir], dir);
    expect(write.code).toBe(0);
    expect(existsSync(removed)).toBe(false);
    expect(existsSync(join(dir, ".claude/agents/ml-research-dataset-audit.md"))).toBe(true);
    expect(specc(["compile", spec, "--target", "claude-code", "--out", dir, "--check"], dir).code).toBe(0);
  });

  test("usage errors: missing or unknown target, bad profile", () => {
    expect(specc(["compile", "specs/ml-research.md"]).code).toBe(2);
    const unknown = specc(["compile", "specs/ml-research.md", "--target", "jenkins"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown target `jenkins`, expected one of claude-code");
    const profile = join(out, "bad-profile.json");
    writeFileSync(profile, JSON.stringify({ name: "Bad Name" }));
    const bad = specc(["compile", "specs/ml-research.md", "--target", "claude-code", "--profile", profile]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("SPC402");
  });

  test("output that fails the target's own checks is SPC403 and writes nothing", () => {
    const profile = JSON.parse(readFileSync(join(ROOT, "profiles/hf-skills.json"), "utf8"));
    profile.tools.read.push("Bash");
    const path = join(out, "write-happy-profile.json");
    writeFileSync(path, JSON.stringify(profile));
    const target = join(out, "never-written");
    const result = specc(["compile", "specs/ml-research.md", "--target", "claude-code", "--profile", path, "--out", target]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/\.claude\/agents\/ml-research-research-citation-graph\.md: error SPC403 Unexpected .*Bash/);
    expect(existsSync(target)).toBe(false);
  });

  test("a spec with errors compiles nothing and exits 1", () => {
    const broken = specc(["compile", "test/fixtures/diagnostics/SPC302-undefined-reference.md", "--target", "claude-code", "--out", join(out, "broken")]);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain("error SPC302");
    expect(existsSync(join(out, "broken"))).toBe(false);
  });
});
