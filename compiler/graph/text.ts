// Text for the graph views: widths measured at compile time (so the layout needs no browser), line
// wrapping, and escaping for Mermaid labels and for HTML. Spec text is data: it is escaped for
// every place it lands, never trusted as markup.
import { normalizeText, oneLine } from "../js-print.js";

// Advance widths of printable ASCII (32–126) in thousandths of an em, from DejaVu Sans and DejaVu
// Sans Bold: the widest of the common sans-serif fonts and the one Linux browsers fall back to, so
// a box sized with them holds its text in any of the fonts the page names.
const REGULAR = [
  318, 401, 460, 838, 636, 950, 780, 275, 390, 390, 500, 838, 318, 361, 318, 337, 636, 636, 636, 636, 636, 636, 636, 636, 636, 636, 337, 337, 838, 838, 838, 531, 1000, 684, 686,
  698, 770, 632, 575, 775, 752, 295, 295, 656, 557, 863, 748, 787, 603, 787, 695, 635, 611, 732, 684, 989, 685, 611, 685, 390, 337, 390, 838, 500, 500, 613, 635, 550, 635, 615,
  352, 635, 634, 278, 278, 579, 278, 974, 634, 612, 635, 635, 411, 521, 392, 634, 592, 818, 592, 592, 525, 636, 337, 636, 838,
];
const BOLD = [
  348, 456, 521, 838, 696, 1002, 872, 306, 457, 457, 523, 838, 380, 415, 380, 365, 696, 696, 696, 696, 696, 696, 696, 696, 696, 696, 400, 400, 838, 838, 838, 580, 1000, 774, 762,
  734, 830, 683, 683, 821, 837, 372, 372, 775, 637, 995, 837, 850, 733, 850, 770, 720, 682, 812, 774, 1103, 771, 724, 725, 457, 365, 457, 838, 500, 500, 675, 716, 593, 716, 678,
  435, 716, 712, 343, 343, 665, 343, 1042, 712, 687, 716, 716, 493, 595, 478, 712, 652, 924, 645, 652, 582, 712, 365, 712, 838,
];

/** The width in pixels of one line of text at `size` pixels. */
export function textWidth(text: string, size: number, bold = false): number {
  const table = bold ? BOLD : REGULAR;
  let total = 0;
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (code >= 32 && code < 127) total += table[code - 32];
    else if (code >= 0x2e80) total += 1000; // CJK and other full-width scripts
    else total += bold ? 800 : 760; // accented letters, arrows, symbols: wide enough for most
  }
  // 4% slack for kerning and hinting differences between fonts and browsers.
  return (total / 1000) * size * 1.04;
}

/**
 * Break `text` into lines no wider than `max` pixels, at spaces, then after hyphens or slashes,
 * and as a last resort inside a word; at most `limit` lines, the last one ending in `…` when cut.
 */
export function wrapText(text: string, size: number, max: number, options: { bold?: boolean; limit?: number } = {}): string[] {
  const bold = options.bold ?? false;
  const fits = (line: string): boolean => textWidth(line, size, bold) <= max;
  const pieces: string[] = [];
  for (const word of oneLine(text).split(" ").filter(Boolean)) {
    if (fits(word)) pieces.push(word);
    else pieces.push(...splitWord(word, fits));
  }
  const lines: string[] = [];
  let current = "";
  for (const piece of pieces) {
    const glue = current === "" || current.endsWith("-") || current.endsWith("/") ? "" : " ";
    const joined = current === "" ? piece : `${current}${glue}${piece}`;
    if (current !== "" && !fits(joined)) {
      lines.push(current);
      current = piece;
    } else {
      current = joined;
    }
  }
  if (current !== "") lines.push(current);
  const limit = options.limit ?? Infinity;
  if (lines.length <= limit) return lines;
  const kept = lines.slice(0, limit);
  let last = `${kept[limit - 1]}…`;
  while (!fits(last) && last.length > 1) last = `${last.slice(0, -2).trimEnd()}…`;
  kept[limit - 1] = last;
  return kept;
}

/** A word too wide for a line, cut after hyphens and slashes (kept at the end of a piece) or, failing that, anywhere. */
function splitWord(word: string, fits: (line: string) => boolean): string[] {
  const parts = word.split(/(?<=[-/])/);
  const out: string[] = [];
  let current = "";
  for (const part of parts) {
    if (current !== "" && !fits(current + part)) {
      out.push(current);
      current = "";
    }
    if (fits(part)) current += part;
    else {
      for (const char of part) {
        if (current !== "" && !fits(current + char)) {
          out.push(current);
          current = "";
        }
        current += char;
      }
    }
  }
  if (current !== "") out.push(current);
  return out;
}

/** `text` cut to `max` characters at a word boundary, with `…` when cut. */
export function shorten(text: string, max: number): string {
  const line = oneLine(text);
  if ([...line].length <= max) return line;
  const cut = [...line].slice(0, max - 1).join("");
  const space = cut.lastIndexOf(" ");
  return `${(space > max / 2 ? cut.slice(0, space) : cut).replace(/[\s,;:.]+$/, "")}…`;
}

// Characters that mean something to Mermaid's flowchart grammar or to the HTML it renders labels
// into, as Mermaid entity codes (`#quot;`, or decimal `#NN;`): a label can neither end its string,
// nor open a shape, an edge label, a link or a tag.
const MERMAID_ENTITIES: { [char: string]: string } = {
  '"': "#quot;",
  "#": "#35;",
  "%": "#37;",
  "&": "#38;",
  "(": "#40;",
  ")": "#41;",
  "<": "#60;",
  ">": "#62;",
  "[": "#91;",
  "\\": "#92;",
  "]": "#93;",
  "{": "#123;",
  "|": "#124;",
  "}": "#125;",
};

/**
 * Text for a quoted Mermaid label (`["…"]`): one line (newlines and every other break become
 * spaces), backticks removed (they open Markdown strings), and every character of the grammar
 * above as an entity code.
 */
export function mermaidText(text: string): string {
  return oneLine(text.replace(/`/g, "")).replace(/["#%&()<>[\\\]{|}]/g, (char) => MERMAID_ENTITIES[char]);
}

/** Text for HTML content or a quoted attribute value: nothing in it can open a tag, an entity, an attribute or a quote. */
export function escapeHtml(text: string): string {
  return normalizeText(text).replace(/[&<>"'=`]/g, (char) => `&#${char.charCodeAt(0)};`);
}
