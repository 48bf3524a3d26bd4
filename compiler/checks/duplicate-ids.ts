import type { VFile } from "vfile";
import { report } from "../diagnostics.js";
import type { SpecIR } from "../ir.js";
import { definedIds } from "./ids.js";

/** Report an id defined twice, at the second definition, pointing back at the first. */
export function checkDuplicateIds(ir: SpecIR, file: VFile): void {
  const seen = new Map<string, { line: number }>();
  for (const { id, kind, source } of definedIds(ir)) {
    const first = seen.get(id);
    if (first) {
      report(file, "SPC301", `Unexpected second ${kind} \`${id}\`, expected each id once (first defined on line ${first.line})`, {
        place: source,
        hint: `renumber this ${kind}, or merge it with the one on line ${first.line}`,
      });
    } else seen.set(id, { line: source.start.line });
  }
}
