import type { Gate } from "../ir.js";
import { change, whereIn, type Change, type DiffSide } from "./change.js";
import { fromTo, normalizeText, shorten } from "./text.js";

/**
 * The gates of one phase, matched by kind (and by order among gates of the same kind): added,
 * removed, reworded, and checklist items added or removed.
 */
export function diffGates(phase: string, before: { side: DiffSide; gates: Gate[] }, after: { side: DiffSide; gates: Gate[] }): Change[] {
  const changes: Change[] = [];
  const old = keyed(before.gates);
  const now = keyed(after.gates);
  for (const [key, gate] of old) {
    const next = now.get(key);
    const id = `${phase} ${gate.kind} gate`;
    if (!next) {
      changes.push(change("gate-removed", { id, from: shorten(gate.text || gate.kind), where: whereIn(before.side, gate.source.start.line) }));
      continue;
    }
    const where = whereIn(after.side, next.source.start.line);
    if (normalizeText(gate.text) !== normalizeText(next.text)) changes.push(change("gate-reworded", { id, ...fromTo(gate.text, next.text), where }));
    const items = new Set(gate.items.map(normalizeText));
    const nextItems = new Set(next.items.map(normalizeText));
    for (const item of items) if (!nextItems.has(item)) changes.push(change("checklist-item-removed", { id, from: shorten(item), where }));
    for (const item of nextItems) if (!items.has(item)) changes.push(change("checklist-item-added", { id, to: shorten(item), where }));
  }
  for (const [key, gate] of now) {
    if (!old.has(key)) changes.push(change("gate-added", { id: `${phase} ${gate.kind} gate`, to: shorten(gate.text || gate.kind), where: whereIn(after.side, gate.source.start.line) }));
  }
  return changes;
}

/** Gates keyed `kind#n`: the n-th gate of that kind in the phase. */
function keyed(gates: Gate[]): Map<string, Gate> {
  const counts = new Map<string, number>();
  return new Map(
    gates.map((gate) => {
      const n = (counts.get(gate.kind) ?? 0) + 1;
      counts.set(gate.kind, n);
      return [`${gate.kind}#${n}`, gate];
    }),
  );
}
