import { basename } from "node:path";
import { describe, expect, test } from "vitest";
import { analyze } from "../compiler/analyze.js";
import { formatMessages } from "../compiler/diagnostics.js";
import { stableJson } from "../compiler/json.js";
import { readSpec } from "../compiler/read-spec.js";
import { compareGolden, staleGolden } from "./helpers/golden.js";
import { bundledSpecs, diagnosticFixtures, ROOT } from "./helpers/paths.js";

const GOLDEN = `${ROOT}golden`;

/** Every golden file this run produces, by path under golden/. */
function produce(): Map<string, string> {
  const files = new Map<string, string>();
  for (const spec of bundledSpecs()) {
    const { ir, file } = analyze(readSpec(`${ROOT}${spec}`, { displayPath: spec }));
    const name = basename(spec, ".md");
    files.set(`${name}/ir.json`, stableJson(ir));
    const messages = formatMessages(file, spec);
    if (messages) files.set(`${name}/messages.txt`, `${messages}\n`);
  }
  for (const fixture of diagnosticFixtures()) {
    const shown = `test/fixtures/diagnostics/${fixture}`;
    const { file } = analyze(readSpec(`${ROOT}${shown}`, { displayPath: shown }));
    files.set(`diagnostics/${basename(fixture, ".md")}.txt`, `${formatMessages(file, shown)}\n`);
  }
  return files;
}

describe("golden", () => {
  const files = produce();
  test.each([...files.keys()])("%s", (path) => {
    const problem = compareGolden(GOLDEN, path, files.get(path)!);
    expect(problem, problem ?? "").toBeNull();
  });

  test("no stale golden files", () => {
    const produced = new Set(files.keys());
    const stale = staleGolden(GOLDEN, ".", new Set([...produced].map((path) => `./${path}`)));
    expect(stale, stale.join("\n")).toEqual([]);
  });
});
