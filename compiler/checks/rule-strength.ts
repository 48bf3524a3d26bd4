import type { VFile } from "vfile";
import { report } from "../diagnostics.js";
import type { SpecIR } from "../ir.js";

/** A hard rule without MUST/SHOULD/MAY has no strength to enforce. */
export function checkRuleStrength(ir: SpecIR, file: VFile): void {
  for (const rule of ir.rules) {
    if (rule.strength !== null) continue;
    report(file, "SPC305", `Unexpected rule \`${rule.id}\` without an RFC 2119 keyword, expected MUST, MUST NOT, SHOULD, SHOULD NOT or MAY`, {
      place: rule.source.start,
      hint: `write the strength after the id (\`**${rule.id} (MUST). …**\`) or in the text`,
    });
  }
}
