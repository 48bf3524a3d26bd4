/** Text as compared: runs of white space are one space, so re-wrapping a paragraph is no change. */
export function normalizeText(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

const KEYWORDS = /\b(?:MUST NOT|SHALL NOT|SHOULD NOT|NOT RECOMMENDED|MUST|SHALL|REQUIRED|SHOULD|RECOMMENDED|MAY|OPTIONAL)\b/g;

/** Text with its RFC 2119 keywords blanked: a strength change is reported as such, not also as a rewording. */
export function withoutKeywords(text: string): string {
  return normalizeText(text).replace(KEYWORDS, "#");
}

/** At most `max` characters of normalized text, ending in `…` when cut. */
export function shorten(text: string, max = 80): string {
  const flat = normalizeText(text);
  return flat.length <= max ? flat : `${flat.slice(0, max - 1).trimEnd()}…`;
}

/**
 * Two texts cut to where they differ, with a little context, so a rewording shows its change even
 * deep in a long paragraph; each is at most `max` characters.
 */
export function excerpts(a: string, b: string, max = 80): [string, string] {
  const x = normalizeText(a);
  const y = normalizeText(b);
  if (x.length <= max && y.length <= max) return [x, y];
  let prefix = 0;
  while (prefix < Math.min(x.length, y.length) && x[prefix] === y[prefix]) prefix++;
  let suffix = 0;
  while (suffix < Math.min(x.length, y.length) - prefix && x[x.length - 1 - suffix] === y[y.length - 1 - suffix]) suffix++;
  const context = 20;
  // Start at a word boundary, so an excerpt never opens mid-word.
  const start = Math.max(0, x.lastIndexOf(" ", Math.max(0, prefix - context)) + 1);
  const cut = (text: string): string => {
    const end = Math.min(text.length, text.length - suffix + context, start + max - 2);
    return `${start > 0 ? "…" : ""}${text.slice(start, end)}${end < text.length ? "…" : ""}`;
  };
  return [cut(x), cut(y)];
}

/** `from` and `to` of a rewording: the two excerpts around what changed. */
export function fromTo(a: string, b: string): { from: string; to: string } {
  const [from, to] = excerpts(a, b);
  return { from, to };
}

/**
 * An element's prose without its parameter lines (`- protected: method, model`): a parameter is
 * compared as a value, so changing it is reported once, not also as a rewording.
 */
export function proseOf(text: string, keys: string[]): string {
  const lines = text.split("\n").filter((line) => !keys.some((key) => line.startsWith(`- ${key}:`)));
  return normalizeText(lines.join("\n"));
}
