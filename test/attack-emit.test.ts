// Attacks on what compile emits and how it writes it (issue 9, item 8): spec file names and spec
// text that try to leave their comment or string, titles that make file names too long or break
// frontmatter, a forbidden-construct check fooled by strings, output folders that are files,
// devices or traps (planted manifests, symbolic links), failures half-way through a write, and
// realization that is quadratic in rules × steps.
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { tokenizer } from "acorn";
import { parse as parseYaml } from "yaml";
import { describe, expect, test } from "vitest";
import { main } from "../cli/cli.js";
import { writeFiles } from "../cli/commands/compile.js";
import { describeFailure } from "../cli/commands/common.js";
import { SpeccError } from "../compiler/errors.js";
import { forbiddenConstructs } from "../compiler/inline-runtime.js";
import type { SpecIR } from "../compiler/ir.js";
import type { Pipeline } from "../compiler/pipeline.js";
import type { Profile } from "../compiler/profile.js";
import { enforcementOf } from "../compiler/realize/enforcement.js";
import { ruleReach, rulesByStep, type Reachable } from "../compiler/realize/reach.js";
import { SLUG_MAX, slug } from "../compiler/slug.js";
import { commentText, frontmatter, htmlComment, jsLineComment, splitFrontmatter } from "../targets/claude-code/markdown.js";
import { quickCheckWorkflow } from "../targets/claude-code/validate-workflow.js";
import { ROOT } from "./helpers/paths.js";

/** Run `specc argv` in process from `cwd`, as bin.ts does: a thrown failure becomes its line and exit code. */
async function specc(argv: string[], cwd: string) {
  const err: string[] = [];
  const io = { out: () => {}, err: (text: string) => err.push(text), cwd, color: false };
  let code: number;
  try {
    code = await main(argv, io);
  } catch (error) {
    const failure = describeFailure(error);
    err.push(failure.text);
    code = failure.exitCode;
  }
  return { code, stderr: err.join("\n") };
}

/** An output error: exit 2, its first line `specc: error: …` on one line, no stack, no internal error. */
function expectOutputError(result: { code: number; stderr: string }, reason: RegExp): void {
  expect(result.code, result.stderr).toBe(2);
  const errorLines = result.stderr.split("\n").filter((line) => line.startsWith("specc:"));
  expect(errorLines).toHaveLength(1);
  expect(errorLines[0]).toMatch(/^specc: error: /);
  expect(errorLines[0]).toMatch(reason);
  expect(result.stderr).not.toMatch(/internal error|\n\s+at .*:\d+:\d+/);
}

/** A small neutral spec whose first phase has `title`; `text` goes into the phase body. */
function spec(title: string, options: { name?: string; text?: string; second?: string } = {}): string {
  return [
    "---",
    `name: ${options.name ?? "emit-attack"}`,
    "---",
    "",
    "# Emit attack",
    "",
    "## Rules",
    "",
    "- **R1 (MUST).** The agent MUST keep a log.",
    "",
    "## Workflow",
    "",
    `### Phase 0: ${title}`,
    "",
    options.text ?? "Do the work (R1).",
    "",
    `### Phase 1: ${options.second ?? "Report"}`,
    "",
    "Report the result (R1).",
    "",
  ].join("\n");
}

function scratch(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `specc-attack-emit-${prefix}-`));
}

/** Every file under `dir` (links reported, never followed), relative, with its bytes. */
function tree(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (current: string): void => {
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const full = join(current, entry.name);
      const rel = relative(dir, full);
      if (entry.isSymbolicLink()) files.set(rel, `-> link`);
      else if (entry.isDirectory()) walk(full);
      else files.set(rel, readFileSync(full, "utf8"));
    }
  };
  if (existsSync(dir)) walk(dir);
  return files;
}

/** Identifiers in a script's code (strings, templates, regexps and comments are not code). */
function codeNames(source: string): Set<string> {
  const names = new Set<string>();
  for (const token of tokenizer(source, { ecmaVersion: "latest", sourceType: "module", allowHashBang: true, allowReturnOutsideFunction: true, allowAwaitOutsideFunction: true })) {
    if (token.type.label === "name") names.add(String((token as { value?: unknown }).value));
  }
  return names;
}

