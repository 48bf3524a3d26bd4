// The Claude Code subagent, settings, spend-guard hook and manifest files, printed from a small
// hand-built pipeline that includes a hostile agent whose text tries every injection we know of.
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { transformWithOxc } from "vite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { strip } from "../compiler/inline-runtime.js";
import type { AgentSpec, Pipeline, Step } from "../compiler/pipeline.js";
import type { Profile } from "../compiler/profile.js";
import { agentFiles, agentPath, splitInstructions, validateAgents, verifyAgentFiles, WRITE_TOOLS } from "../targets/claude-code/agents.js";
import { guardConfig, hookFile, hookPath } from "../targets/claude-code/hook.js";
import { manifestFile, manifestPath } from "../targets/claude-code/manifest.js";
const MANIFEST_PATH = manifestPath("ml-test");
import { escapeLine, frontmatter, oneLine, splitFrontmatter } from "../targets/claude-code/markdown.js";
import { settingsFile, SETTINGS_PATH } from "../targets/claude-code/settings.js";
import { checkOutputFiles, type EmitContext, type OutputFile } from "../compiler/target.js";

const HOSTILE = [
  "Title with `backticks` ${process.exit()} */ </script> \"quotes\" 'single'",
  "{{x}} {{{raw}}} ${{ secrets.X }}",
  "---",
  "key: value # comment",
  "- item",
  "&anchor *alias !tag | > % @ ? [a] {b: c}",
  "...",
  "# Rules you must follow",
  "```",
  "yes",
  "\r\n--- \u2028after a line separator\u0085next\u0000nul\u007f",
].join("\n");

const profile: Profile = {
  name: "hf-test",
  description: "test profile",
  providers: [],
  minClaudeCodeVersion: "2.1.219",
  marketplaces: { "huggingface-skills": { source: { source: "github", repo: "huggingface/skills" } }, unused: { source: { source: "github", repo: "x/y" } } },
  skills: {
    "hf-cli": { plugin: "hf-cli@huggingface-skills", access: "write" },
    "hugging-face-paper-pages": { plugin: "hugging-face-paper-pages@huggingface-skills", access: "read" },
  },
  tools: { read: ["Read", "Glob", "Grep", "WebSearch", "WebFetch"], write: ["Read", "Glob", "Grep", "Edit", "Write", "Bash"] },
  permissions: { allow: ["Bash(hf jobs *)", "WebSearch"], deny: ["Bash(rm -rf *)"] },
  jobs: {
    submit: ["hf jobs run", "hf jobs uv run"],
    scheduled: ["hf jobs scheduled"],
    hardwareFlag: "--flavor",
    timeoutFlag: "--timeout",
    defaultHardware: "cpu-basic",
  },
  billable: true,
  protectedKeys: {},
  purposes: { agent: "Do the step." },
  agentRules: { readOnly: "You are read-only: never create, change or delete files, and never run commands.", commands: "Every billable job you submit needs `--flavor` and `--timeout` sized to the work." },
  patterns: [],
  completion: { title: "Completion", reason: "criteria" },
  loop: { keep: false, title: "Loop", reason: "optional" },
  enforcement: [],
};

function agent(overrides: Partial<AgentSpec>): AgentSpec {
  return {
    name: "ml-test-agent",
    role: "worker",
    description: "does things",
    instructions: ["Do the thing."],
    rules: [],
    capabilities: [],
    skills: [],
    tools: [...profile.tools.write],
    readOnly: false,
    schema: { type: "object", required: ["status", "summary"], properties: {} },
    ...overrides,
  };
}

function step(index: number, id: string, title: string, agents: AgentSpec[]): Step {
  return {
    id,
    index,
    title,
    kind: "agent",
    trace: { label: "kept", reason: `Phase ${index} of the spec`, elements: [`Phase ${index}`, "R7"], source: { start: { line: 10 * index, column: 1 }, end: { line: 10 * index + 5, column: 1 } } },
    agents,
    config: {},
  };
}

