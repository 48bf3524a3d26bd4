import type { VFile } from "vfile";
import { report } from "../diagnostics.js";
import type { SpecIR } from "../ir.js";

/** Phases must be numbered in order, from 0 or 1, without gaps; a spec needs at least one. */
export function checkPhaseOrder(ir: SpecIR, file: VFile): void {
  const numbered = ir.phases.filter((phase) => phase.number !== null);
  if (ir.phases.length === 0) {
    report(file, "SPC102", "Unexpected spec without phases, expected a workflow section with `### Phase N: title` headings", {
      place: { line: 1, column: 1 },
      hint: "add `## Workflow` and one `### Phase 0: …` heading per phase (docs/spec-language.md §3)",
    });
    return;
  }
  let expected = numbered[0] && numbered[0].number! <= 1 ? numbered[0].number! : 0;
  for (const phase of numbered) {
    const number = phase.number!;
    if (number < expected) {
      report(file, "SPC303", `Unexpected \`${phase.id}\` after \`Phase ${expected - 1}\`, expected \`Phase ${expected}\``, {
        place: phase.source.start,
        hint: "phases run in the order they are written; reorder or renumber them",
      });
      continue;
    }
    if (number > expected) {
      report(file, "SPC304", `Unexpected \`${phase.id}\`, expected \`Phase ${expected}\` (phase numbers skip ${expected === number - 1 ? expected : `${expected}–${number - 1}`})`, {
        place: phase.source.start,
        hint: "renumber the phases without gaps, or add the missing phase",
      });
    }
    expected = number + 1;
  }
}
