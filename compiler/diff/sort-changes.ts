import { AREAS, KINDS, SEVERITIES } from "./kinds.js";
import type { Change } from "./change.js";
import { naturalCompare } from "./natural-compare.js";

/**
 * The report's order, total so output is byte-stable: severity (weakenings first), then area (rules,
 * contract, phases, …), then id in natural order (`R2` before `R10`), kind, target, and the values.
 */
export function sortChanges(changes: Change[]): Change[] {
  const key = (change: Change) => [SEVERITIES.indexOf(change.severity), AREAS.indexOf(KINDS[change.kind].area)];
  const text = (value: string | number | undefined) => (value === undefined ? "" : String(value));
  return [...changes].sort((a, b) => {
    const [severityA, areaA] = key(a);
    const [severityB, areaB] = key(b);
    return (
      severityA - severityB ||
      areaA - areaB ||
      naturalCompare(text(a.id), text(b.id)) ||
      naturalCompare(a.kind, b.kind) ||
      naturalCompare(text(a.target), text(b.target)) ||
      naturalCompare(text(a.text), text(b.text)) ||
      naturalCompare(text(a.from), text(b.from)) ||
      naturalCompare(text(a.to), text(b.to)) ||
      naturalCompare(text(a.where), text(b.where))
    );
  });
}
