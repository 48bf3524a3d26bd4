import type { VFile } from "vfile";
import { checkDuplicateIds } from "./checks/duplicate-ids.js";
import { checkEmptyPhases } from "./checks/empty-phases.js";
import { checkPhaseOrder } from "./checks/phase-order.js";
import { checkRanges } from "./checks/ranges.js";
import { checkReferences } from "./checks/references.js";
import { checkRuleStrength } from "./checks/rule-strength.js";
import { checkSchema } from "./checks/schema.js";
import type { SpecIR } from "./ir.js";

/** Every check, in order. Checks report; they never change the IR or emit. */
export const CHECKS: ((ir: SpecIR, file: VFile) => void)[] = [
  checkSchema,
  checkPhaseOrder,
  checkDuplicateIds,
  checkReferences,
  checkRuleStrength,
  checkEmptyPhases,
  checkRanges,
];

/** Run every check on `ir`, adding messages to `file`. */
export function check(ir: SpecIR, file: VFile): void {
  for (const run of CHECKS) run(ir, file);
}
