import type { Strength } from "../ir.js";

const KEYWORDS: Record<string, Strength> = {
  "MUST NOT": "MUST NOT",
  "SHALL NOT": "MUST NOT",
  MUST: "MUST",
  SHALL: "MUST",
  REQUIRED: "MUST",
  "SHOULD NOT": "SHOULD NOT",
  "NOT RECOMMENDED": "SHOULD NOT",
  SHOULD: "SHOULD",
  RECOMMENDED: "SHOULD",
  MAY: "MAY",
  OPTIONAL: "MAY",
};

const RANK: Record<Strength, number> = { "MUST NOT": 3, MUST: 3, "SHOULD NOT": 2, SHOULD: 2, MAY: 1 };

// Longest alternatives first so "MUST NOT" wins over "MUST"; capitals only, as RFC 2119 asks.
// Not inside a hyphenated token: the `MAY` of a date such as `03-MAY-2024` is no keyword.
const PATTERN = /(?<![\w-])(MUST NOT|SHALL NOT|NOT RECOMMENDED|SHOULD NOT|MUST|SHALL|REQUIRED|SHOULD|RECOMMENDED|MAY|OPTIONAL)(?![\w-])/g;

/** The strongest RFC 2119 keyword in `text` (the first one among equals), or null. */
export function strengthOf(text: string): Strength | null {
  let best: Strength | null = null;
  for (const match of text.matchAll(PATTERN)) {
    const strength = KEYWORDS[match[1]];
    if (best === null || RANK[strength] > RANK[best]) best = strength;
  }
  return best;
}
