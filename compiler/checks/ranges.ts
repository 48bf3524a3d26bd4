import type { VFile } from "vfile";
import { report } from "../diagnostics.js";
import type { Param, SpecIR } from "../ir.js";

/**
 * Numbers the generated runtime enforces must make sense as limits: a negative or infinite cost
 * cap, or a negative iteration bound, cannot be enforced, and the claude-code target refuses them
 * with an internal error (targets/claude-code/hook.ts) instead of a diagnostic at the spec's line.
 * Lowering may already have reported a parameter; a place that has a message is not reported twice.
 */
export function checkRanges(ir: SpecIR, file: VFile): void {
  const reported = new Set(file.messages.map((message) => `${message.line}:${message.column}`));
  const fresh = (place: { line: number; column: number }): boolean => !reported.has(`${place.line}:${place.column}`);
  for (const param of ir.params) {
    if (param.name !== "cost_cap_usd" || typeof param.default !== "number" || isLimit(param.default)) continue;
    if (!fresh(param.source.start)) continue;
    report(file, "SPC202", `Unexpected default \`${param.default}\` for \`cost_cap_usd\`, expected a finite number of USD, 0 or more`, {
      place: param.source.start,
      hint: "write the cap in USD, such as `default: 10`",
    });
  }
  for (const guard of ir.contract.guards) {
    for (const param of guard.params) {
      const problem = rangeProblem(param);
      if (!problem || guard.defaulted.includes(param.key) || !fresh(param.source.start)) continue;
      report(file, "SPC309", `Unexpected value \`${param.raw || String(param.value)}\` for \`${param.key}\`, expected ${problem}`, {
        place: param.source.start,
        hint: `write a limit such as \`${param.key}: 3\``,
      });
    }
  }
}

/** A usable limit: finite and not negative. */
function isLimit(value: number): boolean {
  return Number.isFinite(value) && value >= 0;
}

/** What is wrong with a guard parameter's number or range, or null. */
function rangeProblem(param: Param): string | null {
  const { value } = param;
  if (typeof value === "number") return isLimit(value) ? null : "a finite number, 0 or more";
  if (value !== null && typeof value === "object" && !Array.isArray(value) && "min" in value && "max" in value) {
    const { min, max } = value as { min: unknown; max: unknown };
    if (typeof min !== "number" || typeof max !== "number") return null;
    if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || min < 0 || min > max) return "a range of whole numbers `low–high`, 0 ≤ low ≤ high";
  }
  return null;
}
