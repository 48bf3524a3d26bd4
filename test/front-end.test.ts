import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { compile } from "../compiler/compile.js";
import { formatMessages } from "../compiler/diagnostics.js";
import { readSpec } from "../compiler/read-spec.js";
import { TARGETS } from "../targets/index.js";
import type { SpecIR } from "../compiler/ir.js";
import { bundledSpecs, ROOT } from "./helpers/paths.js";
import { analyzeText, contractNumbers, corpusSpecs, expectationOf, uncoveredBlocks } from "./helpers/spec.js";

const read = (spec: string): string => readFileSync(`${ROOT}${spec}`, "utf8");

describe("specs written in other authors' styles are read as their authors meant", () => {
  test.each(corpusSpecs())("%s", (spec) => {
    const { ir, file } = analyzeText(read(spec), spec);
    const expected = expectationOf(spec);
    const errors = file.messages.filter((message) => message.fatal === true);
    expect(errors, formatMessages(file, spec)).toEqual([]);
    expect(ir!.phases.filter((phase) => phase.kind === "phase").map((phase) => ({ number: phase.number, title: phase.title }))).toEqual(expected.phases);
    expect(ir!.rules.map((rule) => ({ id: rule.id, strength: rule.strength }))).toEqual(expected.rules);
    expect(ir!.capabilities.map((capability) => capability.id)).toEqual(expected.capabilities ?? []);
    const numbers = contractNumbers(ir!);
    for (const [key, value] of Object.entries(expected.contract ?? {})) expect(numbers[key], `contract ${key}`).toBe(value);
  });
});

describe("every corpus spec compiles, with warnings at most", () => {
  test.each(corpusSpecs())("%s", async (spec) => {
    const profile = undefined; // chosen from the spec's bindings, as the CLI does
    const result = await compile(readSpec(`${ROOT}${spec}`, { displayPath: spec }), { target: TARGETS["claude-code"], profile, sourcePath: spec, speccVersion: "test" });
    expect(result.problems).toEqual([]);
    expect(result.files.length).toBeGreaterThan(0);
  });
});

describe("the failures that were silent are now read, or said aloud", () => {
  test("look-alike ids in prose and ids in backticks are words, not references", () => {
    const spec = "test/fixtures/front-end/look-alike-ids.md";
    const { ir } = analyzeText(read(spec), spec);
    const refs = new Set(allRefs(ir!));
    for (const word of expectationOf(spec).notRefs ?? []) expect(refs.has(word), word).toBe(false);
  });

  test("an explicit reference to an undefined id is still an error, with its did-you-mean", () => {
    const { file } = analyzeText("# T\n\n## Rules\n\n- **R1 (MUST). Log.** Log every query.\n\n## Workflow\n\n### Phase 1: Search\n\nSearch (see R9, C3 is not ours).\n");
    expect(formatMessages(file, "t.md")).toContain("error SPC302 Unexpected reference to undefined `R9`");
    expect(formatMessages(file, "t.md")).not.toContain("`C3`");
  });

  test("a huge phase number in prose is bounded: no loop, no reference", () => {
    const started = performance.now();
    const { ir, file } = analyzeText("# T\n\n## Workflow\n\n### Phase 1: Go\n\nsee Phase 9007199254740992 and Phases 1–99999999999999999999.\n");
    expect(performance.now() - started).toBeLessThan(1000);
    expect(file.messages.filter((message) => message.fatal === true)).toEqual([]);
    expect(ir!.phases[0].refs).toEqual([]);
  });

  test("a rule that cites a phase reaches that phase: linked both ways", () => {
    const { ir } = analyzeText("# T\n\n## Workflow\n\n### Phase 1: Search\n\nSearch.\n\n### Phase 2: Read\n\nRead.\n\n## Rules\n\n- **R1.** Sources MUST be verified before use (Phase 2).\n");
    expect(ir!.rules[0].refs).toEqual(["Phase 2"]);
    expect(ir!.phases.map((phase) => phase.rules)).toEqual([[], ["R1"]]);
  });

  test("a table that re-lists rules attaches its cells to those rules, and its place is kept", () => {
    const text = "# T\n\n## Workflow\n\n### Phase 1: Go\n\nGo.\n\n## Rules\n\n- **R1.** The agent MUST log.\n- **R2.** The agent SHOULD cite.\n\n| rule | enforced by |\n| --- | --- |\n| R1 | the journal |\n| R2 | the critic |\n";
    const { ir, file } = analyzeText(text);
    expect(ir!.rules.map((rule) => rule.text)).toEqual(["enforced by: the journal", "enforced by: the critic"]);
    expect(ir!.rules).toHaveLength(2);
    expect(file.messages).toEqual([]);
    expect(uncoveredBlocks(text, ir!)).toEqual([]);
  });

  test("normative text that lands in docs is a warning naming what it looks like", () => {
    const { file } = analyzeText("# T\n\nThe agent MUST log.\n\n## Workflow\n\n### Phase 1: Go\n\nGo.\n\n## Escalation\n\nR4 — the lead SHOULD be paged.\n");
    const text = formatMessages(file, "t.md");
    expect(text).toContain("warning SPC110 Unexpected requirement (`MUST`) in `Overview`");
    expect(text).toContain("warning SPC110 Unexpected element `R4` in `Escalation`");
  });

  test("a resolved cost cap is never looser than one the spec states, wherever it is stated", () => {
    const base = "# T\n\n## Workflow\n\n### Phase 1: Go\n\nGo.\n\n";
    const cases: [string, number][] = [
      ["## Control contract\n\n- cost_cap_usd: 2\n", 2],
      ["## Control contract\n\n### 6.1 Spend on research compute\n\n- cost_cap_usd: 5\n", 5],
      ["## Rules\n\n- **R1.** The run MUST NOT spend more than 4 USD.\n\n## Budget\n\n- cost_cap_usd: 10\n", 4],
      ["## Limits\n\nThe run has a budget of $7.\n", 7],
    ];
    for (const [tail, cap] of cases) expect(contractNumbers(analyzeText(base + tail).ir!).costCapUsd, tail).toBe(cap);
  });

  test("out-of-range and prototype-named values are diagnostics, not crashes", () => {
    const { file } = analyzeText(
      "# T\n\n## Workflow\n\n### Phase 1: Go\n\nGo.\n\n## Control contract\n\n### Bounded iteration\n\n- max_iterations: -1\n- constructor: 3\n\n### Repetition guard\n\n- cycle_length: 2–999999999999\n\n### Research budget\n\n- max_steps: -4\n\n### Spend\n\n- cost cap usd: -5\n",
    );
    const codes = file.messages.map((message) => `${message.line}:${message.ruleId}`);
    expect(codes).toEqual(expect.arrayContaining(["13:SPC309", "18:SPC309", "22:SPC309", "26:SPC309"]));
  });
});