describe("a spec file name cannot leave the provenance comment", () => {
  const ml = readFileSync(join(ROOT, "specs/ml-research.md"), "utf8");
  // The spec's path is written relative to its project root, so a folder name counts too (`d *` + `/`).
  const names = [
    ["U+2028", "a\u2028globalThis.__pwned = 1; \u2028x.md"],
    ["U+2029", "b\u2029globalThis.__pwned = 2; \u2029x.md"],
    ["newline", "c\nglobalThis.__pwned = 3; \nx.md"],
    ["*/", "d */ globalThis.__pwned = 4; .md"],
    ["-->", "e --> <img src=x onerror=globalThis.__pwned=5> <!-- .md"],
  ];

  test.each(names)("a spec path holding %s stays inside the comment of every .js, .mjs and .md file", async (_, path) => {
    const dir = scratch("name");
    mkdirSync(join(dir, ".git"));
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), ml);
    const result = await specc(["compile", path, "--target", "claude-code", "--out", join(dir, "out")], dir);
    expect(result.code, result.stderr).toBe(0);
    const files = tree(join(dir, "out"));
    const manifest = JSON.parse(files.get(".specc/ml-research.manifest.json")!);
    expect(manifest.source.path).toBe(path); // the name itself is kept, as data
    const scripts = [...files].filter(([file]) => /\.(m?js)$/.test(file));
    expect(scripts.map(([file]) => file.replace(/.*\./, "")).sort()).toEqual(["js", "mjs"]);
    for (const [file, content] of scripts) {
      expect(codeNames(content), file).not.toContain("__pwned");
      const provenance = content.split("\n").filter((line) => line.includes("Generated by specc"));
      expect(provenance, file).toHaveLength(1);
      expect(provenance[0]).toMatch(/^\/\/ Generated by specc /);
      expect(provenance[0]).not.toMatch(/[\u2028\u2029\r]|\*\//);
    }
    const agents = [...files].filter(([file]) => file.endsWith(".md"));
    expect(agents.length).toBeGreaterThan(5);
    for (const [file, content] of agents) {
      const comment = content.split("\n").find((line) => line.startsWith("<!-- Generated by specc"))!;
      expect(comment, file).toBeDefined();
      // One comment, closed once, at its end: no `--` or `>` inside it.
      expect(comment.indexOf("-->")).toBe(comment.length - 3);
      expect(comment.slice(4, -3)).not.toMatch(/--|>|[\u2028\u2029]/);
    }
  }, 30_000);

  test("every comment helper keeps hostile text on one line and without a closer", () => {
    const hostile = "x\u2028y\u2029z\r\nw\u0085v */ a --> b --!> c ---> d *-->/";
    for (const line of [jsLineComment(hostile), htmlComment(hostile), commentText(hostile)]) {
      expect(line).not.toMatch(/[\n\r\u2028\u2029\u0085]/);
      expect(line.replace(/^\/\/ |^<!-- | -->$/g, "")).not.toMatch(/\*\/|--/);
    }
    expect(htmlComment(hostile).match(/-->/g)).toHaveLength(1);
    expect(htmlComment(hostile)).not.toMatch(/>(?!$)/);
  });
});

