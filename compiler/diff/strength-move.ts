import type { Strength } from "../ir.js";

/** How binding a strength is: MUST (NOT) over SHOULD (NOT) over MAY over none. */
function rank(strength: Strength | null): number {
  if (strength === "MUST" || strength === "MUST NOT") return 3;
  if (strength === "SHOULD" || strength === "SHOULD NOT") return 2;
  return strength === "MAY" ? 1 : 0;
}

/** Which way a strength moved; `changed` for the same rank with the other polarity (MUST → MUST NOT). */
export function strengthMove(from: Strength | null, to: Strength | null): "weakened" | "strengthened" | "strength-changed" | null {
  if (from === to) return null;
  const difference = rank(to) - rank(from);
  return difference < 0 ? "weakened" : difference > 0 ? "strengthened" : "strength-changed";
}

/** A strength as the report shows it. */
export function strengthName(strength: Strength | null): string {
  return strength ?? "none";
}