const finder = agent({
  name: "ml-test-research-finder",
  role: "finder",
  description: "Finds papers",
  instructions: ["Search for papers.", "R7 (MUST) Cite: cite every claim."],
  rules: ["R7", "R9"],
  skills: ["hugging-face-paper-pages"],
  tools: [...profile.tools.read],
  readOnly: true,
});
const hostile = agent({
  name: "ml-test-hostile",
  role: "worker",
  description: HOSTILE,
  instructions: [HOSTILE, "R7 (MUST) " + HOSTILE],
  rules: ["R7"],
  skills: ["hf-cli"],
  schema: { type: "object", required: ["status", "we`ird"], properties: {} },
});
const critic = agent({ name: "ml-test-critic", role: "critic", description: "", tools: ["Read", "Grep"], readOnly: true, instructions: [] });

const pipeline: Pipeline = {
  pipelineVersion: 1,
  name: "ml-test",
  title: "ML test",
  description: "A test pipeline",
  profile: "hf-test",
  spec: { path: "specs/ml-test.md", sha256: "ab".repeat(32) },
  params: [],
  contract: {
    maxIterations: 3,
    maxRetries: 2,
    repetition: { window: 6, identicalStreak: 3, cycleMinLength: 2, cycleMaxLength: 3, cycleRepeats: 2 },
    continuationRetries: 1,
    malformedStreak: 3,
    costCapUsd: 10,
    researchMaxSteps: 60,
    origin: {},
  },
  protectedKeys: {},
  scopeStripPrefixes: [],
  taskClasses: null,
  steps: [step(1, "research", "Research", [finder]), step(2, "hostile", HOSTILE, [hostile, critic])],
  omitted: [{ label: "omitted", reason: "optional loop", elements: ["Loop"], source: null }],
  enforcement: [{ rule: "R7", strength: "MUST", where: "hook", by: ["spend-guard"], steps: ["hostile"], proofs: [] }],
  accounting: [],
};

const runtimeParts: { [part: string]: string } = {};

beforeAll(async () => {
  for (const part of ["core", "hook"]) {
    const dir = join(import.meta.dirname, "..", "runtime", part);
    const names = readdirSync(dir).filter((name) => name.endsWith(".ts") && name !== "index.ts").sort();
    const codes = await Promise.all(names.map(async (name) => (await transformWithOxc(readFileSync(join(dir, name), "utf8"), name, { lang: "ts" })).code));
    runtimeParts[part] = codes.map(strip).join("\n");
  }
});

function context(overrides: Partial<EmitContext> = {}): EmitContext {
  return {
    pipeline,
    profile,
    provenance: { source: "specs/ml-test.md", sha256: "ab".repeat(32), specc: "0.1.0" },
    inlineRuntime: (parts = ["core"]) => parts.map((part) => runtimeParts[part] ?? "").join("\n"),
    ...overrides,
  };
}

function emitAll(ctx: EmitContext): OutputFile[] {
  const files = [...agentFiles(ctx), settingsFile(ctx), hookFile(ctx)];
  return [...files, manifestFile(ctx, files)];
}

describe("markdown helpers", () => {
  it("collapses every kind of line break into one line", () => {
    expect(oneLine("a\r\nb\u2028c\u2029d\u0085e\vf\u0000g")).toBe("a b c d e fg");
  });

  it("escapes lines that Markdown or frontmatter would read as structure", () => {
    for (const line of ["---", "...", "+++", "***", "- - -", "===", "-", "# heading", "```js", "~~~"]) expect(escapeLine(line)).toBe(`\\${line}`);
    for (const line of ["--- not a break", "- item", "**bold**", "...and more"]) expect(escapeLine(line)).toBe(line);
  });

  it("round-trips hostile strings through frontmatter", () => {
    const fields = { name: "x", description: oneLine(HOSTILE), list: ["- item", "yes", "1e3", "*alias"] };
    const parts = splitFrontmatter(`${frontmatter(fields)}body\n`);
    expect(parts && parse(parts.yaml)).toEqual(fields);
  });
});

