/**
 * Cross-references. A token is a reference when the spec defines it, or when it stands in an
 * explicit reference context (`see R7`, `References: C2, R8`, `(R7)`, `(Phase 3)`, `§7.2`); an
 * undefined id there is an error. An id-shaped word in ordinary prose ("a P100 GPU", "the C4
 * dataset", "R2 score") that the spec does not define is just a word. Inline code never refers.
 * Numbers in ids are bounded (four digits), so no input can make a pass loop over a huge range.
 */

import { compareNatural } from "../natural-order.js";

/** One id-shaped token found in text. */
export interface RefCandidate {
  id: string;
  /** In an explicit reference context: an undefined id here is an error. */
  explicit: boolean;
}

const NUM = String.raw`\d{1,4}(?!\d)`;
const PHASE_REF = String.raw`(?:Phases?|Stages?|Steps?)\s+${NUM}(?:\s*(?:–|-|to)\s*${NUM})?`;
const SECTION_REF = String.raw`§\s?${NUM}(?:\.${NUM})*`;
const PLAIN_ID = String.raw`(?<![\w-])[A-Z]{1,5}-?${NUM}(?:\.${NUM})*`;
const ANY_ID = `(?:${SECTION_REF}|(?<![\\w-])${PHASE_REF}|${PLAIN_ID})(?![\\w])`;
const LIST = String.raw`${ANY_ID}(?:\s*(?:,|;|/|&|\band\b|\bor\b)\s*${ANY_ID})*`;

const TOKEN = new RegExp(ANY_ID, "g");
// `see R7`, `per C3 and C4`, `References: R1, R2`, `as specified in §6.2`.
const TRIGGERED = new RegExp(String.raw`\b(?:see(?:\s+also)?|per|cf\.?|refs?\.?|references?|following|according\s+to|as\s+(?:specified|defined|described|required)\s+(?:in|by))\s*:?\s+(${LIST})`, "gi");
// `(R7)`, `(Phase 4, Phase 7, C12)`, `(see R2)`.
const PARENTHESIZED = new RegExp(String.raw`\(\s*(?:(?:see|cf\.?|per)\s+)?(${LIST})\s*\)`, "gi");
// `§3.2 of the paper`, `§ 4 in RFC 9000`: a section of another document.
const EXTERNAL_SECTION = /^\s+(?:of|in)\s+(?:the\s+|\[)?[A-Za-z]/;

/** Every id-shaped token of `text` (inline code already removed), with its context. */
export function refCandidates(text: string): RefCandidate[] {
  const explicitAt = explicitOffsets(text);
  const found: RefCandidate[] = [];
  for (const match of text.matchAll(TOKEN)) {
    const token = match[0];
    const index = match.index ?? 0;
    if (token.startsWith("§")) {
      if (EXTERNAL_SECTION.test(text.slice(index + token.length, index + token.length + 12))) continue;
      found.push({ id: token.replace(/^§\s?/, ""), explicit: true });
    } else if (/^[PS]/.test(token) && /^(?:Phase|Stage|Step)s?\s/.test(token)) {
      for (const id of phaseIds(token)) found.push({ id, explicit: token.startsWith("Phase") || explicitAt.has(index) });
    } else found.push({ id: token, explicit: explicitAt.has(index) });
  }
  return found;
}

/** Offsets of tokens that stand in an explicit reference list. */
function explicitOffsets(text: string): Set<number> {
  const offsets = new Set<number>();
  for (const pattern of [TRIGGERED, PARENTHESIZED]) {
    for (const match of text.matchAll(pattern)) {
      const list = match[1];
      const start = (match.index ?? 0) + match[0].indexOf(list);
      for (const token of list.matchAll(TOKEN)) offsets.add(start + (token.index ?? 0));
    }
  }
  return offsets;
}

/** `Phases 2–4` → Phase 2, Phase 3, Phase 4 (a range is capped so a typo cannot explode). */
function phaseIds(token: string): string[] {
  const [from, to] = token.match(/\d+/g)!.map(Number);
  const last = to !== undefined && to >= from && to - from < 100 ? to : from;
  const ids: string[] = [];
  for (let n = from; n <= last; n++) ids.push(`Phase ${n}`);
  return ids;
}

/** The family of an id, for deciding whether an undefined one is a typo: `R12` → `R`, `SR-3` → `SR-`. */
export function idFamily(id: string): string {
  return id.startsWith("Phase ") ? "Phase" : id.replace(/\d[\d.]*$/, "");
}

/**
 * Resolve candidates against what the spec defines: defined ids, plus undefined ids in an explicit
 * context whose family the spec uses (those become SPC302 errors). Sorted, without `self`.
 */
export function resolveRefs(candidates: readonly RefCandidate[], known: ReadonlySet<string>, families: ReadonlySet<string>, self?: string | null): string[] {
  const ids = new Set<string>();
  for (const candidate of candidates) {
    if (candidate.id === self) continue;
    if (known.has(candidate.id)) ids.add(candidate.id);
    else if (candidate.explicit && families.has(idFamily(candidate.id))) ids.add(candidate.id);
  }
  return [...ids].sort(compareIds);
}

/** Natural order for ids: `C2` before `C10`. */
export function compareIds(a: string, b: string): number {
  return compareNatural(a, b);
}