describe("file names are bounded and unique", () => {
  test("a 300-character phase title compiles to short file names; two that differ only at the end stay distinct", async () => {
    const dir = scratch("long");
    const long = "Collect ".repeat(40).trim(); // 319 characters
    writeFileSync(join(dir, "long.md"), spec(`${long} alpha`, { second: `${long} omega` }));
    const result = await specc(["compile", "long.md", "--target", "claude-code", "--out", "out"], dir);
    expect(result.code, result.stderr).toBe(0);
    const agents = readdirSync(join(dir, "out/.claude/agents"));
    expect(agents.length).toBeGreaterThanOrEqual(2);
    for (const name of agents) expect(Buffer.byteLength(name)).toBeLessThanOrEqual(2 * SLUG_MAX + 20);
    expect(new Set(agents).size).toBe(agents.length);
    const manifest = JSON.parse(readFileSync(join(dir, "out/.specc/emit-attack.manifest.json"), "utf8"));
    const ids: string[] = manifest.steps.map((step: { id: string }) => step.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id.length).toBeLessThanOrEqual(SLUG_MAX + 3);
    expect(ids.filter((id) => id.startsWith("collect-collect"))).toHaveLength(2);
  });

  test("slug is bounded, stable and distinguishes long titles by a hash", () => {
    const a = slug(`${"x".repeat(300)} a`);
    const b = slug(`${"x".repeat(300)} b`);
    expect(a.length).toBeLessThanOrEqual(SLUG_MAX);
    expect(a).toMatch(/^x+-[0-9a-f]{8}$/);
    expect(a).not.toBe(b);
    expect(slug(`${"x".repeat(300)} a`)).toBe(a);
    expect(slug("Intake & planning")).toBe("intake-and-planning");
  });

  test("U+FFFF, C1 controls and line separators in a phase title cannot break an agent's frontmatter", async () => {
    const dir = scratch("ffff");
    const title = "Intake \uffff\ufffe \u0085 \u009b \u2028 \ufdd0 end";
    writeFileSync(join(dir, "ffff.md"), spec(title));
    const result = await specc(["compile", "ffff.md", "--target", "claude-code", "--out", "out"], dir);
    expect(result.code, result.stderr).toBe(0);
    const agents = readdirSync(join(dir, "out/.claude/agents"));
    for (const name of agents) {
      const parts = splitFrontmatter(readFileSync(join(dir, "out/.claude/agents", name), "utf8"))!;
      // Only YAML-printable characters, so a strict reader accepts the document.
      expect(parts.yaml).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\ufdd0-\ufdef\ufffe\uffff]/);
      const fields = parseYaml(parts.yaml) as { name: string; description: string };
      expect(fields.name).toMatch(/^[a-z0-9-]+$/);
      expect(typeof fields.description).toBe("string");
    }
    const first = parseYaml(splitFrontmatter(readFileSync(join(dir, "out/.claude/agents", agents.find((name) => name.includes("intake"))!), "utf8"))!.yaml);
    expect(first.description).toContain("\uffff");
    // The printer itself: the value reads back exactly.
    const printed = frontmatter({ description: title, tools: [title] });
    expect(parseYaml(splitFrontmatter(`${printed}body\n`)!.yaml)).toEqual({ description: title, tools: [title] });
  });
});

describe("the forbidden-construct check reads code, not strings", () => {
  test("a spec that mentions Math.random(), require(\"fs\"), Date.now(), new Date() and import() compiles", async () => {
    const dir = scratch("mentions");
    const text = [
      'Never call `Math.random()` or `require("fs")`; use `Date.now()` or `new Date()` only in a note, never `import("x")` (R1).',
      "",
      'import fs from "fs"',
    ].join("\n");
    writeFileSync(join(dir, "mentions.md"), spec('Use Math.random() and require("fs") */ Date.now()', { text }));
    const result = await specc(["compile", "mentions.md", "--target", "claude-code", "--out", "out"], dir);
    expect(result.code, result.stderr).toBe(0);
    const workflow = readFileSync(join(dir, "out/.claude/workflows/emit-attack.js"), "utf8");
    expect(workflow).toContain("Math.random()");
    expect(await quickCheckWorkflow("w.js", workflow)).toEqual([]);
  });

  test("a real call in code is still refused, however it is spaced, commented or escaped", async () => {
    const refused: [string, string][] = [
      ["const x = Math.random();", "Math.random()"],
      ["const x = Math . random ( );", "Math.random()"],
      ["const x = Math/* hidden */.random();", "Math.random()"],
      ["const x = Math.r\\u0061ndom();", "Math.random()"],
      ['const fs = require ("fs");', "require()"],
      ["const t = Date.now();", "Date.now()"],
      ["const t = `${Date.now()}`;", "Date.now()"],
      ["const t = new Date();", "new Date()"],
      ["const t = new Date;", "new Date()"],
      ['const m = import("fs");', "import()"],
      ['import fs from "fs";', "an import statement"],
    ];
    for (const [code, name] of refused) {
      expect(forbiddenConstructs(`const a = 1;\n${code}\n`).map((found) => found.name), code).toContain(name);
    }
    const allowed = [
      'const s = "Math.random() and require(\\"fs\\")";',
      "const s = 'Date.now() new Date() import(\"x\")';",
      "const t = `Math.random() ${1 + 1} require('x')`;",
      "// Math.random() require(\"fs\")\n/* Date.now() new Date() */",
      "const r = /Math.random()/;",
      "const o = { import: 1, require: 2 }; o.require(1); o.import; x.Math.random();",
      "const d = new Date(0);",
    ];
    for (const code of allowed) expect(forbiddenConstructs(code), code).toEqual([]);
    const script = `export const meta = {\n  name: "w",\n  phases: [\n  ],\n};\nconst s = "Math.random()";\nconst x = Math.random();\n`;
    expect(await quickCheckWorkflow("w.js", script)).toEqual([{ path: "w.js", line: 7, message: "Unexpected Math.random(), expected none" }]);
  });
});

