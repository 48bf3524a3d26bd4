import { closest, distance } from "fastest-levenshtein";
import { PHASE_WORDS, SECTION_CONVENTIONS, type SectionKind } from "./conventions.js";

/** A heading as specc reads it, at any depth. */
export interface HeadingParts {
  /** The number written before the title (`5`, `6.2`, `A`, `A.1`), if any. */
  number: string | null;
  /** The title without number, appendix word, attributes or trailing punctuation. */
  title: string;
  /** `Phase 3` / `Stage III` / `Step 3`, whatever the section number before it. */
  phase: { number: number; title: string } | null;
  /** `(optional)` or `[optional]` in the heading. */
  optional: boolean;
}

// `Appendix A —`, `Annex B (informative).`, `§5.1`, `5.`, `5.1.2`, `1.0`, `A.1`, `1–4.`, then a separator.
const PREFIX = new RegExp(
  String.raw`^(?:(?:appendix|annex)\s+([A-Z](?:\.\d{1,4})*)\s*(?:\((?:normative|informative)\))?|§\s*(\d{1,4}(?:\.\d{1,4})*)|(\d{1,4}(?:\.\d{1,4})*|[A-Z]\.\d{1,4}(?:\.\d{1,4})*|\d{1,4}[–-]\d{1,4})(?=[.):\s]))\s*(?:[.):—–]|\s-\s)?\s*`,
  "i",
);
const ATTRIBUTES = /\s*\{[#.-][^}]*\}\s*$/;
const OPTIONAL = /\s*[[(]optional[\])]\s*/i;
const ROMAN = /^[IVXLC]{1,7}$/i;
const PHASE = new RegExp(String.raw`^(${PHASE_WORDS.join("|")})\s+(\d{1,4}|[IVXLC]{1,7})(?!\w|\.\d)(?:\s+of\s+\d{1,4})?\s*(?:[.:—–)]|\s-\s|-(?!\d))?\s*(.*)$`, "i");

/** Strip trailing punctuation and whitespace that are layout, not title. */
export function trimTitle(text: string): string {
  return text.trim().replace(/[\s.:;,—–-]+$/, "").trim();
}

/** One heading normalizer for every depth: `### 5.1 Phase 0 — Intake & planning.` → parts. */
export function normalizeHeading(text: string): HeadingParts {
  let rest = text.replace(/\s+/g, " ").trim().replace(ATTRIBUTES, "");
  const optional = OPTIONAL.test(rest);
  rest = rest.replace(OPTIONAL, " ").trim();
  let number: string | null = null;
  const prefix = PREFIX.exec(rest);
  if (prefix && prefix[0].length < rest.length) {
    number = prefix[1] ?? prefix[2] ?? prefix[3];
    rest = rest.slice(prefix[0].length);
  }
  const title = trimTitle(rest);
  return { number, title, phase: phaseOf(title), optional };
}

function phaseOf(heading: string): HeadingParts["phase"] {
  const match = PHASE.exec(heading);
  if (!match) return null;
  const number = ROMAN.test(match[2]) ? romanValue(match[2]) : Number(match[2]);
  if (number === null) return null;
  // `Phase 1 (Reconnaissance)`: the title in parentheses is still the title.
  const title = trimTitle(match[3]).replace(/^\((.*)\)$/, "$1").trim();
  return { number, title };
}

const ROMAN_VALUES: Record<string, number> = { i: 1, v: 5, x: 10, l: 50, c: 100 };

/** `IV` → 4; null for a malformed numeral such as `IIII`-like runs beyond what people write. */
export function romanValue(text: string): number | null {
  let total = 0;
  const digits = text.toLowerCase();
  for (let index = 0; index < digits.length; index++) {
    const value = ROMAN_VALUES[digits[index]];
    const next = ROMAN_VALUES[digits[index + 1]] ?? 0;
    total += value < next ? -value : value;
  }
  return total > 0 ? total : null;
}

/** Every section name with its kind, longest first so the most specific name wins. */
const NAMES: { kind: SectionKind; name: string }[] = SECTION_CONVENTIONS.flatMap((convention) =>
  convention.names.map((name) => ({ kind: convention.kind as SectionKind, name })),
).sort((a, b) => b.name.length - a.name.length || (a.name < b.name ? -1 : 1));

/** Lowercase words separated by single spaces: `Capability-to-provider  Mapping` → `capability to provider mapping`. */
function words(text: string): string {
  return text.toLowerCase().replace(/[\s-]+/g, " ").trim();
}

/**
 * Every written form of every name (singular, `-s`, `-es`, `y` → `-ies`) → its kind. Lookups by
 * leading words need no regular expression: a hundred alternatives cost more to compile than a
 * small spec takes to read.
 */
const FORMS = new Map<string, { kind: SectionKind; words: number }>();
for (const { kind, name } of [...NAMES].reverse()) {
  const base = words(name);
  const forms = base.endsWith("y") ? [base, `${base.slice(0, -1)}ies`] : [base, `${base}s`, `${base}es`];
  for (const form of forms) FORMS.set(form, { kind, words: base.split(" ").length });
}
const LONGEST = Math.max(...[...FORMS.values()].map((entry) => entry.words));

/**
 * The section kind of a normalized heading title, by its leading words (`Hard rules`), else by its
 * last word (`Operating limits`, `House rules`); `unknown` when no name matches. The longest
 * matching name wins.
 */
export function sectionKind(title: string): SectionKind {
  const all = words(title.replace(/[^\p{L}\p{N}\s-]+/gu, " ")).split(" ");
  const start = ["the", "our", "a"].includes(all[0]) && all.length > 1 ? 1 : 0;
  for (let count = Math.min(LONGEST, all.length - start); count > 0; count--) {
    const found = FORMS.get(all.slice(start, start + count).join(" "));
    if (found) return found.kind;
  }
  const last = FORMS.get(all[all.length - 1]);
  return all.length > 1 && last && last.words === 1 ? last.kind : "unknown";
}

/** The closest known section name to an unknown title, when it is close enough to be a typo. */
export function suggestSection(title: string): string | null {
  const word = title.toLowerCase().split(/\s+/).slice(0, 3).join(" ");
  if (word === "") return null;
  const names = NAMES.filter((entry) => entry.kind !== "documentation").map((entry) => entry.name);
  const best = closest(word, names);
  return distance(word, best) <= Math.max(2, Math.floor(best.length / 4)) ? best : null;
}
