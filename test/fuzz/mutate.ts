/**
 * Seeded mutation operators over Markdown specs, for the fuzzer (scripts/fuzz.mjs) and its CI slice
 * (test/fuzz.test.ts). Pure: no I/O, no clock, no Math.random, so a case is reproduced from its
 * (seed, index) pair alone. The operators aim at the failure classes seen before: deep nesting
 * (stack overflows), runs of delimiters (super-linear parsing), keys that collide with
 * Object.prototype (internal errors) and numbers outside every sane range.
 */

/** A PRNG returning floats in [0, 1). */
export type Rng = () => number;

/** mulberry32: tiny, fast and good enough to pick mutations. */
export function mulberry32(seed: number): Rng {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One 32-bit seed per (run seed, case index), so case n does not depend on cases before it. */
export function caseSeed(seed: number, index: number): number {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

export const int = (rng: Rng, min: number, max: number): number => min + Math.floor(rng() * (max - min + 1));
export const pick = <T>(rng: Rng, items: readonly T[]): T => items[Math.floor(rng() * items.length)];

/** Skewed towards small values but reaching `max`: most nests are shallow, a few are very deep. */
function depth(rng: Rng, max: number): number {
  return rng() < 0.5 ? int(rng, 1, 12) : int(rng, 1, max);
}

type Op = (lines: string[], rng: Rng) => string[];

const lineIndex = (lines: string[], rng: Rng): number => int(rng, 0, Math.max(0, lines.length - 1));

/** Indices of lines matching `pattern`; operators that need a target fall back to any line. */
function matching(lines: string[], pattern: RegExp): number[] {
  const found: number[] = [];
  lines.forEach((line, index) => {
    if (pattern.test(line)) found.push(index);
  });
  return found;
}

function replaceAt(lines: string[], index: number, ...replacement: string[]): string[] {
  return [...lines.slice(0, index), ...replacement, ...lines.slice(index + 1)];
}

function insertAt(lines: string[], index: number, ...inserted: string[]): string[] {
  return [...lines.slice(0, index), ...inserted, ...lines.slice(index)];
}

/** Blocks are runs of lines between blank lines: paragraphs, lists, tables, headings. */
function blocks(lines: string[]): [number, number][] {
  const found: [number, number][] = [];
  let start = -1;
  lines.forEach((line, index) => {
    if (line.trim() === "") {
      if (start !== -1) found.push([start, index]);
      start = -1;
    } else if (start === -1) start = index;
  });
  if (start !== -1) found.push([start, lines.length]);
  return found.length > 0 ? found : [[0, lines.length]];
}

// --- structure -------------------------------------------------------------------------------

const deleteLine: Op = (lines, rng) => replaceAt(lines, lineIndex(lines, rng));
const duplicateLine: Op = (lines, rng) => {
  const index = lineIndex(lines, rng);
  return insertAt(lines, index, lines[index] ?? "");
};
const swapLines: Op = (lines, rng) => {
  const out = [...lines];
  const a = lineIndex(lines, rng);
  const b = lineIndex(lines, rng);
  [out[a], out[b]] = [out[b], out[a]];
  return out;
};
const deleteBlock: Op = (lines, rng) => {
  const [start, end] = pick(rng, blocks(lines));
  return [...lines.slice(0, start), ...lines.slice(end)];
};
const duplicateBlock: Op = (lines, rng) => {
  const [start, end] = pick(rng, blocks(lines));
  return insertAt(lines, start, ...lines.slice(start, end), "");
};
const swapBlocks: Op = (lines, rng) => {
  const all = blocks(lines);
  const [a, b] = [pick(rng, all), pick(rng, all)].sort((x, y) => x[0] - y[0]);
  if (a[1] > b[0]) return lines;
  return [...lines.slice(0, a[0]), ...lines.slice(b[0], b[1]), ...lines.slice(a[1], b[0]), ...lines.slice(a[0], a[1]), ...lines.slice(b[1])];
};
/** A block repeated 200 times: quadratic passes over siblings show up as slow cases. */
const repeatBlock: Op = (lines, rng) => {
  const [start, end] = pick(rng, blocks(lines));
  const block = lines.slice(start, Math.min(end, start + 20));
  const copies: string[] = [];
  for (let n = 0; n < 200; n++) copies.push(...block, "");
  return insertAt(lines, end, "", ...copies);
};
const truncate: Op = (lines, rng) => lines.slice(0, lineIndex(lines, rng) + 1);

// --- nesting ---------------------------------------------------------------------------------

/** A line (or a block) quoted N deep: `> > > …`. */
const nestQuote: Op = (lines, rng) => {
  const prefix = "> ".repeat(depth(rng, 120));
  const [start, end] = rng() < 0.5 ? pick(rng, blocks(lines)) : [lineIndex(lines, rng), lineIndex(lines, rng) + 1];
  return lines.map((line, index) => (index >= start && index < end ? prefix + line : line));
};
/** A staircase of list items N deep, each indented under the last. */
const nestList: Op = (lines, rng) => {
  const levels = depth(rng, 120);
  const marker = pick(rng, ["- ", "* ", "1. ", "- [ ] "]);
  const stair: string[] = [];
  let indent = "";
  for (let level = 0; level < levels; level++) {
    stair.push(`${indent}${marker}item ${level} (C1, R1, Phase 1)`);
    indent += " ".repeat(marker.length);
  }
  return insertAt(lines, lineIndex(lines, rng), ...stair);
};
/** N list markers on one line: `- - - - x`, nested lists without indentation. */
const nestInline: Op = (lines, rng) => {
  const index = lineIndex(lines, rng);
  const prefix = pick(rng, ["- ", "> ", "> - ", "1. "]).repeat(depth(rng, 120));
  return replaceAt(lines, index, prefix + (lines[index] ?? "").trimStart());
};
/** Mixed `>` and list nesting inside one line block. */
const nestMixed: Op = (lines, rng) => {
  const out: string[] = [];
  let prefix = "";
  for (let level = 0, levels = depth(rng, 80); level < levels; level++) {
    prefix += rng() < 0.5 ? "> " : "  - ";
    out.push(`${prefix}level ${level}`);
  }
  return insertAt(lines, lineIndex(lines, rng), ...out);
};

// --- delimiter runs ----------------------------------------------------------------------------

const RUN_CHARS = ["*", "_", "`", "[", "]", "|", "#", "-", "~", "<", "\\", "(", "!["];

/** A run of one delimiter, or of delimiter-plus-letter (`*a*a*a`), inside a line or as a line. */
const insertRun: Op = (lines, rng) => {
  const char = pick(rng, RUN_CHARS);
  const length = rng() < 0.3 ? int(rng, 1, 20) : int(rng, 20, 500);
  const run = rng() < 0.6 ? char.repeat(length) : `${char}a`.repeat(Math.ceil(length / 2));
  const index = lineIndex(lines, rng);
  const line = lines[index] ?? "";
  if (rng() < 0.4) return insertAt(lines, index, run);
  const at = int(rng, 0, line.length);
  return replaceAt(lines, index, line.slice(0, at) + run + line.slice(at));
};
/** Nested brackets and emphasis: `[[[[x]]]]`, `**__**__x__**__**`. */
const insertBalanced: Op = (lines, rng) => {
  const n = int(rng, 1, 300);
  const [open, close] = pick(rng, [["[", "]"], ["**", "**"], ["_", "_"], ["(", ")"], ["[", "](x)"], ["`", "`"], ["<", ">"]]);
  return insertAt(lines, lineIndex(lines, rng), `${open.repeat(n)}x${close.repeat(n)}`);
};

// --- numbers -----------------------------------------------------------------------------------

const HOSTILE_NUMBERS = ["-5", "0", "-0", "1e308", "1e309", "9007199254740992", "99999999999999999999", "NaN", "Infinity", "-Infinity", "0x10", "1_000", "", "1.5.5", "2–999999999999", "5–2", "0–0", "3-", "½", "٣", "0.0000001", "50k", "50kk", "-50k", "1e3k"];

const replaceNumber: Op = (lines, rng) => {
  // Half the time a `key: number` line (a guard parameter, a frontmatter default): those reach the runtime.
  const keyed = matching(lines, /^\s*(?:[-*]\s+)?[\w ]+:\s*-?\d/);
  const candidates = keyed.length > 0 && rng() < 0.5 ? keyed : matching(lines, /\d/);
  if (candidates.length === 0) return lines;
  const index = pick(rng, candidates);
  const numbers = [...lines[index].matchAll(/\d+(?:\.\d+)?(?:[–-]\d+)?k?/g)];
  const target = pick(rng, numbers);
  const start = target.index ?? 0;
  const line = lines[index];
  return replaceAt(lines, index, line.slice(0, start) + pick(rng, HOSTILE_NUMBERS) + line.slice(start + target[0].length));
};

// --- names that collide with Object.prototype ----------------------------------------------------

const PROTO_NAMES = ["constructor", "__proto__", "toString", "hasOwnProperty", "valueOf", "prototype", "isPrototypeOf", "__defineGetter__"];

/** `- key: value` guard parameters and `key:` frontmatter lines get a prototype key. */
const renameKey: Op = (lines, rng) => {
  const candidates = matching(lines, /^\s*(?:[-*]\s+)?[A-Za-z_][\w ]*:(?:\s|$)/);
  if (candidates.length === 0) return lines;
  const index = pick(rng, candidates);
  return replaceAt(lines, index, lines[index].replace(/^(\s*(?:[-*]\s+)?)[A-Za-z_][\w ]*:/, `$1${pick(rng, PROTO_NAMES)}:`));
};
/** A table cell (a capability, a provider, a skill, a parameter) becomes a prototype key. */
const renameCell: Op = (lines, rng) => {
  const rows = matching(lines, /^\|.*\|\s*$/).filter((index) => !/^\|[\s|:-]+\|\s*$/.test(lines[index]));
  if (rows.length === 0) return lines;
  const index = pick(rng, rows);
  const cells = lines[index].split("|");
  const cell = int(rng, 1, Math.max(1, cells.length - 2));
  const name = pick(rng, PROTO_NAMES);
  cells[cell] = rng() < 0.5 ? ` ${name} ` : cells[cell].replace(/[\w-]+/, name);
  return replaceAt(lines, index, cells.join("|"));
};
/** Bold ids (`**C1.**`, `**R2 (MUST).**`) and references (`(C1, R2)`) become prototype keys. */
const renameId: Op = (lines, rng) => {
  const candidates = matching(lines, /\b[CRP]\d+\b/);
  if (candidates.length === 0) return lines;
  const index = pick(rng, candidates);
  const name = pick(rng, PROTO_NAMES);
  return replaceAt(lines, index, lines[index].replace(/\b[CRP]\d+\b/, rng() < 0.5 ? name : `C${name}`));
};

// --- phases and headings -------------------------------------------------------------------------

const insertPhase: Op = (lines, rng) => {
  const inserted = pick(rng, [
    ["### Phase 9007199254740992: Far away", "", "Do it (C1)."],
    ["### Phase 99999999999999999999: Farther", "", "Do it."],
    ["### Phase -1: Before", "", "Do it."],
    ["### Phase 1.5: Between", "", "Do it."],
    ["### Phase 0: Again", "", "Do it."],
    ["### Phase constructor: Proto", "", "Do it."],
    ["### Phase", ""],
  ]);
  return insertAt(lines, lineIndex(lines, rng), ...inserted);
};
const insertPhaseRef: Op = (lines, rng) => {
  const index = lineIndex(lines, rng);
  const ref = pick(rng, ["see Phase 99999999999999999999", "(Phase 9007199254740992)", "(Phase -1, §99999999999999999999.1)", "see Appendix ZZ", "(§6.999999999)", "(R99999999999999999999, C0)"]);
  return replaceAt(lines, index, `${lines[index] ?? ""} ${ref}`);
};
const headingDepth: Op = (lines, rng) => {
  const headings = matching(lines, /^#{1,6}\s/);
  if (headings.length === 0) return lines;
  const index = pick(rng, headings);
  const level = int(rng, 1, 7);
  return replaceAt(lines, index, lines[index].replace(/^#+/, "#".repeat(level)));
};
/** A line of text promoted to a heading, or a heading demoted to text. */
const toggleHeading: Op = (lines, rng) => {
  const index = lineIndex(lines, rng);
  const line = lines[index] ?? "";
  return replaceAt(lines, index, /^#/.test(line) ? line.replace(/^#+\s*/, "") : `${"#".repeat(int(rng, 1, 6))} ${line}`);
};

// --- frontmatter -------------------------------------------------------------------------------

const FRONTMATTER_BREAKS = [
  "key: [unclosed",
  "\tname: tabbed",
  "name: a\nname: b",
  "a: &a [*a, *a]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: [*b, *b, *b, *b, *b, *b, *b, *b, *b]",
  "params:\n  __proto__:\n    type: string",
  "params:\n  constructor:\n    type: number\n    default: -5",
  "params: 5",
  "params:\n  task: null",
  "version: !!binary AAAA",
  "title: !!js/function 'x'",
  "? [complex, key]\n: value",
  "---",
  "...",
  "name: " + "x".repeat(5000),
  "params:\n  cost_cap_usd:\n    type: number\n    default: 1e309",
];

const breakFrontmatter: Op = (lines, rng) => {
  const fences = matching(lines, /^---\s*$/);
  const choice = int(rng, 0, 3);
  if (choice === 0 && fences.length > 0) return replaceAt(lines, pick(rng, fences.slice(0, 2)));
  if (choice === 1) return insertAt(lines, 0, "---", ...pick(rng, FRONTMATTER_BREAKS).split("\n"), "---");
  const inside = fences.length >= 1 ? fences[0] + 1 : 0;
  return insertAt(lines, inside, ...pick(rng, FRONTMATTER_BREAKS).split("\n"));
};

// --- encoding and unicode ---------------------------------------------------------------------------

const CRLF = (lines: string[]): string[] => lines.map((line) => `${line}\r`);
const encoding: Op = (lines, rng) => {
  switch (int(rng, 0, 4)) {
    case 0:
      return CRLF(lines);
    case 1:
      return ["\uFEFF" + (lines[0] ?? ""), ...lines.slice(1)];
    case 2:
      return ["\uFEFF" + (lines[0] ?? ""), ...CRLF(lines.slice(1))];
    case 3: {
      // lone CRs: old Mac line endings inside one block
      const [start, end] = pick(rng, blocks(lines));
      return [...lines.slice(0, start), lines.slice(start, end).join("\r"), ...lines.slice(end)];
    }
    default: {
      const index = lineIndex(lines, rng);
      return replaceAt(lines, index, `\uFEFF${lines[index] ?? ""}`);
    }
  }
};

const UNICODE = [
  "\u200F", "\u202E", "\u2066", "\u200B", "\u00AD", "\uFEFF", "\u2028", "\u2029", "\u0085",
  "e\u0301\u0301\u0301\u0301", "\u0301".repeat(200), "👩‍👩‍👧‍👦", "🏳️‍🌈", "\uD83D", "\uDE00", "Ⅻ", "٣",
  "\u0001", "\u0007", "\u0008", "\u000B", "\u000C", "\u001B[31m", "\u007F", "\u0090", "ſ", "K", "İ",
];

const insertUnicode: Op = (lines, rng) => {
  const index = lineIndex(lines, rng);
  const line = lines[index] ?? "";
  const at = int(rng, 0, line.length);
  const text = pick(rng, UNICODE).repeat(rng() < 0.8 ? 1 : int(rng, 2, 300));
  return replaceAt(lines, index, line.slice(0, at) + text + line.slice(at));
};

// --- tables ----------------------------------------------------------------------------------------

const raggedTable: Op = (lines, rng) => {
  const columns = int(rng, 1, 40);
  const row = (cells: number, text: string): string => `|${Array.from({ length: cells }, (_, i) => ` ${text}${i} `).join("|")}|`;
  const table = [row(columns, "h"), `|${" --- |".repeat(columns)}`];
  for (let r = 0, rows = int(rng, 0, rng() < 0.9 ? 10 : 500); r < rows; r++) table.push(row(int(rng, 0, columns * 2), pick(rng, ["C", "toString", "x", "|", "\\|"])));
  return insertAt(lines, lineIndex(lines, rng), "", ...table, "");
};
const raggedRow: Op = (lines, rng) => {
  const rows = matching(lines, /^\|/);
  if (rows.length === 0) return lines;
  const index = pick(rng, rows);
  const line = lines[index];
  return replaceAt(lines, index, rng() < 0.5 ? line.replace(/\|[^|]*\|\s*$/, "|") : `${line}${" extra |".repeat(int(rng, 1, 50))}`);
};

/** Every operator, by name (the name goes into the case's description). */
export const OPERATORS: Record<string, Op> = {
  deleteLine, duplicateLine, swapLines, deleteBlock, duplicateBlock, swapBlocks, repeatBlock, truncate,
  nestQuote, nestList, nestInline, nestMixed, insertRun, insertBalanced, replaceNumber, renameKey,
  renameCell, renameId, insertPhase, insertPhaseRef, headingDepth, toggleHeading, breakFrontmatter,
  encoding, insertUnicode, raggedTable, raggedRow,
};

/** Apply `count` random operators to `text`; returns the mutated text and the operators used. */
export function mutate(text: string, rng: Rng, count: number): { text: string; ops: string[] } {
  let lines = text.split("\n");
  const ops: string[] = [];
  const names = Object.keys(OPERATORS);
  for (let n = 0; n < count; n++) {
    const name = pick(rng, names);
    lines = OPERATORS[name](lines, rng);
    ops.push(name);
  }
  return { text: lines.join("\n"), ops };
}

export interface Seed {
  name: string;
  text: string;
  /** Relative chance of being picked (default 1): full specs exercise more than small fixtures. */
  weight?: number;
}

function pickSeed(rng: Rng, seeds: readonly Seed[]): Seed {
  const total = seeds.reduce((sum, seed) => sum + (seed.weight ?? 1), 0);
  let at = rng() * total;
  for (const seed of seeds) {
    at -= seed.weight ?? 1;
    if (at < 0) return seed;
  }
  return seeds[seeds.length - 1];
}

export interface Case {
  index: number;
  seed: string;
  ops: string[];
  text: string;
}

/** Case `index` of run `seed`: one seed spec with 1–4 mutations, reproducible on its own. */
export function makeCase(seeds: readonly Seed[], seed: number, index: number): Case {
  const rng = mulberry32(caseSeed(seed, index));
  const source = pickSeed(rng, seeds);
  const { text, ops } = mutate(source.text, rng, int(rng, 1, 4));
  return { index, seed: source.name, ops, text };
}
