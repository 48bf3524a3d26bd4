// `specc diff`: golden Markdown for the fixture pairs under test/fixtures/diff/, the properties
// (a spec against itself or a re-laid-out copy is no change; a diff read backwards is its
// inverse; a retitled phase is a rename), the Done-when case through the built CLI, and the
// failures that are one line and exit 2.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { VFile } from "vfile";
import { describe, expect, test } from "vitest";
import { main } from "../cli/cli.js";
import { describeFailure } from "../cli/commands/common.js";
import { realizeSpec } from "../compiler/compile.js";
import { diffSpecs, type Change, type DiffSide } from "../compiler/diff.js";
import { code, DESCRIBE } from "../compiler/diff/describe-change.js";
import { KINDS } from "../compiler/diff/kinds.js";
import { realizeSide } from "../compiler/diff/realize-side.js";
import { decode } from "../compiler/read-spec.js";
import { compareGolden, staleGolden } from "./helpers/golden.js";
import { bundledSpecs, ROOT } from "./helpers/paths.js";
import { corpusSpecs } from "./helpers/spec.js";

const GOLDEN = `${ROOT}golden`;
const BIN = join(ROOT, "dist/bin/specc.mjs");
const FIXTURES = "test/fixtures/diff";
const CANONICAL = "specs/ml-research.md";

/** Byte-exact against golden/diff/ (`npm run golden:update` accepts new output). */
function golden(path: string, actual: string): string | null {
  return compareGolden(GOLDEN, path, actual);
}

/** `specc argv` in this process, as bin.ts runs it: stdout as printed (with its final newline). */
async function specc(argv: string[], cwd = ROOT) {
  const out: string[] = [];
  const err: string[] = [];
  let code: number;
  try {
    code = await main(argv, { out: (text) => out.push(`${text}\n`), err: (text) => err.push(`${text}\n`), cwd, color: false });
  } catch (error) {
    const failure = describeFailure(error);
    err.push(`${failure.text}\n`);
    code = failure.exitCode;
  }
  return { code, stdout: out.join(""), stderr: err.join("") };
}

