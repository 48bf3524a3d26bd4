import type { VFile } from "vfile";
import { check } from "./check.js";
import { report } from "./diagnostics.js";
import type { SpecIR } from "./ir.js";
import { lower } from "./lower.js";
import { deepNestingInSource, deepNestingInTree, reportDeepNesting, type DeepNesting } from "./nesting.js";
import { parse } from "./parse.js";

/** The front end's result: the IR (null when the spec is empty or nests too deep) and the file with its messages. */
export interface Analysis {
  ir: SpecIR | null;
  file: VFile;
}

/** Parse, lower and check one spec: the front end in one function. */
export function analyze(file: VFile): Analysis {
  if (String(file.value).trim() === "") {
    report(file, "SPC101", "Unexpected empty spec, expected Markdown with a workflow section", {
      place: { line: 1, column: 1 },
      hint: "start from specs/ml-research.md or docs/spec-language.md",
    });
    return { ir: null, file };
  }
  // Deep nesting is refused before parsing (micromark slows down) and after (later passes recurse).
  const deepSource = deepNestingInSource(String(file.value));
  if (deepSource) return refuseDeepNesting(file, deepSource);
  const tree = parse(file);
  const deepTree = deepNestingInTree(tree);
  if (deepTree) return refuseDeepNesting(file, deepTree);
  const ir = lower(tree, file);
  check(ir, file);
  return { ir, file };
}

function refuseDeepNesting(file: VFile, found: DeepNesting): Analysis {
  reportDeepNesting(file, found);
  return { ir: null, file };
}
