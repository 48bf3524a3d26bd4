// Printing JavaScript from spec data: string literals, one-entry-a-line tables, and comments no
// text can break out of. Spec text is data: it lands only inside string literals or escaped
// comments, never as code.
import { sortKeys } from "./json.js";
import { compareNatural } from "./natural-order.js";

// Line breaks in any of the senses YAML, JavaScript or Unicode give them.
const LINE_BREAKS = /\r\n|[\r\n\u0085\u2028\u2029\v\f]/g;
// C0 and C1 controls and DEL, except tab and the breaks above; and the byte-order mark.
const CONTROLS = /[\u0000-\u0008\u000e-\u001f\u007f-\u0084\u0086-\u009f\ufeff]/g;
const LONE_SURROGATES = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Text with controls and lone surrogates removed and every line break as `\n`. */
export function normalizeText(text: string): string {
  return text.replace(LINE_BREAKS, "\n").replace(CONTROLS, "").replace(LONE_SURROGATES, "\ufffd");
}

/** One line: every run of whitespace (line breaks included) becomes one space. */
export function oneLine(text: string): string {
  return normalizeText(text).replace(/\s+/g, " ").trim();
}

/**
 * Comment text: one line (every JavaScript, YAML and Unicode line break, U+2028 and U+2029
 * included, is a space), no controls, and no `*\/` or `--` (so neither a block comment nor an HTML
 * comment can be closed by it), so a spec or file name can end no comment early.
 */
export function commentText(text: string): string {
  let line = oneLine(text);
  // Repeated until stable: `---` becomes `- --` in one pass.
  for (let previous = ""; previous !== line; ) {
    previous = line;
    line = line.replace(/\*\//g, "* /").replace(/--/g, "- -");
  }
  return line;
}

/** A JavaScript line comment: one line, so no line terminator can end it early. */
export function jsLineComment(text: string): string {
  return `// ${commentText(text)}`;
}

/** A JavaScript string literal: spec text stays data (JSON escapes quotes, newlines, controls). */
export function jsString(text: string): string {
  return JSON.stringify(text);
}

/** A table printed one entry a line, so a change to one entry is a one-line diff. */
export function jsTable(declaration: string, table: { [key: string]: unknown }): string {
  const keys = Object.keys(table).sort(compareNatural);
  if (keys.length === 0) return `${declaration} = {};`;
  return [`${declaration} = {`, ...keys.map((key) => `  ${jsString(key)}: ${JSON.stringify(sortKeys(table[key]))},`), "};"].join("\n");
}
