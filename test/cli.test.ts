import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { bundledSpecs, ROOT } from "./helpers/paths.js";

const BIN = join(ROOT, "dist/bin/specc.mjs");

/** Run the built CLI as a user would (npm test builds it first). */
function specc(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}) {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    cwd: options.cwd ?? ROOT,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1", ...options.env },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const scratch = mkdtempSync(join(tmpdir(), "specc-cli-"));
function write(name: string, content: string | Buffer): string {
  const path = join(scratch, name);
  writeFileSync(path, content);
  return path;
}

function expectOneCleanLine(stderr: string): void {
  expect(stderr).not.toMatch(/\n\s+at .*:\d+:\d+/); // no stack trace
  expect(stderr.split("\n")[0]).toMatch(/^specc: error: /);
}

describe("specc check", () => {
  test.each(bundledSpecs())("%s passes", (spec) => {
    const { code, stderr } = specc(["check", spec]);
    expect(code, stderr).toBe(0);
  });

  test("a dangling reference fails with a positioned, coded error", () => {
    const original = readFileSync(join(ROOT, "specs/ml-research.md"), "utf8");
    const path = write("dangling.md", `${original.trimEnd()}\n\nSee R99 and C77.\n`);
    const { code, stderr } = specc(["check", path], { cwd: scratch });
    expect(code).toBe(1);
    const lines = original.trimEnd().split("\n").length + 2;
    expect(stderr).toContain(`dangling.md:${lines}:5: error SPC302 Unexpected reference to undefined \`R99\``);
    expect(stderr).toContain(`dangling.md:${lines}:13: error SPC302 Unexpected reference to undefined \`C77\``);
    expect(stderr).toMatch(/hint: did you mean `R9`\?/);
  });

  test("--json prints the diagnostics as JSON", () => {
    const { code, stdout } = specc(["check", "test/fixtures/diagnostics/SPC304-phase-gap.md", "--json"]);
    expect(code).toBe(1);
    const messages = JSON.parse(stdout);
    expect(messages).toEqual([expect.objectContaining({ code: "SPC304", severity: "error", line: 9, column: 1, file: "test/fixtures/diagnostics/SPC304-phase-gap.md" })]);
  });

  test("warnings alone exit 0", () => {
    expect(specc(["check", "test/fixtures/diagnostics/SPC305-rule-no-strength.md"]).code).toBe(0);
  });
});

describe("specc check with several files", () => {
  test("checks them all; an unreadable one does not stop the others, and exit 2 wins", () => {
    const { code, stderr } = specc(["check", "specs/ml-research.md", "nope.md", "test/fixtures/diagnostics/SPC304-phase-gap.md"]);
    expect(code).toBe(2);
    expect(stderr).toContain("specs/ml-research.md: no problems");
    expect(stderr).toContain("specc: error: cannot read nope.md: no such file");
    expect(stderr).toContain("test/fixtures/diagnostics/SPC304-phase-gap.md: 1 error, 0 warnings, 0 notes");
  });
});

describe("compile from another directory", () => {
  test("writes the same files, so --check from a subdirectory finds them up to date", () => {
    const out = join(scratch, "out-cwd");
    expect(specc(["compile", "specs/ml-research.md", "--target", "claude-code", "--out", out]).code).toBe(0);
    const check = specc(["compile", "ml-research.md", "--target", "claude-code", "--out", out, "--check"], { cwd: join(ROOT, "specs") });
    expect(check.stderr).toMatch(/files are up to date\n$/);
    expect(check.code).toBe(0);
    expect(readFileSync(join(out, ".specc/ml-research.manifest.json"), "utf8")).toContain('"path": "specs/ml-research.md"');
  });
});

describe("bad input: one clear line and the documented exit code", () => {
  test("missing file", () => {
    const { code, stderr } = specc(["check", "nope.md"]);
    expect(code).toBe(2);
    expect(stderr.trim()).toBe("specc: error: cannot read nope.md: no such file");
  });

  test("a directory", () => {
    const { code, stderr } = specc(["check", "specs"]);
    expect(code).toBe(2);
    expect(stderr).toContain("it is a directory");
  });

  test("an empty file is a spec error", () => {
    const { code, stderr } = specc(["check", write("empty.md", "")], { cwd: scratch });
    expect(code).toBe(1);
    expect(stderr).toContain("empty.md:1:1: error SPC101");
  });

  test("a binary file", () => {
    const { code, stderr } = specc(["check", write("image.md", Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2]))]);
    expect(code).toBe(2);
    expectOneCleanLine(stderr);
    expect(stderr).toContain("looks binary");
  });

  test("non-UTF-8 text names the line", () => {
    const { code, stderr } = specc(["check", write("latin1.md", Buffer.concat([Buffer.from("# Title\n\ncaf"), Buffer.from([0xe9]), Buffer.from("\n")]))]);
    expect(code).toBe(2);
    expect(stderr).toContain("invalid UTF-8 on line 3");
  });

  test("a 5 MB spec is checked, not crashed on", () => {
    const phase = "### Phase 0: Intake\n\nRead the task and restate it.\n\n";
    const filler = "Some prose that goes on for a while, with words and more words.\n\n".repeat(80000);
    const path = write("big.md", `# Big\n\n## Workflow\n\n${phase}${filler}`);
    const { code, stderr } = specc(["check", path]);
    expect(code, stderr).toBe(0);
  });

  test("deeply nested lists", () => {
    const nested = Array.from({ length: 3000 }, (_, depth) => `${"  ".repeat(depth)}- level ${depth}`).join("\n");
    const { code, stderr } = specc(["check", write("nested.md", `# Nested\n\n## Workflow\n\n### Phase 0: Intake\n\n${nested}\n`)]);
    expect([0, 1, 2]).toContain(code);
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  test("a spec with no phases", () => {
    const { code, stderr } = specc(["check", write("nophase.md", "# Notes\n\nJust prose.\n")], { cwd: scratch });
    expect(code).toBe(1);
    expect(stderr).toContain("nophase.md:1:1: error SPC102");
  });

  test("an unknown command and an unknown flag", () => {
    expect(specc(["frobnicate"]).code).toBe(2);
    const flag = specc(["check", "specs/ml-research.md", "--jsn"]);
    expect(flag.code).toBe(2);
    expectOneCleanLine(flag.stderr);
  });
});

describe("specc ir, --help, --version", () => {
  test("ir prints the golden IR", () => {
    const { code, stdout } = specc(["ir", "specs/ml-research.md"]);
    expect(code).toBe(0);
    expect(`${stdout}`).toBe(readFileSync(join(ROOT, "golden/ml-research/ir.json"), "utf8"));
  });

  test("--help and --version", () => {
    expect(specc(["--help"]).stdout).toContain("Usage: specc <command>");
    const check = specc(["check", "--help"]);
    expect(check.code).toBe(0);
    expect(check.stdout).toContain("Usage: specc check <spec>...");
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
    expect(specc(["--version"]).stdout.trim()).toBe(pkg.version);
  });

  test("ir of a spec with errors prints the IR anyway and exits 1", () => {
    const { code, stdout, stderr } = specc(["ir", "test/fixtures/diagnostics/SPC304-phase-gap.md"]);
    expect(code).toBe(1);
    expect(JSON.parse(stdout)).toHaveProperty("phases");
    expect(stderr).toContain("error SPC304");
  });

  test("colors only when asked for by a terminal, never with NO_COLOR", () => {
    const { stderr } = specc(["check", "test/fixtures/diagnostics/SPC304-phase-gap.md"]);
    expect(stderr).not.toContain("\x1b[");
  });
});

mkdirSync(scratch, { recursive: true });

describe("the executable", () => {
  test("the build's V8 code cache is accepted by this Node, and a broken cache only slows the start", () => {
    // In a process with the loader's V8 flags (V8 checks a cache against them): the CLI's cache and
    // the workflow parser's, both written by the build.
    const probe = [
      'const { setFlagsFromString } = require("node:v8"); setFlagsFromString("--no-regexp-tier-up");',
      'const { readFileSync } = require("node:fs"); const Module = require("node:module"); const { Script } = require("node:vm");',
      "for (const file of process.argv.slice(1)) console.log(new Script(Module.wrap(readFileSync(file, 'utf8')), { filename: file, cachedData: readFileSync(file + '.cache') }).cachedDataRejected);",
    ].join("\n");
    const accepted = spawnSync(process.execPath, ["-e", probe, join(ROOT, "dist/bin/specc.cjs"), join(ROOT, "dist/bin/workflow-parser.cjs")], { encoding: "utf8" });
    expect(accepted.stdout.trim().split("\n"), accepted.stderr).toEqual(["false", "false"]);
    // A cache from another build (here: garbage) is rejected by V8 and the source compiled as usual.
    const copy = join(scratch, "bin");
    mkdirSync(copy, { recursive: true });
    for (const name of ["specc.mjs", "specc.cjs"]) writeFileSync(join(copy, name), readFileSync(join(ROOT, "dist/bin", name)));
    writeFileSync(join(copy, "specc.cjs.cache"), Buffer.alloc(4096, 7));
    const result = spawnSync(process.execPath, [join(copy, "specc.mjs"), "check", join(ROOT, "specs/ml-research.md")], { cwd: ROOT, encoding: "utf8" });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout + result.stderr).toContain("no problems");
  });
});