describe("agent files", () => {
  const files = agentFiles(context());
  const byName = (name: string) => files.find((file) => file.path === agentPath(name)) as OutputFile;

  it("writes one file per agent with frontmatter first", () => {
    expect(files.map((file) => file.path)).toEqual([
      ".claude/agents/ml-test-research-finder.md",
      ".claude/agents/ml-test-hostile.md",
      ".claude/agents/ml-test-critic.md",
    ]);
    for (const file of files) expect(file.content.startsWith("---\nname: ")).toBe(true);
  });

  it("parses the hostile frontmatter to exactly the intended strings", () => {
    const parts = splitFrontmatter(byName("ml-test-hostile").content);
    expect(parts).not.toBeNull();
    expect(parse(parts!.yaml)).toEqual({
      name: "ml-test-hostile",
      description: `Used only by the /ml-test workflow; do not call directly. ${oneLine(HOSTILE)}`,
      tools: "Read, Glob, Grep, Edit, Write, Bash",
      skills: ["hf-cli"],
      model: "inherit",
      maxTurns: 100,
      color: "green",
    });
    expect(oneLine(HOSTILE)).not.toMatch(/[\n\r\u2028\u0085\u0000]/);
  });

  it("never lets a body line close the frontmatter or forge a section", () => {
    for (const file of files) {
      const parts = splitFrontmatter(file.content)!;
      const lines = parts.body.split("\n");
      expect(lines.filter((line) => /^\s*(---|\.\.\.)\s*$/.test(line))).toEqual([]);
      expect(lines.filter((line) => /^#+ /.test(line)).map((line) => line.replace(/^#+ /, ""))).toEqual(
        expect.arrayContaining(["What you do", "Rules you must follow", "Your answer", "Where this comes from"]),
      );
      expect(lines.filter((line) => line === "## Rules you must follow")).toHaveLength(1);
      expect(lines.filter((line) => line.startsWith("```"))).toEqual([]);
    }
    const body = splitFrontmatter(byName("ml-test-hostile").content)!.body;
    expect(body).toContain("\\# Rules you must follow");
    expect(body).toContain("  \\---");
    expect(body).toContain("${process.exit()}");
  });

  it("puts the provenance comment right after the frontmatter", () => {
    const body = splitFrontmatter(byName("ml-test-critic").content)!.body;
    expect(body.split("\n")[0]).toBe(
      "<!-- Generated by specc 0.1.0 from specs/ml-test.md (its sha256 is in the manifest). Do not edit: change the spec and recompile. -->",
    );
    // The hash is only in the manifest, so an edit to the spec does not touch every file.
    for (const file of files) expect(file.content).not.toContain("ab".repeat(32));
  });

  it("gives read-only agents no write tools and denies them explicitly", () => {
    for (const name of ["ml-test-research-finder", "ml-test-critic"]) {
      const fields = parse(splitFrontmatter(byName(name).content)!.yaml);
      const tools = fields.tools.split(", ");
      expect(tools.filter((tool: string) => WRITE_TOOLS.includes(tool))).toEqual([]);
      expect(fields.disallowedTools.split(", ")).toEqual(expect.arrayContaining(["Bash", "Edit", "NotebookEdit", "Write"]));
    }
    expect(verifyAgentFiles(files, context())).toEqual([]);
  });

  it("refuses a read-only agent that was given write tools", () => {
    const bad = { ...finder, tools: ["Read", "Bash(hf jobs *)"] };
    const broken = { ...pipeline, steps: [step(1, "research", "Research", [bad])] };
    expect(() => agentFiles(context({ pipeline: broken }))).toThrow(/read-only agent/);
    expect(validateAgents(context({ pipeline: broken })).map((problem) => problem.message)).toEqual([
      'Unexpected write tools ["Bash(hf jobs *)"] on read-only agent `ml-test-research-finder`',
    ]);
    const forged = files.map((file) => (file.path === agentPath(finder.name) ? { ...file, content: file.content.replace('tools: "Read,', 'tools: "Bash, Read,') } : file));
    expect(verifyAgentFiles(forged, context()).map((problem) => problem.message)).toEqual(["Unexpected write tools Bash on a read-only agent"]);
  });

  it("refuses unsafe names and empty tool lists", () => {
    const bad = [{ ...critic, name: "../evil" }, { ...critic, name: "ok", tools: [] }, { ...critic, name: "ok2", tools: ["Read, Bash"] }];
    const broken = { ...pipeline, steps: [step(1, "x", "X", bad)] };
    expect(validateAgents(context({ pipeline: broken }))).toHaveLength(3);
    expect(() => agentFiles(context({ pipeline: broken }))).toThrow();
  });

  it("gives finders the research budget and others the default turn cap", () => {
    expect(parse(splitFrontmatter(byName("ml-test-research-finder").content)!.yaml).maxTurns).toBe(60);
    expect(parse(splitFrontmatter(byName("ml-test-critic").content)!.yaml).maxTurns).toBe(100);
  });

  it("lists the rule ids under the rules (their text is in the workflow, once), and rule ids without text too", () => {
    expect(splitInstructions(finder)).toEqual({ rules: ["R7 (MUST) Cite: cite every claim.", "R9 (see the spec for its text)"], tasks: ["Search for papers."] });
    const body = splitFrontmatter(byName("ml-test-research-finder").content)!.body;
    expect(body).toContain("## Rules you must follow\n\n- The spec's rules `R7`, `R9`: the workflow gives you their text with every task.\n- You are read-only");
    expect(body).not.toContain("cite every claim");
    expect(body).toContain("It must include these fields:\n\n- `status`\n- `summary`");
    expect(body).toContain("- Step 1, `research` (kind `agent`), kept (line 10 of specs/ml-test.md).");
  });
});

describe("settings.json", () => {
  const settings = JSON.parse(settingsFile(context()).content);

  it("has permissions, plugins for the used skills and the Bash hook", () => {
    expect(settings.$schema).toBe("https://json.schemastore.org/claude-code-settings.json");
    expect(settings.permissions.allow).toEqual(["Bash(hf jobs *)", "WebSearch", "Workflow", "Skill(hf-cli)", "Skill(hugging-face-paper-pages)"]);
    expect(settings.permissions.deny).toEqual(expect.arrayContaining(["Bash(rm -rf *)", "Read(./.env)", "Edit(./.specc/**)", "Write(./.claude/hooks/**)"]));
    expect(settings.enabledPlugins).toEqual({ "hf-cli@huggingface-skills": true, "hugging-face-paper-pages@huggingface-skills": true });
    expect(settings.extraKnownMarketplaces).toEqual({ "huggingface-skills": { source: { source: "github", repo: "huggingface/skills" } } });
    const guard = { type: "command", command: 'node "${CLAUDE_PROJECT_DIR}/.claude/hooks/ml-test-spend-guard.mjs" || exit 2', timeout: 30 };
    // Before a call it fails closed; after a call and at a stop it must never block (no `|| exit 2`).
    const settle = { ...guard, command: 'node "${CLAUDE_PROJECT_DIR}/.claude/hooks/ml-test-spend-guard.mjs"' };
    expect(settings.hooks).toEqual({
      PreToolUse: [{ matcher: "Bash", hooks: [guard] }, { matcher: "Edit|Write|MultiEdit|NotebookEdit", hooks: [guard] }],
      PostToolUse: [{ matcher: "Bash", hooks: [settle] }],
      SessionEnd: [{ hooks: [settle] }],
      Stop: [{ hooks: [settle] }],
    });
    expect(settings.permissions.deny).toEqual(expect.arrayContaining(["Edit(./.claude/settings.local.json)", "Write(./.claude/settings.local.json)"]));
  });
});

describe("manifest and determinism", () => {
  it("lists every other file, sorted, and the steps with their agents", () => {
    const files = emitAll(context({ stopReasons: ["completed", "cost-cap"] }));
    const manifest = JSON.parse(files[files.length - 1].content);
    expect(files[files.length - 1].path).toBe(MANIFEST_PATH);
    expect(manifest.files).toEqual(files.slice(0, -1).map((file) => file.path).sort());
    expect(manifest.files).not.toContain(MANIFEST_PATH);
    expect(manifest.command).toBe("/ml-test");
    expect(manifest.source).toEqual({ path: "specs/ml-test.md", sha256: "ab".repeat(32) });
    expect(manifest.stopReasons).toEqual(["completed", "cost-cap"]);
    expect(manifest.steps.map((entry: { agents: string[] }) => entry.agents)).toEqual([["ml-test-research-finder"], ["ml-test-hostile", "ml-test-critic"]]);
    expect(JSON.parse(manifestFile(context(), []).content)).not.toHaveProperty("stopReasons");
  });

  it("is byte-identical across runs, LF only, one final newline, no absolute paths", () => {
    const first = emitAll(context());
    const second = emitAll(context());
    expect(second).toEqual(first);
    expect(checkOutputFiles(first)).toEqual([]);
    for (const file of first) expect(file.content).not.toMatch(/\/(tmp|home|work|Users)\//);
    expect(first.filter((file) => file.executable).map((file) => file.path)).toEqual([hookPath("ml-test")]);
  });
});

describe("spend guard hook", () => {
  let dir = "";
  let hook = "";

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "specc-hook-"));
    const file = hookFile(context());
    hook = join(dir, file.path);
    mkdirSync(join(dir, ".claude", "hooks"), { recursive: true });
    writeFileSync(hook, file.content);
    chmodSync(hook, 0o755);
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function run(command: unknown, options: { tool?: string; env?: { [key: string]: string }; raw?: string } = {}) {
    const input = options.raw ?? JSON.stringify({ tool_name: options.tool ?? "Bash", tool_input: { command }, hook_event_name: "PreToolUse" });
    const env = { PATH: process.env.PATH ?? "", CLAUDE_PROJECT_DIR: dir, ...options.env };
    const result = spawnSync(process.execPath, [hook], { input, env, encoding: "utf8" });
    return { code: result.status, stderr: result.stderr };
  }

  /** The run's ledger: calls without a session or SPECC_RUN_ID are charged to the `default` run. */
  function ledger() {
    const file = join(dir, ".specc", "spend.json");
    return existsSync(file) ? JSON.parse(readFileSync(file, "utf8")).runs.default : null;
  }

  function reset() {
    rmSync(join(dir, ".specc"), { recursive: true, force: true });
  }

  it("is valid JavaScript with no spec prose", () => {
    const check = spawnSync(process.execPath, ["--check", hook], { encoding: "utf8" });
    expect(check.status).toBe(0);
    const text = readFileSync(hook, "utf8");
    expect(text).not.toContain("process.exit()");
    expect(text).not.toContain("Title with");
    expect(text).toContain(JSON.stringify(guardConfig(context()).submit));
    expect(text.startsWith("#!/usr/bin/env node\n// Generated by specc 0.1.0 from specs/ml-test.md")).toBe(true);
  });

  it("lets non-job commands and other tools through", () => {
    reset();
    expect(run("ls -la && git status").code).toBe(0);
    expect(run("hf jobs ps -a; hf jobs logs abc --tail 20").code).toBe(0);
    expect(run(undefined, { tool: "Read" }).code).toBe(0);
    expect(run('echo "hf jobs run is documented in the README"').code).toBe(0);
    expect(run("git commit -m \"$(cat <<'EOF'\nIt's a commit: no jobs here\nEOF\n)\"").code).toBe(0);
    expect(ledger()).toBeNull();
  });

  it("reserves a job under the cap and blocks the next one over it", () => {
    reset();
    const first = run("hf jobs run --flavor a10g-large --timeout 2h pytorch/pytorch python train.py");
    expect(first).toEqual({ code: 0, stderr: "" });
    expect(ledger()).toMatchObject({ reserved: { "job-1": 3 }, settled: {} });
    const second = run("hf jobs uv run --flavor a100-large --timeout 4h train.py");
    expect(second.code).toBe(2);
    expect(second.stderr).toMatch(/could cost \$10\.00 .*\$3\.00 of this run's \$10\.00 cap is already committed/);
    expect(ledger().reserved).toEqual({ "job-1": 3 });
    expect(run("hf jobs run --flavor=t4-small --timeout=5400 img cmd").code).toBe(0);
    expect(ledger().reserved).toEqual({ "job-1": 3, "job-2": 0.6 });
  });

  it("takes the cap from the environment", () => {
    reset();
    expect(run("hf jobs run --flavor a100-large --timeout 2h img cmd", { env: { SPECC_COST_CAP_USD: "4" } }).code).toBe(2);
    expect(run("hf jobs run --flavor a100-large --timeout 2h img cmd", { env: { SPECC_COST_CAP_USD: "lots" } }).code).toBe(2);
    expect(run("hf jobs run --flavor a100-large --timeout 2h img cmd", { env: { SPECC_COST_CAP_USD: "100" } }).code).toBe(0);
  });

  it("blocks a job without a timeout, with an unreadable timeout or an unknown flavor", () => {
    reset();
    const missing = run("hf jobs run --flavor a10g-large img python train.py");
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/30-minute default kills training; pass --timeout/);
    expect(run("hf jobs run --flavor a10g-large --timeout soon img cmd").code).toBe(2);
    expect(run("hf jobs run --flavor a10g-large --timeout 0 img cmd").code).toBe(2);
    const unknown = run("hf jobs run --flavor quantum-x9 --timeout 1h img cmd");
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no known price for flavor "quantum-x9"/);
    expect(run("hf jobs run --timeout 1h --timeout 2h img cmd").code).toBe(2);
    expect(ledger()).toBeNull();
  });

  it("uses the default flavor when none is given", () => {
    reset();
    expect(run("hf jobs run --timeout 1h python:3.12 python -c 'print(1)'").code).toBe(0);
    expect(ledger().reserved).toEqual({ "job-1": 0.01 });
  });

  it("blocks every scheduled job", () => {
    reset();
    const scheduled = run("hf jobs scheduled run @hourly --flavor cpu-basic --timeout 1h img cmd");
    expect(scheduled.code).toBe(2);
    expect(scheduled.stderr).toMatch(/scheduled or recurring jobs always need a human: ask one to run it/);
    expect(run("cd /x && hf jobs scheduled uv run '0 * * * *' train.py").code).toBe(2);
  });

  it("checks every command of a list, pipeline, subshell or nested shell", () => {
    reset();
    expect(run("echo hi && hf jobs run --flavor a100-large --timeout 2h img cmd").code).toBe(0);
    expect(ledger().reserved).toEqual({ "job-1": 5 });
    expect(run("echo hi && hf jobs run --flavor a100-large img cmd").code).toBe(2);
    for (const command of [
      "true; hf jobs run img cmd",
      "false || hf jobs run img cmd",
      "cat x | hf jobs run img cmd",
      "echo hi\nhf jobs run img cmd",
      "(cd x && hf jobs run img cmd)",
      "echo $(hf jobs run img cmd)",
      'echo "result: $(hf jobs run img cmd)"',
      "echo `hf jobs run img cmd`",
      "bash -c 'hf jobs run img cmd'",
      "sh -lc \"cd /tmp && hf jobs run img cmd\"",
      "eval hf jobs run img cmd",
      "FOO=1 sudo -E env BAR=2 nohup /usr/local/bin/hf jobs run img cmd &",
      "timeout 60 hf jobs run img cmd",
      "bash <<'EOF'\nhf jobs run img cmd\nEOF",
      "hf jobs run img cmd 'unterminated",
      "hf --verbose jobs run img cmd",
    ]) {
      expect({ command, code: run(command).code }).toEqual({ command, code: 2 });
    }
  });

  it("does not count --timeout inside a quoted argument as a flag", () => {
    reset();
    const quoted = run("hf jobs run --flavor a10g-large img python -c \"import sys; print('--timeout 2h')\"");
    expect(quoted.code).toBe(2);
    expect(quoted.stderr).toMatch(/without --timeout/);
    expect(run("hf jobs uv run --flavor a10g-large --timeout 1h train.py -- --timeout 99h").code).toBe(0);
    expect(ledger().reserved).toEqual({ "job-1": 1.5 });
    expect(run("hf jobs run --flavor a10g-small --timeout 1h img uv run x.py").code).toBe(0);
  });

  it("lets only one of two parallel checks spend the last of the cap", async () => {
    reset();
    const command = "hf jobs run --flavor a100-large --timeout 2h img cmd";
    const input = JSON.stringify({ tool_name: "Bash", tool_input: { command } });
    const once = () =>
      new Promise<number | null>((resolve) => {
        const child = spawn(process.execPath, [hook], { env: { PATH: process.env.PATH ?? "", CLAUDE_PROJECT_DIR: dir, SPECC_COST_CAP_USD: "6" } });
        child.on("close", resolve);
        child.stdin.end(input);
      });
    const codes = await Promise.all([once(), once(), once()]);
    expect(codes.sort()).toEqual([0, 2, 2]);
    expect(ledger().reserved).toEqual({ "job-1": 5 });
  });

  it("fails closed on bad input or a broken ledger", () => {
    reset();
    expect(run(null, { raw: "not json" }).code).toBe(2);
    expect(run(42).code).toBe(2);
    mkdirSync(join(dir, ".specc"), { recursive: true });
    writeFileSync(join(dir, ".specc", "spend.json"), "{broken");
    const broken = run("hf jobs run --flavor t4-small --timeout 1h img cmd");
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/^specc spend guard: failed closed: /);
    expect(broken.stderr.trim().split("\n")).toHaveLength(1);
    writeFileSync(join(dir, ".specc", "spend.json"), JSON.stringify({ capUsd: 1, reserved: [], settled: {} }));
    expect(run("hf jobs run --flavor t4-small --timeout 1h img cmd").code).toBe(2);
    expect(readdirSync(join(dir, ".specc"))).toEqual(["spend.json"]);
  });
});
