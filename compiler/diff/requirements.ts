import { distance } from "fastest-levenshtein";
import type { Requirement } from "../ir.js";
import { change, whereIn, type Change, type DiffSide } from "./change.js";
import { fromTo, normalizeText, shorten, withoutKeywords } from "./text.js";
import { strengthMove, strengthName } from "./strength-move.js";

/** Two requirements are one reworded requirement when at most this share of their characters differs. */
const REWORDED = 0.35;

/**
 * The requirements of one phase, old against new. They have no ids, so they are matched by text:
 * the same words; the same words but for the RFC 2119 keyword (a strength change); then the
 * closest similar text (a rewording, maybe with a strength change). The rest were removed or added.
 */
export function diffRequirements(id: string, before: { side: DiffSide; list: Requirement[] }, after: { side: DiffSide; list: Requirement[] }): Change[] {
  const leftOld = [...before.list];
  const leftNow = [...after.list];
  const pairs: [Requirement, Requirement][] = [];
  const take = (a: Requirement, b: Requirement): void => {
    pairs.push([a, b]);
    leftOld.splice(leftOld.indexOf(a), 1);
    leftNow.splice(leftNow.indexOf(b), 1);
  };
  for (const key of [(r: Requirement) => `${r.strength} ${normalizeText(r.text)}`, (r: Requirement) => withoutKeywords(r.text)]) {
    for (const a of [...leftOld]) {
      const b = leftNow.find((candidate) => key(candidate) === key(a));
      if (b) take(a, b);
    }
  }
  for (const [a, b] of similarPairs(leftOld, leftNow)) take(a, b);
  const changes = pairs.flatMap(([a, b]) => diffPair(id, a, b, after.side));
  for (const a of leftOld) changes.push(change("requirement-removed", { id, from: shorten(a.text), where: whereIn(before.side, a.source.start.line) }));
  for (const b of leftNow) changes.push(change("requirement-added", { id, to: shorten(b.text), where: whereIn(after.side, b.source.start.line) }));
  return changes;
}

function diffPair(id: string, a: Requirement, b: Requirement, side: DiffSide): Change[] {
  const changes: Change[] = [];
  const where = whereIn(side, b.source.start.line);
  const move = strengthMove(a.strength, b.strength);
  if (move) changes.push(change(`requirement-${move}`, { id, from: strengthName(a.strength), to: strengthName(b.strength), text: shorten(b.text), where }));
  if (withoutKeywords(a.text) !== withoutKeywords(b.text)) changes.push(change("requirement-reworded", { id, ...fromTo(a.text, b.text), where }));
  return changes;
}

/** Greedy closest-first pairing of similar texts; ties go by position, so the result is deterministic. */
function similarPairs(old: Requirement[], now: Requirement[]): [Requirement, Requirement][] {
  const candidates: { ratio: number; i: number; j: number }[] = [];
  old.forEach((a, i) =>
    now.forEach((b, j) => {
      const x = withoutKeywords(a.text);
      const y = withoutKeywords(b.text);
      const ratio = distance(x, y) / Math.max(x.length, y.length, 1);
      if (ratio <= REWORDED) candidates.push({ ratio, i, j });
    }),
  );
  candidates.sort((p, q) => p.ratio - q.ratio || p.i - q.i || p.j - q.j);
  const usedOld = new Set<number>();
  const usedNow = new Set<number>();
  const pairs: [Requirement, Requirement][] = [];
  for (const { i, j } of candidates) {
    if (usedOld.has(i) || usedNow.has(j)) continue;
    usedOld.add(i);
    usedNow.add(j);
    pairs.push([old[i], now[j]]);
  }
  return pairs;
}
