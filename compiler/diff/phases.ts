import type { Phase } from "../ir.js";
import { change, whereIn, type Change, type DiffSide } from "./change.js";
import { diffGates } from "./gates.js";
import { matchPhases, type PhasePair } from "./match-phases.js";
import { diffParamsOf } from "./params-of.js";
import { diffRequirements } from "./requirements.js";
import { normalizeText, proseOf } from "./text.js";

/**
 * Phases: added, removed, renamed (same number and requirements, new title), reordered (its order
 * against another phase flipped) or renumbered (moved by an insertion or a removal), made
 * optional or required, reworded, and their requirements, gates and parameters.
 */
export function diffPhases(before: DiffSide, after: DiffSide): Change[] {
  const { pairs, removed, added } = matchPhases(before.ir.phases, after.ir.phases);
  const changes: Change[] = [];
  for (const phase of removed) changes.push(change("phase-removed", { id: phase.id, from: phase.title, where: whereIn(before, phase.source.start.line) }));
  for (const phase of added) changes.push(change("phase-added", { id: phase.id, to: phase.title, where: whereIn(after, phase.source.start.line) }));
  for (const pair of pairs) changes.push(...diffPair(pair, pairs, before, after));
  return changes;
}

function diffPair(pair: PhasePair, pairs: PhasePair[], before: DiffSide, after: DiffSide): Change[] {
  const { old, now } = pair;
  const id = now.id;
  const where = whereIn(after, now.source.start.line);
  const changes: Change[] = [];
  if (normalizeText(old.title) !== normalizeText(now.title)) changes.push(change("phase-renamed", { id, from: old.title, to: now.title, where }));
  const reordered = crosses(pair, pairs, before, after);
  if (reordered || old.id !== now.id) {
    // A loop keeps its id when it moves, so its position says where it went.
    const place = (side: DiffSide, phase: Phase) => (old.id === now.id ? `position ${side.ir.phases.indexOf(phase) + 1}` : phase.id);
    changes.push(change(reordered ? "phase-reordered" : "phase-renumbered", { id: now.title, from: place(before, old), to: place(after, now), where }));
  }
  if (old.optional !== now.optional) changes.push(change(now.optional ? "phase-made-optional" : "phase-made-required", { id, where }));
  const prose = (phase: Phase) => proseOf(phase.text, phase.params.map((param) => param.key));
  if (prose(old) !== prose(now)) changes.push(change("phase-reworded", { id, where }));
  changes.push(...diffRequirements(id, { side: before, list: old.requirements }, { side: after, list: now.requirements }));
  changes.push(...diffGates(id, { side: before, gates: old.gates }, { side: after, gates: now.gates }));
  const kinds = { added: "phase-param-added", removed: "phase-param-removed", changed: "phase-param-changed" };
  changes.push(...diffParamsOf(id, { side: before, params: old.params }, { side: after, params: now.params }, kinds));
  return changes;
}

/** Whether the pair's order against some other matched phase flipped: a reordering, not a renumbering. */
function crosses(pair: PhasePair, pairs: PhasePair[], before: DiffSide, after: DiffSide): boolean {
  const position = (phases: Phase[], phase: Phase) => phases.indexOf(phase);
  const oldAt = position(before.ir.phases, pair.old);
  const nowAt = position(after.ir.phases, pair.now);
  return pairs.some((other) => other !== pair && Math.sign(position(before.ir.phases, other.old) - oldAt) !== Math.sign(position(after.ir.phases, other.now) - nowAt));
}