/** The built CLI, as a user (or a CI job) runs it. */
function built(args: string[], cwd = ROOT) {
  const result = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A spec text realized without target output: enough for every spec-level and pipeline-level change. */
function side(text: string, shown = "spec.md"): DiffSide | null {
  const realized = realizeSpec(new VFile({ path: shown, value: decode(new TextEncoder().encode(text), shown) }), { sourcePath: shown });
  return realized.ok ? { shown, ir: realized.ir, pipeline: realized.pipeline } : null;
}

function read(path: string): string {
  return readFileSync(`${ROOT}${path}`, "utf8");
}

/** Replace exactly one occurrence, so a fixture edit that stops matching fails loudly. */
function once(text: string, from: string, to: string): string {
  expect(text.split(from).length - 1, `expected one \`${from}\``).toBe(1);
  return text.replace(from, to);
}

const PAIRS = readdirSync(`${ROOT}${FIXTURES}`).sort();
const SPECS = [...bundledSpecs(), ...corpusSpecs().filter((spec) => /^test\/corpus\d*\//.test(spec))];

describe("golden Markdown (golden/diff/)", () => {
  const produced = new Set<string>();
  test.each(PAIRS)("%s", async (pair) => {
    const { code, stdout, stderr } = await specc(["diff", `${FIXTURES}/${pair}/old.md`, `${FIXTURES}/${pair}/new.md`]);
    expect(stderr).toBe("");
    expect(code).toBe(1);
    produced.add(`diff/${pair}.md`);
    const problem = golden(`diff/${pair}.md`, stdout);
    expect(problem, problem ?? "").toBeNull();
  });

  test("done-when as JSON", async () => {
    const { code, stdout } = await specc(["diff", `${FIXTURES}/done-when/old.md`, `${FIXTURES}/done-when/new.md`, "--format", "json"]);
    expect(code).toBe(1);
    produced.add("diff/done-when.json");
    const problem = golden("diff/done-when.json", stdout);
    expect(problem, problem ?? "").toBeNull();
    const parsed = JSON.parse(stdout) as { changes: Change[]; summary: Record<string, unknown> };
    expect(parsed.summary).toEqual({ old: `${FIXTURES}/done-when/old.md`, new: `${FIXTURES}/done-when/new.md`, total: 3, weakening: 1, loosened: 1, removal: 0, change: 1 });
  });

  test("no stale golden files under golden/diff/", () => {
    const stale = staleGolden(GOLDEN, "diff", produced);
    expect(stale, stale.join("\n")).toEqual([]);
  });
});

describe("the Done-when case, through the built CLI", () => {
  const scratch = mkdtempSync(join(tmpdir(), "specc-diff-"));
  const canonical = read(CANONICAL);
  const retitled = once(canonical, "### Phase 6: Monitoring and iteration", "### Phase 6: Monitoring and adjustment");
  const three = once(once(retitled, "**R4 (MUST).", "**R4 (SHOULD)."), "- max_iterations: 300\n- max_retries: 3", "- max_iterations: 300\n- max_retries: 5");
  writeFileSync(join(scratch, "three.md"), three);
  writeFileSync(join(scratch, "title.md"), retitled);

  test("one strength, one guard number and one phase title: exactly those three, weakening first, exit 1", () => {
    const { code, stdout, stderr } = built(["diff", CANONICAL, join(scratch, "three.md")]);
    expect(code, stderr).toBe(1);
    const bullets = stdout.split("\n").filter((line) => line.startsWith("- "));
    expect(bullets).toEqual([
      expect.stringMatching(/^- \*\*R4\*\* weakened: MUST → SHOULD \(`.*three\.md:329`\)$/),
      expect.stringMatching(/^- max retries loosened: 3 → 5 \(`.*three\.md:403`\)$/),
      expect.stringMatching(/^- \*\*Phase 6\*\* renamed: `Monitoring and iteration` → `Monitoring and adjustment` /),
    ]);
    expect(stdout).toMatch(/^## specc diff: .*\n\n3 changes: 1 weakening, 1 loosened, 0 removals, 1 other\.\n/);
    const json = JSON.parse(built(["diff", CANONICAL, join(scratch, "three.md"), "--format", "json"]).stdout) as { changes: Change[] };
    expect(json.changes.map((change) => [change.kind, change.severity, change.id])).toEqual([
      ["rule-weakened", "weakening", "R4"],
      ["limit-loosened", "loosened", "maxRetries"],
      ["phase-renamed", "change", "Phase 6"],
    ]);
  });

  test("--fail-on weakening: exit 1 with the weakening, exit 0 for the title alone (which without the flag is exit 1)", () => {
    expect(built(["diff", CANONICAL, join(scratch, "three.md"), "--fail-on", "weakening"]).code).toBe(1);
    expect(built(["diff", CANONICAL, join(scratch, "title.md"), "--fail-on", "weakening"]).code).toBe(0);
    expect(built(["diff", CANONICAL, join(scratch, "title.md")]).code).toBe(1);
  });

  test("a spec with errors: its diagnostics, nothing on stdout, exit 1 (with --fail-on too)", () => {
    for (const flags of [[], ["--fail-on", "weakening"]]) {
      const { code, stdout, stderr } = built(["diff", CANONICAL, "test/fixtures/diagnostics/SPC304-phase-gap.md", ...flags]);
      expect(code).toBe(1);
      expect(stderr).toMatch(/SPC304-phase-gap\.md:9:1: error SPC304 /);
      expect(stdout).toBe("");
    }
  });

  test("no semantic change: exit 0, with --fail-on too", () => {
    for (const flags of [[], ["--fail-on", "weakening"]]) {
      const { code, stdout } = built(["diff", CANONICAL, CANONICAL, ...flags]);
      expect(code).toBe(0);
      expect(stdout).toContain("No semantic changes.");
    }
  });

  test("a missing file, a directory, a bad git: rev, a bad flag: one line, exit 2, no stack trace", () => {
    const cases = [
      [["diff", "specs/nope.md", CANONICAL], /^specc: error: cannot read specs\/nope\.md: no such file\n$/],
      [["diff", "specs", CANONICAL], /^specc: error: cannot read specs: it is a directory, expected a Markdown file\n$/],
      [["diff", `git:no-such-rev:${CANONICAL}`, CANONICAL], /^specc: error: cannot read git:no-such-rev:specs\/ml-research\.md: invalid object name 'no-such-rev'\n$/],
      [["diff", "git:HEAD:specs/nope.md", CANONICAL], /^specc: error: cannot read git:HEAD:specs\/nope\.md: path 'specs\/nope\.md' does not exist in 'HEAD'\n$/],
      [["diff", "git:HEAD:specs", CANONICAL], /^specc: error: cannot read git:HEAD:specs: it is a directory, expected a Markdown file\n$/],
      [["diff", `git:--output=x:${CANONICAL}`, CANONICAL], /^specc: error: cannot read git:--output=x:.*: `--output=x` is not a git revision\n$/],
      [["diff", "git:HEAD", CANONICAL], /^specc: error: cannot read git:HEAD: expected git:<rev>:<path>/],
      [["diff", CANONICAL, CANONICAL, "--format", "html"], /^specc: error: diff: unknown --format `html`, expected one of md, json\n$/],
      [["diff", CANONICAL, CANONICAL, "--fail-on", "typo"], /^specc: error: diff: unknown --fail-on `typo`/],
      [["diff", CANONICAL, CANONICAL, "--target", "nope"], /^specc: error: diff: unknown target `nope`/],
    ] as const;
    for (const [args, expected] of cases) {
      const { code, stdout, stderr } = built([...args]);
      expect(code, `${args.join(" ")}: ${stderr}`).toBe(2);
      expect(stderr).toMatch(expected);
      expect(stderr).not.toMatch(/\n\s+at /);
      expect(stdout).toBe("");
    }
  });
});

describe("git:<rev>:<path>", () => {
  test("reads the committed version with git show, from a repository of its own", () => {
    const repo = mkdtempSync(join(tmpdir(), "specc-diff-git-"));
    const git = (...args: string[]) => {
      const result = spawnSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false", ...args], { cwd: repo, encoding: "utf8" });
      expect(result.status, result.stderr).toBe(0);
    };
    const text = read(CANONICAL);
    writeFileSync(join(repo, "spec.md"), text);
    git("init", "-q");
    git("add", "spec.md");
    git("commit", "-q", "-m", "spec");
    writeFileSync(join(repo, "spec.md"), once(text, "**R4 (MUST).", "**R4 (SHOULD)."));
    const { code, stdout } = built(["diff", "git:HEAD:spec.md", "spec.md", "--target", "node"], repo);
    expect(code).toBe(1);
    expect(stdout).toContain("## specc diff: `HEAD:spec.md` → `spec.md`");
    expect(stdout).toContain("- **R4** weakened: MUST → SHOULD (`spec.md:329`)");
  });
});

describe("properties", () => {
  test.each(SPECS)("%s against itself, and against a copy laid out otherwise, is no change", (spec) => {
    const text = read(spec).replace(/^\uFEFF/, "");
    const original = side(text)!;
    expect(diffSpecs(original, side(text)!)).toEqual([]);
    // Blank lines after every heading, CRLF, a BOM and a trailing space move every line: still no change.
    // (One space: two would be a hard line break, which the front end reads as no space at all.)
    const moved = `\uFEFF${text.replace(/^(#{1,6} .*)$/gm, "$1\n").replace(/\r?\n/g, " \r\n")}`;
    expect(diffSpecs(original, side(moved)!)).toEqual([]);
  });

  test.each(bundledSpecs())("%s against itself, with every target's output, is no change", async (spec) => {
    const text = read(spec);
    const options = { targets: ["claude-code", "node", "github-actions"], speccVersion: "0.0.0" };
    const [a, b] = await Promise.all([realizeSide({ text, shown: spec, sourcePath: spec }, options), realizeSide({ text, shown: spec, sourcePath: spec }, options)]);
    if (!a.ok || !b.ok) throw new Error(`${spec} does not realize`);
    expect(a.side.outputs?.size).toBe(3);
    expect(diffSpecs(a.side, b.side)).toEqual([]);
  });

  test("every kind has an inverse that leads back, a description, and added ⇔ removed, weakened ⇔ strengthened, loosened ⇔ tightened", () => {
    for (const [kind, info] of Object.entries(KINDS)) {
      expect(KINDS[info.inverse]?.inverse, kind).toBe(kind);
      expect(DESCRIBE[kind], kind).toBeTypeOf("function");
      const pairs = [["-added", "-removed"], ["-weakened", "-strengthened"], ["-loosened", "-tightened"], ["-raised", "-lowered"], ["-made-optional", "-made-required"]];
      for (const [a, b] of pairs) {
        if (kind.endsWith(a)) expect(info.inverse, kind).toBe(kind.slice(0, -a.length) + b);
        if (kind.endsWith(b)) expect(info.inverse, kind).toBe(kind.slice(0, -b.length) + a);
      }
    }
  });

  test("a diff read backwards is its inverse (random edits of random specs)", () => {
    const texts = SPECS.map((spec) => [spec, read(spec).replace(/^\uFEFF/, "").replace(/\r\n/g, "\n")] as const);
    let compared = 0;
    let changed = 0;
    fc.assert(
      fc.property(fc.constantFrom(...texts), fc.array(fc.tuple(fc.constantFrom(...Object.keys(EDITS)), fc.nat(40)), { minLength: 1, maxLength: 3 }), ([spec, text], edits) => {
        const edited = edits.reduce((current, [name, n]) => EDITS[name](current, n), text);
        const a = side(text, spec);
        const b = side(edited, spec);
        if (!a || !b) return; // an edit that breaks the spec has no diff to read backwards
        compared++;
        const forward = diffSpecs(a, b);
        const backward = diffSpecs(b, a);
        if (forward.length > 0) changed++;
        expect(backward.map(signature).sort()).toEqual(forward.map(inverted).sort());
      }),
      { numRuns: 60, seed: 11 },
    );
    expect(compared).toBeGreaterThan(30);
    expect(changed).toBeGreaterThan(compared / 2);
  });

  test.each(SPECS)("%s: each phase retitled is a rename, not a removal and an addition", (spec) => {
    const text = read(spec).replace(/^\uFEFF/, "").replace(/\r\n/g, "\n");
    const original = side(text)!;
    const lines = text.split("\n");
    for (const phase of original.ir.phases) {
      const heading = lines[phase.source.start.line - 1];
      const at = heading.lastIndexOf(phase.title);
      if (!heading.startsWith("#") || at === -1 || phase.kind === "loop") continue;
      const renamed = [...lines];
      renamed[phase.source.start.line - 1] = `${heading.slice(0, at)}${phase.title} revised${heading.slice(at + phase.title.length)}`;
      const changes = diffSpecs(original, side(renamed.join("\n"))!).filter((change) => KINDS[change.kind].area !== "pipeline");
      expect(changes, `${spec} ${phase.id}`).toEqual([{ kind: "phase-renamed", severity: "change", id: phase.id, from: phase.title, to: `${phase.title} revised`, where: `spec.md:${phase.source.start.line}` }]);
    }
  });
});

/** Kinds whose id names the element on one side only (the new title, the new step or agent name). */
const SIDED = new Set(["phase-reordered", "phase-renumbered", "step-renamed", "agent-tool-added", "agent-tool-removed"]);

function signature(change: Change): string {
  return JSON.stringify([change.kind, SIDED.has(change.kind) ? null : change.id, change.from, change.to, change.target]);
}

/** The change as the backward diff should report it: the inverse kind, from and to swapped. */
function inverted(change: Change): string {
  return JSON.stringify([KINDS[change.kind].inverse, SIDED.has(change.kind) ? null : change.id, change.to, change.from, change.target]);
}

/** The n-th match of `pattern` (modulo the count) replaced by `replace`; the text as is without a match. */
function nth(text: string, pattern: RegExp, n: number, replace: (match: string) => string): string {
  const matches = [...text.matchAll(pattern)];
  if (matches.length === 0) return text;
  const match = matches[n % matches.length];
  return text.slice(0, match.index) + replace(match[0]) + text.slice(match.index! + match[0].length);
}

/** Edits that change what a spec says: a strength, a number, a phase title, a removed or a new bullet. */
const EDITS: Record<string, (text: string, n: number) => string> = {
  strength: (text, n) => nth(text, /\b(?:MUST|SHOULD|MAY)\b(?! NOT)/g, n, (word) => (word === "MUST" ? "SHOULD" : word === "SHOULD" ? "MAY" : "MUST")),
  number: (text, n) => nth(text, /^- [a-z_]+: \d+$/gm, n, (line) => line.replace(/\d+$/, (digits) => String(Number(digits) * 2 + 1))),
  title: (text, n) => nth(text, /^#{2,4} (?:Phase|Step|Stage) \S+[:.] .+$/gm, n, (line) => `${line} revised`),
  dropBullet: (text, n) => nth(text, /^- [^\n]+\n(?=[-#\n])/gm, n, () => ""),
  addRequirement: (text, n) => nth(text, /^#{2,4} (?:Phase|Step|Stage) \S+[:.] .+\n\n/gm, n, (heading) => `${heading}- The agent MUST write down what it did.\n\n`),
};

describe("Markdown is safe to post as a comment", () => {
  test("spec text goes in code spans, fenced past its own backticks", () => {
    expect(code("@team <img src=x onerror=alert(1)>")).toBe("`@team <img src=x onerror=alert(1)>`");
    expect(code("a `b` c")).toBe("`` a `b` c ``");
    expect(code("")).toBe("(empty)");
  });

  test("a rule title with a mention and HTML is quoted, never bare", () => {
    const text = read(CANONICAL);
    const a = side(text)!;
    const b = side(once(text, "**R4 (MUST). Verify resources before relying on them.**", "**R4 (MUST). Ping @everyone <b>now</b>.**"))!;
    const [reworded] = diffSpecs(a, b);
    expect(reworded.kind).toBe("rule-reworded");
    expect(DESCRIBE[reworded.kind](reworded)).toMatch(/→ `Ping @everyone <b>now<\/b>\. Papers/);
  });
});

describe("output per target", () => {
  test("--target limits the compared output to one target; the pipeline is compared either way", async () => {
    const pair = [`${FIXTURES}/profile/old.md`, `${FIXTURES}/profile/new.md`];
    const node = await specc(["diff", ...pair, "--target", "node", "--format", "json"]);
    const all = await specc(["diff", ...pair, "--format", "json"]);
    const kinds = (stdout: string) => (JSON.parse(stdout) as { changes: Change[] }).changes.map((change) => change.kind);
    expect(kinds(node.stdout)).not.toContain("hook-added");
    expect(kinds(node.stdout)).toContain("profile-changed");
    expect(kinds(all.stdout)).toContain("hook-added");
    const backward = await specc(["diff", pair[1], pair[0], "--format", "json"]);
    const forward = (JSON.parse(all.stdout) as { changes: Change[] }).changes;
    expect((JSON.parse(backward.stdout) as { changes: Change[] }).changes.map(signature).sort()).toEqual(forward.map(inverted).sort());
    expect(kinds(backward.stdout)).toContain("hook-removed");
  });
});