describe("compile writes inside --out, all or nothing, and fails in one line", () => {
  const ml = join(ROOT, "specs/ml-research.md");

  test("--out that is a file, /dev/null, or under a file ends in one line and exit 2, and nothing changes", async () => {
    const dir = scratch("out-file");
    writeFileSync(join(dir, "a-file"), "mine\n");
    expectOutputError(await specc(["compile", ml, "--target", "claude-code", "--out", "a-file"], dir), /not a directory/);
    expectOutputError(await specc(["compile", ml, "--target", "claude-code", "--out", "/dev/null"], dir), /not a directory/);
    expectOutputError(await specc(["compile", ml, "--target", "claude-code", "--out", "a-file/sub"], dir), /a file is in the way/);
    expectOutputError(await specc(["compile", ml, "--target", "claude-code", "--out", "a-file", "--check"], dir), /not a directory/);
    expect(readFileSync(join(dir, "a-file"), "utf8")).toBe("mine\n");
    expect(readdirSync(dir)).toEqual(["a-file"]);
  });

  test("a directory where a file goes, or a file where a directory goes: exit 2 and nothing written", async () => {
    const dir = scratch("in-the-way");
    mkdirSync(join(dir, "out/.claude/workflows/ml-research.js"), { recursive: true });
    const before = tree(join(dir, "out"));
    expectOutputError(await specc(["compile", ml, "--target", "claude-code", "--out", "out"], dir), /ml-research\.js.*a directory is in the way/);
    expect(tree(join(dir, "out"))).toEqual(before);
    expect(readdirSync(join(dir, "out/.claude"))).toEqual(["workflows"]);

    const other = scratch("file-for-dir");
    mkdirSync(join(other, "out"));
    writeFileSync(join(other, "out/.claude"), "a file\n");
    expectOutputError(await specc(["compile", ml, "--target", "claude-code", "--out", "out"], other), /`out\/\.claude` is a file, expected a directory/);
    expect(readdirSync(join(other, "out"))).toEqual([".claude"]);
  });

  test("a name too long for the file system: exit 2, no stack, nothing written", async () => {
    const dir = scratch("too-long");
    writeFileSync(join(dir, "long.md"), spec("Intake", { name: `a${"-b".repeat(150)}` }));
    const result = await specc(["compile", "long.md", "--target", "claude-code", "--out", "out"], dir);
    expectOutputError(result, /file name is 3\d\d bytes long, expected at most 255/);
    expect(existsSync(join(dir, "out"))).toBe(false);
  });

  test.skipIf(process.getuid?.() === 0)("a read-only --out: exit 2, nothing written", async () => {
    const dir = scratch("read-only");
    mkdirSync(join(dir, "out"));
    chmodSync(join(dir, "out"), 0o555);
    expectOutputError(await specc(["compile", ml, "--target", "claude-code", "--out", "out"], dir), /permission denied/);
    chmodSync(join(dir, "out"), 0o755);
    expect(readdirSync(join(dir, "out"))).toEqual([]);
  });

  test("a planted manifest listing ../outside.txt and paths through symbolic links deletes nothing outside --out", async () => {
    const dir = scratch("planted");
    const outside = join(dir, "outside");
    mkdirSync(outside);
    const bait = "Generated by specc: a file a person keeps outside --out\n";
    writeFileSync(join(dir, "outside.txt"), bait);
    writeFileSync(join(outside, "victim.md"), bait);
    writeFileSync(join(outside, "settings.json"), bait);
    const out = join(dir, "out");
    mkdirSync(join(out, ".specc"), { recursive: true });
    mkdirSync(join(out, ".claude/agents"), { recursive: true });
    symlinkSync(outside, join(out, ".claude/agents/linked"));
    symlinkSync(join(outside, "victim.md"), join(out, ".claude/agents/ml-research-old.md"));
    symlinkSync(join(outside, "settings.json"), join(out, ".claude/settings.json"));
    writeFileSync(join(out, ".specc/ml-research.manifest.json"), JSON.stringify({ files: ["../outside.txt", "/etc/hostname", ".claude/agents/linked/victim.md", ".claude/agents/ml-research-old.md", ".claude/agents/../../outside.txt"] }));
    const result = await specc(["compile", ml, "--target", "claude-code", "--out", "out"], dir);
    expect(result.code, result.stderr).toBe(0);
    expect(readFileSync(join(dir, "outside.txt"), "utf8")).toBe(bait);
    expect(readFileSync(join(outside, "victim.md"), "utf8")).toBe(bait);
    expect(readFileSync(join(outside, "settings.json"), "utf8")).toBe(bait); // the link was replaced, its target never written
    expect(lstatSync(join(out, ".claude/settings.json")).isFile()).toBe(true);
    expect(lstatSync(join(out, ".claude/agents/ml-research-old.md")).isSymbolicLink()).toBe(true);
    expect(result.stderr).toMatch(/kept .*ml-research-old\.md: no longer produced, but it is behind a symbolic link/);
    expect(result.stderr).not.toContain("removed");
    expect(readdirSync(out).filter((name) => name.startsWith(".specc-tmp"))).toEqual([]);
  });

  test("a symbolic link in place of .claude: exit 2, nothing written through it", async () => {
    const dir = scratch("linked-dir");
    mkdirSync(join(dir, "elsewhere"));
    mkdirSync(join(dir, "out"));
    symlinkSync(join(dir, "elsewhere"), join(dir, "out/.claude"));
    expectOutputError(await specc(["compile", ml, "--target", "claude-code", "--out", "out"], dir), /`out\/\.claude` is a symbolic link/);
    expect(readdirSync(join(dir, "elsewhere"))).toEqual([]);
    expect(readdirSync(join(dir, "out"))).toEqual([".claude"]);
  });

  test("any failed system call that escapes a command is one line and exit 2, never an internal error", () => {
    const error = Object.assign(new Error("ENOSPC: no space left on device, write\u2028injected line"), { code: "ENOSPC", syscall: "write" });
    const failure = describeFailure(error);
    expect(failure.exitCode).toBe(2);
    expect(failure.text).toBe("specc: error: ENOSPC: no space left on device, write injected line");
    expect(describeFailure(new SpeccError("compile: cannot write `a\nb`")).text).toBe("specc: error: compile: cannot write `a b`");
  });

  test("a failure at any rename leaves --out exactly as it was", () => {
    const files = [
      { path: "a/one.md", content: "new one\n" },
      { path: "b/two.md", content: "new two\n" },
      { path: "c/d/three.mjs", content: "new three\n", executable: true },
      { path: ".specc/x.manifest.json", content: JSON.stringify({ files: ["a/one.md", "b/two.md", "c/d/three.mjs"] }) },
    ];
    const io = { out: () => {}, err: () => {}, cwd: "/", color: false };
    /** An earlier compile's output: two files this one replaces, one it no longer produces. */
    const seed = (name: string): string => {
      const dir = scratch(name);
      for (const sub of ["a", "b", "old", ".specc"]) mkdirSync(join(dir, sub));
      writeFileSync(join(dir, "a/one.md"), "old one\n");
      writeFileSync(join(dir, "b/two.md"), "old two\n");
      writeFileSync(join(dir, "old/gone.md"), "<!-- Generated by specc -->\n");
      writeFileSync(join(dir, ".specc/x.manifest.json"), JSON.stringify({ files: ["a/one.md", "b/two.md", "old/gone.md"] }));
      return dir;
    };
    // A clean write, counting its renames.
    const clean = seed("rename-clean");
    let total = 0;
    writeFiles({ dir: clean, shown: "out" }, files, ".specc/x.manifest.json", io, { rename: (from, to) => (total++, renameSync(from, to)) });
    expect(readFileSync(join(clean, "c/d/three.mjs"), "utf8")).toBe("new three\n");
    expect(statSync(join(clean, "c/d/three.mjs")).mode & 0o111).not.toBe(0);
    expect(existsSync(join(clean, "old/gone.md"))).toBe(false);
    expect(readdirSync(clean).filter((name) => name.startsWith(".specc-tmp"))).toEqual([]);
    expect(total).toBeGreaterThanOrEqual(files.length + 1);
    // Then a failure at each of those renames in turn.
    for (let failAt = 1; failAt <= total; failAt++) {
      const dir = seed("rename");
      const before = tree(dir);
      let calls = 0;
      const rename = (from: string, to: string): void => {
        if (++calls === failAt) throw Object.assign(new Error(`EACCES: permission denied, rename '${from}' -> '${to}'`), { code: "EACCES", syscall: "rename" });
        renameSync(from, to);
      };
      let error: unknown = null;
      try {
        writeFiles({ dir, shown: "out" }, files, ".specc/x.manifest.json", io, { rename });
      } catch (caught) {
        error = caught;
      }
      expect(error, `rename ${failAt}`).toBeInstanceOf(SpeccError);
      expect((error as SpeccError).exitCode).toBe(2);
      expect((error as SpeccError).message).toMatch(/^compile: cannot write `out\/.*`: permission denied \(EACCES\); nothing was written$/);
      expect(tree(dir), `rename ${failAt}`).toEqual(before);
      expect(existsSync(join(dir, "c"))).toBe(false);
    }
  });
});


