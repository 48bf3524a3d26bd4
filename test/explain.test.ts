// `specc explain`: golden tables (golden/explain/), every accounting entry listed once, lines within
// 100 columns, the same bytes on every run, and the failures.
import { describe, expect, test } from "vitest";
import { main } from "../cli/cli.js";
import { describeFailure } from "../cli/commands/common.js";
import { compile } from "../compiler/compile.js";
import { wrapText } from "../compiler/explain/table.js";
import { readSpec } from "../compiler/read-spec.js";
import { TARGETS } from "../targets/index.js";
import { compareGolden, staleGolden } from "./helpers/golden.js";
import { bundledSpecs, ROOT } from "./helpers/paths.js";
import { corpusSpecs } from "./helpers/spec.js";

const GOLDEN = `${ROOT}golden`;

/** `specc argv` in this process, as bin.ts runs it: stdout as printed (with its final newline). */
async function specc(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  let code: number;
  try {
    code = await main(argv, { out: (text) => out.push(`${text}\n`), err: (text) => err.push(`${text}\n`), cwd: ROOT, color: false });
  } catch (error) {
    const failure = describeFailure(error);
    err.push(`${failure.text}\n`);
    code = failure.exitCode;
  }
  return { code, stdout: out.join(""), stderr: err.join("") };
}

/** Golden tables: the canonical spec, and a corpus spec with reasons for a target without hooks. */
const GOLDENS: [string, string[]][] = [
  ["explain/ml-research.txt", ["specs/ml-research.md"]],
  ["explain/ml-research.node.txt", ["specs/ml-research.md", "--target", "node"]],
  ["explain/eval-only.reasons.txt", ["test/corpus/eval-only.md", "--reasons"]],
];

describe("golden tables (golden/explain/)", () => {
  test.each(GOLDENS)("%s", async (path, args) => {
    const { code, stdout } = await specc(["explain", ...args]);
    expect(code).toBe(0);
    const problem = compareGolden(GOLDEN, path, stdout);
    expect(problem, problem ?? "").toBeNull();
  });

  test("no stale golden files under golden/explain/", () => {
    const stale = staleGolden(GOLDEN, "explain", new Set(GOLDENS.map(([path]) => path)));
    expect(stale, stale.join("\n")).toEqual([]);
  });
});

describe("every spec", () => {
  const SPECS = [...bundledSpecs(), ...corpusSpecs().filter((spec) => /^test\/corpus\d*\//.test(spec))];

  test.each(SPECS)("%s: every element listed, within 100 columns, the same bytes twice", async (spec) => {
    const first = await specc(["explain", spec, "--reasons"]);
    expect(first.code, first.stderr).toBe(0);
    expect((await specc(["explain", spec, "--reasons"])).stdout).toBe(first.stdout);
    for (const line of first.stdout.split("\n")) expect(line.length, line).toBeLessThanOrEqual(100);
    const { pipeline } = await compile(readSpec(`${ROOT}${spec}`, { displayPath: spec }), { target: TARGETS.node, sourcePath: spec, speccVersion: "0.0.0" });
    const groups = first.stdout.split("\n\n").slice(1);
    for (const entry of pipeline!.accounting) {
      // An element's name may wrap inside its column; its first word starts a row of its group.
      const rows = groups.flatMap((group) => group.split("\n").filter((line) => line.startsWith(`  ${wrapText(entry.element, 28)[0]} `) || line === `  ${entry.element}`));
      expect(rows.length, `${spec}: ${entry.kind} ${entry.element}`).toBeGreaterThan(0);
    }
  });

  test("a rule shows where it is enforced; a hook the target does not emit says so", async () => {
    const plain = (await specc(["explain", "specs/ml-research.md"])).stdout;
    expect(plain).toMatch(/^ {2}R2 +kept +320 .* guard: checkScopeChange$/m);
    expect(plain).toMatch(/^ {2}R1 +kept +317 .* prompt only$/m);
    expect(plain).toMatch(/^ {2}R15 .* guard: decideApproval;\n.* hook: spend-guard$/m);
    const node = (await specc(["explain", "specs/ml-research.md", "--target", "node"])).stdout;
    expect(node).toMatch(/hook: spend-guard \(not in\n.* node\)$/m);
  });
});

describe("failures", () => {
  test.each([
    [["explain", "specs/nope.md"], 2, /^specc: error: cannot read specs\/nope\.md: no such file\n$/],
    [["explain", "specs"], 2, /^specc: error: cannot read specs: it is a directory/],
    [["explain", "specs/ml-research.md", "--target", "nope"], 2, /^specc: error: explain: unknown target `nope`/],
    [["explain"], 2, /^specc: error: explain: expected one spec file, got 0/],
    [["explain", "test/fixtures/diagnostics/SPC304-phase-gap.md"], 1, /error SPC304/],
  ] as const)("%j", async (args, exitCode, stderr) => {
    const result = await specc([...args]);
    expect(result.code).toBe(exitCode);
    expect(result.stderr).toMatch(stderr);
    expect(result.stdout).toBe("");
  });
});

describe("wrapText", () => {
  test("wraps at spaces, cuts a word longer than the width, keeps an empty cell one line", () => {
    expect(wrapText("a bb ccc dddd", 6)).toEqual(["a bb", "ccc", "dddd"]);
    expect(wrapText("abcdefghij", 4)).toEqual(["abcd", "efgh", "ij"]);
    expect(wrapText("", 4)).toEqual([""]);
  });
});
