// The CLI in-process through `main()`: help for every command, `check` over several files, `ir` of
// a spec with errors, and the cwd-independent spec path written into generated files.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { main, usage } from "../cli/cli.js";
import { describeFailure, findUp } from "../cli/commands/common.js";
import { projectPath } from "../cli/commands/compile.js";
import { COMMANDS } from "../cli/commands/index.js";
import { ROOT } from "./helpers/paths.js";

/** Run `specc argv` from `cwd` as bin.ts does: a thrown failure becomes its line and exit code. */
async function specc(argv: string[], cwd = ROOT) {
  const out: string[] = [];
  const err: string[] = [];
  const io = { out: (text: string) => out.push(text), err: (text: string) => err.push(text), cwd, color: false };
  let code: number;
  try {
    code = await main(argv, io);
  } catch (error) {
    const failure = describeFailure(error);
    err.push(failure.text);
    code = failure.exitCode;
  }
  return { code, stdout: out.join("\n"), stderr: err.join("\n") };
}

const scratch = mkdtempSync(join(tmpdir(), "specc-cli-commands-"));
function write(name: string, content: string | Buffer): string {
  const path = join(scratch, name);
  writeFileSync(path, content);
  return path;
}

const GAP = "test/fixtures/diagnostics/SPC304-phase-gap.md";
const WARNING = "test/fixtures/diagnostics/SPC305-rule-no-strength.md";
const CLEAN = "specs/ml-research.md";

describe("--help", () => {
  test.each(COMMANDS.map((command) => command.name))("`specc %s --help` and `-h` print its usage and options to stdout, exit 0", async (name) => {
    for (const flag of ["--help", "-h"]) {
      const { code, stdout, stderr } = await specc([name, flag]);
      expect(code).toBe(0);
      expect(stderr).toBe("");
      expect(stdout).toMatch(new RegExp(`^Usage: specc ${name} `));
      expect(stdout).toContain("-h, --help");
      expect(stdout).toContain("Exit codes:");
    }
  });

  test("each flag a command parses is in its help", async () => {
    for (const command of COMMANDS) {
      const { stdout } = await specc(["help", command.name]);
      for (const flag of Object.keys(command.flags)) expect(stdout).toContain(`--${flag}`);
    }
  });

  test("--help wins over other arguments, even a bad flag", async () => {
    const { code, stdout } = await specc(["compile", "--nope", "--help"]);
    expect(code).toBe(0);
    expect(stdout).toContain("--target <target>");
  });

  test("`specc --help` lists every command from the registry", async () => {
    const { code, stdout } = await specc(["--help"]);
    expect(code).toBe(0);
    expect(stdout).toBe(usage());
    for (const command of COMMANDS) expect(stdout).toContain(`  ${command.name} ${command.args}`);
  });

  test("no command prints the usage to stderr and exits 2", async () => {
    const { code, stdout, stderr } = await specc([]);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toContain("Usage: specc <command>");
  });

  test("an unknown flag points at the command's help", async () => {
    const { code, stderr } = await specc(["check", CLEAN, "--jsn"]);
    expect(code).toBe(2);
    expect(stderr).toBe("specc: error: check: Unknown option '--jsn'\n  hint: run `specc check --help`");
  });

  test("help for an unknown command", async () => {
    const { code, stderr } = await specc(["help", "frobnicate"]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^specc: error: unknown command `frobnicate`/);
  });
});