describe("realization is linear in rules × steps", () => {
  /** A spec IR skeleton with `count` phases and rules: rule i cites phase i (or nothing, when `uncited`). */
  function skeleton(count: number, uncited = false): SpecIR {
    const phases = Array.from({ length: count }, (_, index) => ({ id: `P${index}`, rules: uncited ? [] : [`R${index}`] }));
    const rules = Array.from({ length: count }, (_, index) => ({ id: `R${index}`, refs: uncited ? [] : [`P${index}`], params: [], strength: "MUST" }));
    return { phases, rules, contract: { guards: [] } } as unknown as SpecIR;
  }

  /** Steps whose every property read is counted. */
  function countedSteps(count: number): { steps: Reachable[]; reads: () => number } {
    let reads = 0;
    const steps = Array.from({ length: count }, (_, index) => {
      const step: Reachable = { id: `s${index}`, phases: [`P${index}`], capabilities: [], acting: true, hasAgents: true };
      return new Proxy(step, { get: (target, key) => (reads++, target[key as keyof Reachable]) });
    });
    return { steps, reads: () => reads };
  }

  test.each([false, true])("ruleReach reads each step a bounded number of times (rules name nothing: %s)", (uncited) => {
    for (const count of [50, 400]) {
      const { steps, reads } = countedSteps(count);
      const reach = ruleReach(skeleton(count, uncited), steps);
      expect(reads()).toBeLessThanOrEqual(12 * count); // the nested scan read rules × steps ≥ 160,000 at 400
      expect(reach.get("R7")).toEqual(uncited ? steps.map((step) => step.id) : ["s7"]);
    }
  });

  test("rulesByStep inverts the reach in rule order, one entry per rule and step", () => {
    const ir = skeleton(5, true);
    const reach = new Map([["R0", ["s1"]], ["R1", ["s0", "s1"]], ["R2", []], ["R3", ["s1"]], ["R4", ["s0"]]]);
    const byStep = rulesByStep(ir, reach);
    expect(byStep.get("s0")!.map((rule) => rule.id)).toEqual(["R1", "R4"]);
    expect(byStep.get("s1")!.map((rule) => rule.id)).toEqual(["R0", "R1", "R3"]);
    expect(byStep.has("s2")).toBe(false);
  });

  test("enforcementOf meets each profile binding once, not once per rule", () => {
    let reads = 0;
    const bindings = [
      { param: "order", where: "guard", by: ["order-guard"] },
      { refsGuard: "repetition", where: "guard", by: ["repetition"] },
      { param: "protected", where: "hook", by: ["spend-guard"] },
    ].map((binding) => new Proxy(binding, { get: (target, key) => (reads++, target[key as keyof typeof target]) }));
    const ir = skeleton(2000, true);
    ir.rules[5].params.push({ key: "order" } as never);
    const profile = { enforcement: bindings, jobs: undefined } as unknown as Profile;
    const pipeline = { steps: [], contract: { costCapUsd: null } } as unknown as Pipeline;
    const enforcement = enforcementOf(ir, profile, pipeline, new Map());
    expect(enforcement).toHaveLength(2000);
    expect(reads).toBeLessThanOrEqual(40); // one pass to index, a few reads for the one rule that matches
    expect(enforcement[5]).toMatchObject({ rule: "R5", where: "prompt" }); // no step runs the guard here
  });
});
