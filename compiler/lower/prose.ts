import type { ParamValue } from "../ir.js";
import { NUMBER_WORDS } from "./conventions.js";

/** What a number in prose counts; a guard maps each to one of its keys. */
export type Quantity =
  | "iterations"
  | "retries"
  | "streak"
  | "identical-streak"
  | "malformed-streak"
  | "continuations"
  | "window"
  | "cycle-length"
  | "cycle-repeats"
  | "money"
  | "steps"
  | "fraction"
  | "messages"
  | "tokens"
  | "duration"
  | "attempts";

/** A limit read from prose: what it counts, its value, and the words it was read from. */
export interface ProseLimit {
  quantity: Quantity;
  value: ParamValue;
  written: string;
}

export interface ProsePattern {
  quantity: Quantity;
  /** A cheap test that must pass before `pattern` runs: most sentences state no limit. */
  cue: RegExp;
  pattern: RegExp;
  /** Prose an author writes, and the value specc must read from it (docs and tests run these). */
  example: string;
  expected: ParamValue;
  read: (match: RegExpExecArray) => ParamValue | null;
}

const WORD_NUMBERS = Object.keys(NUMBER_WORDS).join("|");
// A count: digits (with thousands commas or a k suffix) or a number word; `~` and `≈` allowed before.
// Words are matched by shape and checked by `countValue` (a pattern listing every number word
// would be many times larger, and compiling the patterns is most of a small spec's cost).
const N = String.raw`(?:~|≈|about\s+|approximately\s+)?(\d{1,3}(?:,\d{3})+|\d{1,9}(?:\.\d{1,4})?\s?[kK]?|[a-z]{3,7})(?:\s+\(\d{1,9}\))?`;
const AT_MOST = String.raw`(?:at\s+most|no\s+more\s+than|not\s+more\s+than|up\s+to|a\s+maximum\s+of|maximum\s+of|max(?:imum)?\.?|(?:limited|limits|capped|caps|bounded|bounds)\s+(?:it\s+|them\s+)?(?:at|to|by)|a\s+(?:cap|limit|ceiling|budget)\s+of|budget\s+(?:is|of)|(?:stops?|ends?|halts?|terminates?)\s+after|ref:|≤|<=)`;
const MONEY_CONTEXT = String.raw`\b(?:budget|cap|capped|caps|ceiling|limit|limited|at\s+most|no\s+more\s+than|up\s+to|maximum|max(?:imum)?|spend(?:ing)?|exceed(?:ing|s)?|more\s+than|(?:stay|stays|remain|remains|kept|keep|keeps)\s+(?:under|below|within))\b[^.;!?\d$]{0,30}?`;
// A spend named as a threshold ("tier 1 if the spend is above USD 250,000", "between USD 25,000 and …")
// classifies something; it does not cap anything.
const MONEY_WORD = /^[\s\S]*\b(?:budget|cap|capped|caps|ceiling|limit|limited|at\s+most|no\s+more\s+than|up\s+to|maximum|max(?:imum)?|spend(?:ing)?|exceed(?:ing|s)?|more\s+than|stay|stays|remain|remains|kept|keep|keeps)\b/i;

/** The words between the last money keyword of a match and its amount ("spending over the cap of $10" → " of $10"). */
function moneyTail(text: string): string {
  return text.replace(MONEY_WORD, "");
}

const MONEY_THRESHOLD = /\b(?:above|over|between|at\s+least|greater\s+than|higher\s+than|from)\b/i;

/** `3`, `1,000`, `50k`, `three`, `twice` → a number; null for anything else. */
export function countValue(text: string): number | null {
  const lower = text.toLowerCase();
  if (Object.hasOwn(NUMBER_WORDS, lower)) return NUMBER_WORDS[lower];
  const compact = text.replace(/[,\s]/g, "");
  const match = /^(\d+(?:\.\d+)?)([kK]?)$/.exec(compact);
  if (!match) return null;
  const value = Number(match[1]) * (match[2] ? 1000 : 1);
  return Number.isFinite(value) ? value : null;
}

const first = (match: RegExpExecArray): number | null => countValue(match[1]);

function range(low: string, high: string): { min: number; max: number } | null {
  const min = countValue(low);
  const max = countValue(high);
  return min !== null && max !== null && min <= max ? { min, max } : null;
}
const HOURS: Record<string, number> = { h: 1, hour: 1, hours: 1, hr: 1, hrs: 1, m: 1 / 60, min: 1 / 60, mins: 1 / 60, minute: 1 / 60, minutes: 1 / 60, d: 24, day: 24, days: 24 };