describe("specc check with several files", () => {
  test("each file's diagnostics then its summary line, in argument order", async () => {
    const { code, stderr } = await specc(["check", CLEAN, GAP, WARNING]);
    expect(code).toBe(1);
    const summaries = stderr.split("\n").filter((line) => /: (no problems|\d+ errors?, )/.test(line));
    expect(summaries).toEqual([`${CLEAN}: no problems`, `${GAP}: 1 error, 0 warnings, 0 notes`, `${WARNING}: 0 errors, 1 warning, 0 notes`]);
    expect(stderr.indexOf(`${GAP}:9:1: error SPC304`)).toBeLessThan(stderr.indexOf(`${GAP}: 1 error`));
  });

  test("clean and warning-only files exit 0", async () => {
    expect((await specc(["check", CLEAN, WARNING])).code).toBe(0);
  });

  test("an unreadable file prints its one line, the others are still checked, and exit 2 wins over 1", async () => {
    const binary = write("binary.md", Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1]));
    const { code, stderr } = await specc(["check", "nope.md", GAP, "specs", binary, CLEAN]);
    expect(code).toBe(2);
    const lines = stderr.split("\n");
    expect(lines).toContain("specc: error: cannot read nope.md: no such file");
    expect(lines).toContain("specc: error: cannot read specs: it is a directory, expected a Markdown file");
    expect(lines.some((line) => line.includes("looks binary"))).toBe(true);
    expect(lines).toContain(`${GAP}: 1 error, 0 warnings, 0 notes`);
    expect(lines).toContain(`${CLEAN}: no problems`);
  });

  test("an unreadable file next to clean ones exits 2", async () => {
    expect((await specc(["check", CLEAN, "nope.md"])).code).toBe(2);
  });

  test("--json prints one array of every file's messages, each naming its file", async () => {
    const { code, stdout, stderr } = await specc(["check", "--json", GAP, CLEAN, WARNING]);
    expect(code).toBe(1);
    expect(stderr).toBe("");
    const messages = JSON.parse(stdout) as { file: string; code: string; severity: string }[];
    expect(messages.map(({ file, code, severity }) => [file, code, severity])).toEqual([
      [GAP, "SPC304", "error"],
      [WARNING, "SPC305", "warning"],
    ]);
    expect(Object.keys(messages[0]).sort()).toEqual(["code", "column", "endColumn", "endLine", "file", "hint", "line", "message", "severity", "url"]);
  });

  test("--json keeps stdout valid JSON when a file cannot be read", async () => {
    const { code, stdout, stderr } = await specc(["check", "--json", "nope.md", CLEAN]);
    expect(code).toBe(2);
    expect(JSON.parse(stdout)).toEqual([]);
    expect(stderr).toBe("specc: error: cannot read nope.md: no such file");
  });

  test("no file is a usage error", async () => {
    const { code, stderr } = await specc(["check", "--json"]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^specc: error: check: expected at least one spec file\n  hint: /);
  });

  test("paths are shown relative to the working directory", async () => {
    const { stderr } = await specc(["check", "../test/fixtures/diagnostics/SPC304-phase-gap.md"], join(ROOT, "specs"));
    expect(stderr).toContain("../test/fixtures/diagnostics/SPC304-phase-gap.md:9:1: error SPC304");
  });
});

describe("specc ir", () => {
  test("a spec with errors still prints its IR on stdout, diagnostics on stderr, exit 1", async () => {
    const { code, stdout, stderr } = await specc(["ir", GAP]);
    expect(code).toBe(1);
    expect(JSON.parse(stdout)).toHaveProperty("phases");
    expect(stderr).toContain(`${GAP}:9:1: error SPC304`);
  });

  test("warnings go to stderr and exit 0", async () => {
    const { code, stdout, stderr } = await specc(["ir", WARNING]);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toBeTypeOf("object");
    expect(stderr).toContain("warning SPC305");
  });

  test("an empty spec has no IR: diagnostics only, exit 1", async () => {
    const { code, stdout, stderr } = await specc(["ir", write("empty.md", "")], scratch);
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toContain("empty.md:1:1: error SPC101");
  });

  test("one spec only", async () => {
    const { code, stderr } = await specc(["ir", CLEAN, GAP]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^specc: error: ir: expected one spec file, got 2/);
  });
});

describe("the spec path written into generated files", () => {
  test("is relative to the project root, whatever the working directory", async () => {
    const out = join(scratch, "out");
    const first = await specc(["compile", "specs/ml-research.md", "--target", "claude-code", "--out", out]);
    expect(first.code, first.stderr).toBe(0);
    const manifest = readFileSync(join(out, ".specc/ml-research.manifest.json"), "utf8");
    expect(manifest).toContain('"path": "specs/ml-research.md"');
    const check = await specc(["compile", "ml-research.md", "--target", "claude-code", "--out", out, "--check"], join(ROOT, "specs"));
    expect(check.stderr).toMatch(/files are up to date$/);
    expect(check.code).toBe(0);
  });

  test("the nearest .git wins over a nearer package.json", () => {
    const repo = join(scratch, "repo");
    mkdirSync(join(repo, ".git"), { recursive: true });
    mkdirSync(join(repo, "pkg", "specs"), { recursive: true });
    writeFileSync(join(repo, "pkg", "package.json"), "{}");
    expect(projectPath(join(repo, "pkg", "specs", "a.md"))).toBe("pkg/specs/a.md");
  });

  test("a .git file (a worktree) marks a root too", () => {
    const worktree = join(scratch, "worktree");
    mkdirSync(join(worktree, "docs"), { recursive: true });
    writeFileSync(join(worktree, ".git"), "gitdir: elsewhere\n");
    expect(projectPath(join(worktree, "docs", "a.md"))).toBe("docs/a.md");
  });

  // The two below need a temp dir outside any project; skipped where that is not so.
  test.skipIf(findUp(scratch, ".git") !== null)("without .git, the nearest package.json", () => {
    const pkg = join(scratch, "plain");
    mkdirSync(join(pkg, "specs"), { recursive: true });
    writeFileSync(join(pkg, "package.json"), "{}");
    expect(projectPath(join(pkg, "specs", "a.md"))).toBe("specs/a.md");
  });

  test.skipIf(findUp(scratch, ".git") !== null || findUp(scratch, "package.json") !== null)("in no project at all, the file name", () => {
    expect(projectPath(join(scratch, "loose.md"))).toBe("loose.md");
  });
});
