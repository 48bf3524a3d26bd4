import type { ParamValue } from "../ir.js";

/** A parameter value as the report shows it: the number or text itself, lists joined, ranges with a dash. */
export function valueText(value: ParamValue | null | undefined): string | number {
  if (value === null || value === undefined) return "none";
  if (typeof value === "number" || typeof value === "string") return value;
  if (typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return value.join(", ");
  if ("min" in value) return `${value.min}–${value.max}`;
  return `table of ${value.rows.length} rows (${value.columns.join(", ")})`;
}

/** Whether two parameter values mean the same (their written form aside). */
export function sameValue(a: ParamValue | null | undefined, b: ParamValue | null | undefined): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}