/**
 * The prose forms specc reads, most specific first: a span of text is read by the first pattern
 * that matches it. Each form is unambiguous; "3 attempts" (three tries, or three retries?) is
 * read as `attempts`, which is never applied but warned about.
 */
export const PROSE_PATTERNS: ProsePattern[] = [
  {
    quantity: "cycle-length",
    cue: /length|cycle/i,
    pattern: new RegExp(String.raw`\b(?:cycles?\s+of\s+)?length(?:s)?\s+${N}\s*(?:–|-|to)\s*${N}|\bcycles?\s+(?:of|between)\s+${N}\s*(?:–|-|to|and)\s*${N}\s+(?:actions|steps|calls|tool\s+calls)\b`, "gi"),
    example: "cycles of length 2–5 repeated ≥2 full cycles",
    expected: { min: 2, max: 5 },
    read: (match) => range(match[1] ?? match[3], match[2] ?? match[4]),
  },
  {
    quantity: "cycle-repeats",
    cue: /repeat/i,
    pattern: new RegExp(String.raw`\brepeat(?:ed|ing|s)?\s*(?:≥|>=|at\s+least)\s*${N}\s*(?:full\s+)?(?:cycles|times)\b|(?<=\bcycles?\b[^.;!?]{0,60})\brepeat(?:ed|ing|s)?\s+${N}\s*(?:full\s+)?(?:cycles|times)\b`, "gi"),
    example: "length 2–5 repeated ≥2 full cycles",
    expected: 2,
    read: (match) => countValue(match[1] ?? match[2]),
  },
  {
    quantity: "window",
    cue: /last|recent|previous/i,
    pattern: new RegExp(String.raw`\b(?:last|most\s+recent|previous)\s+${N}\s+(?:actions|tool\s+calls|calls|steps|turns)\b`, "gi"),
    example: "(ref: last ~30 actions)",
    expected: 30,
    read: first,
  },
  {
    quantity: "messages",
    cue: /messages/i,
    pattern: new RegExp(String.raw`\b(?:last|most\s+recent)\s+${N}\s+messages\b`, "gi"),
    example: "the last 5 messages are kept",
    expected: 5,
    read: first,
  },
  {
    quantity: "identical-streak",
    cue: /in a row/i,
    pattern: new RegExp(String.raw`(?<![\w.])${N}\s+(?:(?:identical|same|repeated)\s+)(?:[a-z-]+\s+){0,2}?in\s+a\s+row\b|\b(?:same|identical)\b[^.;!?]{0,60}?\b${N}\s+times\s+in\s+a\s+row\b`, "gi"),
    example: "three identical actions in a row",
    expected: 3,
    read: (match) => countValue(match[1] ?? match[2]),
  },
  {
    quantity: "malformed-streak",
    cue: /in a row/i,
    pattern: new RegExp(String.raw`(?<![\w.])${N}\s+(?:malformed|invalid|unparseable|unparsable|broken)\s+(?:[a-z-]+\s+){0,2}?in\s+a\s+row\b`, "gi"),
    example: "3 malformed query payloads in a row",
    expected: 3,
    read: first,
  },
  {
    quantity: "continuations",
    cue: /continu|nudge/i,
    pattern: new RegExp(String.raw`\b(?:continu\w*|nudge\w*)\b[^.;!?]{0,40}?\b(?:at\s+most|no\s+more\s+than|up\s+to)\s+(?:${N}(?:\s+times)?|(once|twice|thrice))\b`, "gi"),
    example: "asks the model to continue at most once",
    expected: 1,
    read: (match) => countValue(match[1] ?? match[2]),
  },
  {
    quantity: "streak",
    cue: /in a row/i,
    pattern: new RegExp(String.raw`(?<![\w.])${N}\s+(?:(?:consecutive|malformed|failed|bad|invalid)\s+)?(?:[a-z-]+\s+){0,2}?in\s+a\s+row\b`, "gi"),
    example: "(ref: 3 in a row)",
    expected: 3,
    read: first,
  },
  {
    quantity: "money",
    cue: /\$|usd|dollar/i,
    pattern: new RegExp(String.raw`${MONEY_CONTEXT}(?:US\$|\$|USD\s?)\s?(\d{1,3}(?:,\d{3})+|\d{1,9}(?:\.\d{1,2})?)|${MONEY_CONTEXT}(\d{1,3}(?:,\d{3})+|\d{1,9}(?:\.\d{1,2})?)\s?(?:USD|US\s+dollars|dollars)\b`, "gi"),
    example: "a budget of 50 USD",
    expected: 50,
    read: (match) => (MONEY_THRESHOLD.test(moneyTail(match[0])) ? null : countValue(match[1] ?? match[2])),
  },
  {
    quantity: "iterations",
    cue: /iteration|turn|loop step/i,
    pattern: new RegExp(String.raw`${AT_MOST}\s*${N}\s+(?:[a-z-]+\s+)?(?:iterations|turns|loop\s+steps)\b`, "gi"),
    example: "the loop is bounded (ref: 300 iterations)",
    expected: 300,
    read: first,
  },
  {
    quantity: "steps",
    cue: /step|tool call|search/i,
    pattern: new RegExp(String.raw`${AT_MOST}\s*${N}\s+(?:research\s+|search\s+)?(?:steps|tool\s+calls|searches)\b`, "gi"),
    example: "research stops after at most 20 steps",
    expected: 20,
    read: first,
  },
  {
    quantity: "retries",
    cue: /retr|tries|times|once|twice|thrice/i,
    pattern: new RegExp(String.raw`${AT_MOST}\s*${N}\s+(?:more\s+)?(?:retries|re-?tries|retry\s+attempts|times|tries)\b|\bretr(?:y|ied|ies|ying)\b[^.;!?]{0,40}?(?:more\s+than|at\s+most|no\s+more\s+than|up\s+to)\s+${N}(?:\s+times)?|\b(?:at\s+most|no\s+more\s+than)\s+(once|twice|thrice)\b`, "gi"),
    example: "no more than 3 retries",
    expected: 3,
    read: (match) => countValue(match[1] ?? match[2] ?? match[3]),
  },
  {
    quantity: "fraction",
    cue: /%/,
    pattern: new RegExp(String.raw`\b(\d{1,3})\s?%\s+of\s+(?:the\s+)?(?:model'?s\s+)?context`, "gi"),
    example: "at 90% of the context window",
    expected: 0.9,
    read: (match) => Number(match[1]) / 100,
  },
  {
    quantity: "tokens",
    cue: /token/i,
    pattern: new RegExp(String.raw`${AT_MOST}\s*${N}\s+tokens\b`, "gi"),
    example: "any message above at most 50k tokens",
    expected: 50000,
    read: first,
  },
  {
    quantity: "duration",
    cue: /hour|minute|day|\bh\b|\bm\b|\bd\b|hrs?\b|mins?\b/i,
    pattern: new RegExp(String.raw`\b(?:timeout|time\s+limit|time\s*box|wall[- ]clock\s+limit)\b[^.;!?\d]{0,20}?(\d{1,5}(?:\.\d{1,2})?)\s?(hours?|hrs?|h|minutes?|mins?|m|days?|d)\b|(?:${AT_MOST}|\bwithin|\bno\s+longer\s+than)\s*(\d{1,5}(?:\.\d{1,2})?)\s?(?:(?:business|working|calendar)\s+)?(hours?|minutes?|days?)\b`, "gi"),
    example: "a timeout of 6 hours",
    expected: 6,
    read: (match) => {
      const amount = Number(match[1] ?? match[3]);
      const unit = (match[2] ?? match[4]).toLowerCase();
      return Number((amount * (HOURS[unit] ?? 1)).toPrecision(12));
    },
  },
  {
    quantity: "attempts",
    cue: /attempt/i,
    pattern: new RegExp(String.raw`${AT_MOST}\s*${N}\s+attempts\b`, "gi"),
    example: "at most 3 attempts",
    expected: 3,
    read: first,
  },
];

// A limit needs a number, in digits or in words.
const ANY_NUMBER = new RegExp(String.raw`\d|\b(?:${WORD_NUMBERS})\b`, "i");

/**
 * Every limit stated in `text`, in order; a span is read once, by the first form that matches it.
 * `only` keeps the forms of some quantities (a phase states budgets, nothing else).
 */
export function proseLimits(text: string, only?: ReadonlySet<Quantity>): ProseLimit[] {
  if (!ANY_NUMBER.test(text)) return [];
  const taken: [number, number][] = [];
  const found: { at: number; limit: ProseLimit }[] = [];
  for (const { quantity, cue, pattern, read } of PROSE_PATTERNS) {
    if ((only && !only.has(quantity)) || !cue.test(text)) continue;
    pattern.lastIndex = 0;
    for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
      const start = match.index;
      const end = start + match[0].length;
      if (taken.some(([from, to]) => start < to && end > from)) continue;
      const value = read(match);
      if (value === null) {
        pattern.lastIndex = start + 1; // a word that is no number: try again one character on
        continue;
      }
      taken.push([start, end]);
      found.push({ at: start, limit: { quantity, value, written: match[0].trim() } });
    }
  }
  return found.sort((a, b) => a.at - b.at).map((entry) => entry.limit);
}
