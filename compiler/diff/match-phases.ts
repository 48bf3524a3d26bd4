import type { Phase } from "../ir.js";
import { normalizeText, withoutKeywords } from "./text.js";

export interface PhasePair {
  old: Phase;
  now: Phase;
}

/**
 * Which phase of the old spec is which of the new one, in passes from the surest to the loosest:
 * same id and title; same title (a moved phase); same id and the same requirements, or mostly
 * the same (a renamed phase: same number, same requirements, new title; a requirement edited in
 * the same commit is then reported as such); the same non-empty requirements anywhere (renamed and
 * moved). What is left was removed or added.
 */
export function matchPhases(old: Phase[], now: Phase[]): { pairs: PhasePair[]; removed: Phase[]; added: Phase[] } {
  const pairs: PhasePair[] = [];
  const leftOld = new Set(old);
  const leftNow = new Set(now);
  const pass = (same: (a: Phase, b: Phase) => boolean): void => {
    for (const a of [...leftOld]) {
      const candidates = [...leftNow].filter((b) => same(a, b));
      // Only a unique candidate pairs: two equal titles on one side say nothing about which is which.
      if (candidates.length !== 1 || [...leftOld].filter((other) => same(other, candidates[0])).length !== 1) continue;
      pairs.push({ old: a, now: candidates[0] });
      leftOld.delete(a);
      leftNow.delete(candidates[0]);
    }
  };
  pass((a, b) => a.id === b.id && title(a) === title(b));
  pass((a, b) => a.kind === b.kind && title(a) === title(b));
  pass((a, b) => a.id === b.id && sameRequirements(a, b));
  pass((a, b) => a.kind === b.kind && a.requirements.length > 0 && requirements(a) === requirements(b));
  return { pairs, removed: old.filter((phase) => leftOld.has(phase)), added: now.filter((phase) => leftNow.has(phase)) };
}

function title(phase: Phase): string {
  return normalizeText(phase.title).toLowerCase();
}

/** At least half of the requirements (of the longer list) are the same, keywords aside; or both have none. */
function sameRequirements(a: Phase, b: Phase): boolean {
  const mine = new Set(a.requirements.map((requirement) => withoutKeywords(requirement.text)));
  const shared = b.requirements.filter((requirement) => mine.has(withoutKeywords(requirement.text))).length;
  const longer = Math.max(a.requirements.length, b.requirements.length);
  return longer === 0 || shared * 2 >= longer;
}

function requirements(phase: Phase): string {
  return JSON.stringify(phase.requirements.map((requirement) => [requirement.strength, normalizeText(requirement.text)]));
}
