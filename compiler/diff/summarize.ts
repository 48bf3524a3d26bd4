import type { Change } from "./change.js";
import { SEVERITIES, type Severity } from "./kinds.js";

/** How many changes there are, in all and of each severity. */
export function summarize(changes: Change[]): { total: number } & Record<Severity, number> {
  const counts = Object.fromEntries(SEVERITIES.map((severity) => [severity, changes.filter((c) => c.severity === severity).length])) as Record<Severity, number>;
  return { total: changes.length, ...counts };
}
