import type { VFile } from "vfile";
import { report } from "../diagnostics.js";
import type { SpecIR } from "../ir.js";

/** A phase with nothing in it gives an agent nothing to do; a checklist needs items. */
export function checkEmptyPhases(ir: SpecIR, file: VFile): void {
  for (const phase of ir.phases) {
    if (phase.text === "" && phase.requirements.length === 0 && phase.gates.length === 0) {
      report(file, "SPC307", `Unexpected empty \`${phase.id}\`, expected text, requirements or gates`, {
        place: phase.source.start,
        hint: "say what the phase does and what it must achieve; its text becomes the agent's instructions",
      });
    }
    for (const gate of phase.gates) {
      if (gate.kind === "checklist" && gate.items.length === 0) {
        report(file, "SPC308", `Unexpected checklist without items in \`${phase.id}\`, expected a list right after the label`, {
          place: gate.source.start,
          hint: "follow `**Checklist:**` with a bullet or task list (`- [ ] item`)",
        });
      }
    }
  }
}
