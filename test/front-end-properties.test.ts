import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { bundledSpecs, ROOT } from "./helpers/paths.js";
import { analyzeText, corpusSpecs, uncoveredBlocks, withoutPositions } from "./helpers/spec.js";

/** Rewrites that change how a spec is written, never what it says. */
const TRANSFORMS: Record<string, (text: string) => string> = {
  crlf: (text) => text.replace(/\r?\n/g, "\r\n"),
  bom: (text) => `\uFEFF${text}`,
  stage: (text) => text.replace(/^(#{2,6}\s+(?:§?[\d.]+\s+)?)(?:Phase|Step)(\s+\d+)/gm, "$1Stage$2"),
  step: (text) => text.replace(/^(#{2,6}\s+(?:§?[\d.]+\s+)?)(?:Phase|Stage)(\s+\d+)/gm, "$1Step$2"),
  // `## 5. Hard rules` ↔ `## 5 Hard rules` ↔ `## §5 Hard rules`: the same number, written otherwise.
  numberDot: (text) => text.replace(/^(#{2,6}\s+)(\d+)\s+(?=[A-Z])/gm, "$1$2. "),
  numberSection: (text) => text.replace(/^(#{2,6}\s+)(\d+)\.?\s+(?=[A-Z])/gm, "$1§$2 "),
  plainIds: (text) => text.replace(/\*\*([PCRD]\d+)(\.?)\*\*/g, "$1$2"),
  colonAfterId: (text) => text.replace(/^((?:- )?(?:\*\*)?[PCRD]\d+(?:\*\*)?) — /gm, "$1: "),
  rulesAsParagraphs,
  swapTableColumns,
};

/**
 * Swap the last two columns of element and binding tables (id column first, at least three
 * columns). Parameter tables are left alone: their column order is data (`timeout_by_size`).
 */
function swapTableColumns(text: string): string {
  let swapping = false;
  return text
    .split("\n")
    .map((line) => {
      if (!/^\|.*\|\s*$/.test(line)) {
        swapping = false;
        return line;
      }
      const cells = line.split("|").slice(1, -1);
      if (!swapping) swapping = cells.length >= 3 && /^\s*(#|id|capability|no\.?)\s*$/i.test(cells[0]);
      if (!swapping) return line;
      [cells[cells.length - 2], cells[cells.length - 1]] = [cells[cells.length - 1], cells[cells.length - 2]];
      return `|${cells.join("|")}|`;
    })
    .join("\n");
}

/** A list whose every item is one id-led rule paragraph becomes paragraphs, when a heading follows it. */
function rulesAsParagraphs(text: string): string {
  const lines = text.split("\n");
  const out: string[] = [];
  for (let index = 0; index < lines.length; index++) {
    const start = index;
    while (index < lines.length && (/^- (\*\*)?R\d+/.test(lines[index]) || (index > start && /^ {2}\S/.test(lines[index])))) index++;
    const run = lines.slice(start, index);
    const next = lines.slice(index).find((line) => line.trim() !== "");
    if (run.length > 0 && (next === undefined || next.startsWith("#"))) {
      for (const line of run) out.push(...(line.startsWith("- ") ? ["", line.slice(2)] : [line.slice(2)]));
      index -= 1;
      continue;
    }
    out.push(...run);
    if (index < lines.length && run.length === 0) out.push(lines[index]);
    else index -= 1;
  }
  return out.join("\n");
}

const SPECS = [...bundledSpecs(), ...corpusSpecs()].map((spec) => [spec, readFileSync(`${ROOT}${spec}`, "utf8").replace(/^\uFEFF/, "").replace(/\r\n/g, "\n")] as const);

describe("the IR, positions aside, does not depend on how a spec is written", () => {
  test.each(Object.keys(TRANSFORMS))("%s alone, on every spec", (name) => {
    for (const [spec, text] of SPECS) {
      const before = withoutPositions(analyzeText(text, spec).ir!);
      const after = withoutPositions(analyzeText(TRANSFORMS[name](text), spec).ir!);
      expect(after, `${name} changed what ${spec} says`).toEqual(before);
    }
  });

  test("any combination of them", () => {
    fc.assert(
      fc.property(fc.constantFrom(...SPECS), fc.subarray(Object.keys(TRANSFORMS), { minLength: 2 }), ([spec, text], names) => {
        const changed = names.reduce((current, name) => TRANSFORMS[name](current), text);
        const { ir } = analyzeText(changed, spec);
        expect(withoutPositions(ir!)).toEqual(withoutPositions(analyzeText(text, spec).ir!));
        // Still nothing lost: every block of the rewritten spec lands in an element or in docs.
        expect(uncoveredBlocks(changed.replace(/^\uFEFF/, "").replace(/\r\n/g, "\n"), ir!)).toEqual([]);
      }),
      { numRuns: 60, seed: 7 },
    );
  });
});