describe("inputs past the parser's budgets are one positioned error, read in well under a second", () => {
  const phase = "# T\n\n## Workflow\n\n### Phase 1: Go\n\nGo.\n\n";
  const cases: [string, string, RegExp][] = [
    ["a 20,000-cell table", `${phase}| a | b |\n| --- | --- |\n${"| x | y |\n".repeat(7000)}`, /error SPC105 Unexpected 10,0\d\d table cells, expected at most 10,000/],
    ["paragraphs of emphasis markers", `${phase}${`${"*".repeat(600)}x${"*".repeat(600)}\n\n`.repeat(40)}`, /error SPC105 Unexpected emphasis markers worth [\d,]+ \(per paragraph, squared, summed\), expected at most 20,000,000/],
    ["deep staircases, repeated", `${phase}${`${Array.from({ length: 40 }, (_, depth) => `${"  ".repeat(depth)}- level ${depth}`).join("\n")}\n\n`.repeat(20)}`, /error SPC105 Unexpected nested list and quote lines worth [\d,]+/],
  ];
  test.each(cases)("%s", (_, text, expected) => {
    const started = performance.now();
    const { ir, file } = analyzeText(text);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(ir).toBeNull();
    expect(formatMessages(file, "t.md")).toMatch(expected);
  });

  test("a line of backticks with text after them is not a fence: the budget still counts what follows", () => {
    const { file } = analyzeText(`${phase}${"`".repeat(4)}x${"`".repeat(4)}\n\n| a | b |\n| --- | --- |\n${"| x | y |\n".repeat(7000)}`);
    expect(formatMessages(file, "t.md")).toContain("SPC105");
  });

  test("a real spec is far inside every budget", () => {
    for (const spec of bundledSpecs()) expect(analyzeText(read(spec), spec).ir, spec).not.toBeNull();
  });
});

describe("nothing is lost: every block ends in an element, an element's text, or docs", () => {
  const specs = [...bundledSpecs(), ...corpusSpecs()];
  test.each(specs)("%s", (spec) => {
    const text = read(spec);
    const { ir } = analyzeText(text, spec);
    const uncovered = uncoveredBlocks(text, ir!);
    expect(uncovered, `blocks in no element or doc: lines ${uncovered.join(", ")}`).toEqual([]);
  });
});

/** Every reference of every element in the IR. */
function allRefs(ir: SpecIR): string[] {
  const refs: string[] = [];
  JSON.stringify(ir, (key, value: unknown) => {
    if (key === "refs" && Array.isArray(value)) refs.push(...(value as string[]));
    return value;
  });
  return refs;
}

describe("hard line breaks", () => {
  test("two trailing spaces or a backslash before a newline separate words, as a space", () => {
    for (const hard of ["  \n", "\\\n"]) {
      const { ir } = analyzeText(`---\nname: hb\n---\n# T\n## Workflow\n### Phase 0: A\nDo it.\n## Rules\n- **R1** The agent MUST${hard}independently check.\n`);
      expect(ir!.rules[0].title, JSON.stringify(hard)).toBe("The agent MUST independently check");
    }
  });
});

describe("code spans stay code in the text agents read", () => {
  const spec = [
    "# Spec",
    "",
    "## Rules",
    "",
    "- **R1.** The trainer MUST read the `messages` column, never `text`.",
    "- R2: The runner MUST call `a: b` first. Then it SHOULD stop.",
    "- `GR-3` The shell MUST NOT run ``rm -rf `pwd` `` anywhere.",
    "",
  ].join("\n");

  test("a rule's text keeps its code spans; an id written as code is still its id; a colon in code splits nothing", () => {
    const { ir } = analyzeText(spec);
    const rules = Object.fromEntries(ir!.rules.map((rule) => [rule.id, rule]));
    expect(rules.R1.title + rules.R1.text).toContain("`messages` column, never `text`");
    expect(rules.R2.text + rules.R2.title).toContain("`a: b`");
    expect(rules.R2.title).toBe("The runner MUST call `a: b` first");
    expect(rules["GR-3"].text + rules["GR-3"].title).toContain("``rm -rf `pwd` ``");
    expect(rules["GR-3"].title).not.toContain("GR-3");
  });
});
