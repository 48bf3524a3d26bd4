import { existsSync, readFileSync } from "node:fs";
import { basename } from "node:path";
import { describe, expect, test } from "vitest";
import { compile } from "../compiler/compile.js";
import { TARGETS } from "../targets/index.js";
import { analyze } from "../compiler/analyze.js";
import { formatMessages } from "../compiler/diagnostics.js";
import { stableJson } from "../compiler/json.js";
import { readSpec } from "../compiler/read-spec.js";
import { outline } from "../compiler/outline.js";
import { compareGolden, listFiles, staleGolden } from "./helpers/golden.js";
import { corpusSpecs } from "./helpers/spec.js";
import { bundledSpecs, diagnosticFixtures, ROOT } from "./helpers/paths.js";

const GOLDEN = `${ROOT}golden`;

/** Golden folders other test files own (the semantic diff, the mapping table, the graphs). */
const OWNED_ELSEWHERE = ["diff", "explain", "graph"];

/** Corpus specs whose whole claude-code output is golden: a post-mortem and a newsletter, no provider. */
const NEUTRAL_GOLDEN = ["test/corpus/postmortem.md", "test/corpus/newsletter.md"];

const VERSION = (JSON.parse(readFileSync(`${ROOT}package.json`, "utf8")) as { version: string }).version;

/** Every golden file this run produces, by path under golden/. */
async function produce(): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const profile = undefined; // chosen from the spec's bindings, as the CLI does
  for (const spec of bundledSpecs()) {
    const { ir, file } = analyze(readSpec(`${ROOT}${spec}`, { displayPath: spec }));
    const name = basename(spec, ".md");
    files.set(`${name}/ir.json`, stableJson(ir));
    const messages = formatMessages(file, spec);
    if (messages) files.set(`${name}/messages.txt`, `${messages}\n`);
    files.set(`${name}/outline.txt`, `${outline(ir!)}\n`);
    for (const [targetName, target] of Object.entries(TARGETS)) {
      const result = await compile(readSpec(`${ROOT}${spec}`, { displayPath: spec }), { target, profile, sourcePath: spec, speccVersion: VERSION });
      for (const output of result.files) files.set(`${name}/${targetName}/${output.path}`, output.content);
    }
  }
  // Specs in other authors' styles: what was read (IR), how (outline) and what was said (messages).
  for (const spec of corpusSpecs()) {
    const { ir, file } = analyze(readSpec(`${ROOT}${spec}`, { displayPath: spec }));
    const round = spec.startsWith("test/corpus/") ? "" : spec.startsWith("test/corpus2/") ? "second-round/" : spec.startsWith("test/corpus3/") ? "third-round/" : "front-end/";
    const name = `corpus/${round}${basename(spec, ".md")}`;
    files.set(`${name}/ir.json`, stableJson(ir));
    files.set(`${name}/outline.txt`, `${outline(ir!)}\n`);
    const messages = formatMessages(file, spec);
    if (messages) files.set(`${name}/messages.txt`, `${messages}\n`);
    // Two neutral realizations in full, so a change to what a spec without a provider becomes shows in review.
    if (NEUTRAL_GOLDEN.includes(spec)) {
      const result = await compile(readSpec(`${ROOT}${spec}`, { displayPath: spec }), { target: TARGETS["claude-code"], sourcePath: spec, speccVersion: VERSION });
      for (const output of result.files) files.set(`${name}/claude-code/${output.path}`, output.content);
    }
  }
  for (const fixture of diagnosticFixtures()) {
    const shown = `test/fixtures/diagnostics/${fixture}`;
    const { file } = analyze(readSpec(`${ROOT}${shown}`, { displayPath: shown }));
    files.set(`diagnostics/${basename(fixture, ".md")}.txt`, `${formatMessages(file, shown)}\n`);
  }
  return files;
}

const files = await produce();

describe("golden", () => {
  test.each([...files.keys()])("%s", (path) => {
    const problem = compareGolden(GOLDEN, path, files.get(path)!);
    expect(problem, problem ?? "").toBeNull();
  });

  test("no stale golden files", () => {
    const produced = new Set(files.keys());
    // Each of these folders is compared, and accepted, by its own test file.
    const foreign = OWNED_ELSEWHERE.flatMap((dir) => (existsSync(`${GOLDEN}/${dir}`) ? listFiles(`${GOLDEN}/${dir}`).map((path) => `./${dir}/${path}`) : []));
    const stale = staleGolden(GOLDEN, ".", new Set([...[...produced].map((path) => `./${path}`), ...foreign]));
    expect(stale, stale.join("\n")).toEqual([]);
  });
});
