/**
 * Cross-references by id in prose: `C2`, `R8`, `P1`, `D3`, `Phase 3`, `§7.2`.
 * Plain decimals (`0.9`) are never references; a section number needs its `§`.
 */
const REF_PATTERN = /\b([PCRD]\d+)\b|\bPhases?\s+(\d+)(?:\s*(?:–|-|to)\s*(\d+))?\b|§\s?(\d+(?:\.\d+)*)/g;

export interface FoundRef {
  id: string;
  /** Offset of the reference in the text, for positions. */
  index: number;
}

/** Every reference in `text`, in order, with duplicates kept (positions differ). */
export function findRefs(text: string): FoundRef[] {
  const found: FoundRef[] = [];
  for (const match of text.matchAll(REF_PATTERN)) {
    const index = match.index ?? 0;
    if (match[1]) found.push({ id: match[1], index });
    else if (match[2]) pushPhaseRange(found, Number(match[2]), match[3] ? Number(match[3]) : null, index);
    else if (match[4]) found.push({ id: match[4], index });
  }
  return found;
}

function pushPhaseRange(found: FoundRef[], from: number, to: number | null, index: number): void {
  // "Phases 0–7" names every phase in the range; cap it so a typo cannot explode.
  const last = to !== null && to >= from && to - from < 100 ? to : from;
  for (let n = from; n <= last; n++) found.push({ id: `Phase ${n}`, index });
}

/** The distinct ids referenced in `text`, sorted, without `self`. */
export function refsIn(text: string, self?: string): string[] {
  const ids = new Set(findRefs(text).map((ref) => ref.id));
  if (self) ids.delete(self);
  return [...ids].sort(compareIds);
}

// One collator for every comparison: `localeCompare` with options builds a new one per call.
const collator = new Intl.Collator("en", { numeric: true });

/** Natural order for ids: `C2` before `C10`. */
export function compareIds(a: string, b: string): number {
  return collator.compare(a, b);
}
