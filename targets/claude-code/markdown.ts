/**
 * Safe text helpers for generated Markdown, YAML frontmatter and comments. Spec text is data:
 * whatever it contains (backticks, `${…}`, `*\/`, `---`, YAML specials, control characters),
 * these helpers print it so it stays inert text in the place it lands.
 */
import { commentText, jsLineComment, normalizeText, oneLine } from "../../compiler/js-print.js";

export { commentText, jsLineComment, normalizeText, oneLine };

/** Frontmatter values: strings, numbers and lists of strings (all a subagent file needs). */
export type FrontmatterValue = string | number | string[];

// A line that would close frontmatter, start a heading, fence, thematic break or setext underline.
const STRUCTURAL = /^(#|`{3}|~{3}|[-=]+[ \t]*$|([-*_+.])[ \t]*\2[ \t]*\2[-*_=+. \t]*$)/;

/** One line of body text, escaped so Markdown reads it as plain text, never as structure. */
export function escapeLine(line: string): string {
  const text = line.trim();
  return STRUCTURAL.test(text) ? `\\${text}` : text;
}

/** Non-empty, escaped lines of a possibly multi-line text. */
export function textLines(text: string): string[] {
  return normalizeText(text)
    .split("\n")
    .map(escapeLine)
    .filter((line) => line !== "");
}

/** A Markdown bullet for multi-line text: continuation lines are indented under the bullet. */
export function bullet(text: string): string[] {
  const [first = "(empty)", ...rest] = textLines(text);
  return [`- ${first}`, ...rest.map((line) => `  ${line}`)];
}

/** Inline code for a short identifier-like value; anything else is printed as escaped text. */
export function inlineCode(text: string): string {
  const value = oneLine(text);
  return value !== "" && !value.includes("`") ? `\`${value}\`` : escapeLine(JSON.stringify(value));
}

/**
 * YAML frontmatter between `---` lines: one key per line, every string double-quoted on one line
 * (so no YAML 1.1 or 1.2 reader turns `on`, `1e3` or `- x` into something else). Throws when the
 * printed YAML does not read back to exactly the same values, which would be a bug here.
 */
export function frontmatter(fields: { [key: string]: FrontmatterValue }): string {
  // JSON strings are valid YAML double-quoted scalars; printing them directly is exact and cheap.
  // verifyAgentFiles reads every file back with `readFrontmatter`; the tests also use a YAML parser.
  const lines = Object.entries(fields).map(([key, value]) => {
    if (Array.isArray(value)) return value.length === 0 ? `${key}: []` : `${key}:\n${value.map((item) => `  - ${yamlScalar(item)}`).join("\n")}`;
    return `${key}: ${yamlScalar(value)}`;
  });
  return `---\n${lines.join("\n")}\n---\n`;
}

// What JSON leaves raw but a YAML reader refuses or reads as a line break: DEL and the C1 controls
// (NEL is a YAML 1.1 line break), the Unicode line and paragraph separators, the byte-order mark,
// and the BMP noncharacters (U+FDD0–U+FDEF, U+FFFE, U+FFFF; YAML 1.2 calls the last two
// non-printable, and strict readers reject the whole document for them).
const YAML_UNSAFE = /[\u007f-\u009f\u2028\u2029\ufeff\ufdd0-\ufdef\ufffe\uffff]/g;

/** A string or number as one YAML double-quoted (JSON) scalar, with every unprintable character escaped as `\uXXXX`. */
export function yamlScalar(value: string | number): string {
  return JSON.stringify(value).replace(YAML_UNSAFE, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/**
 * Read back frontmatter `frontmatter()` printed, strictly: `key: <JSON scalar>`, `key: []`, or
 * `key:` then `  - <JSON scalar>` lines, with no character a YAML reader would refuse. Anything
 * else is an error naming its line: the printer's output is a subset of YAML that this reader
 * checks exactly, cheaply; the tests read the same files with a full YAML parser too.
 */
export function readFrontmatter(yaml: string): { fields: { [key: string]: string | number | (string | number)[] } } | { error: string; line: number } {
  const fields: { [key: string]: string | number | (string | number)[] } = Object.create(null);
  const lines = yaml.split("\n");
  if (lines.at(-1) === "") lines.pop();
  let list: (string | number)[] | null = null;
  for (const [index, line] of lines.entries()) {
    const bad = (what: string) => ({ error: what, line: index + 2 });
    if (YAML_UNSAFE.test(line)) {
      YAML_UNSAFE.lastIndex = 0;
      return bad("an unescaped character a YAML reader refuses");
    }
    const item = /^ {2}- (.+)$/.exec(line);
    if (item) {
      if (!list) return bad("a list item outside a list");
      const value = scalarOf(item[1]);
      if (value === undefined) return bad("a list item that is not one JSON string or number");
      list.push(value);
      continue;
    }
    const pair = /^([A-Za-z][A-Za-z0-9_-]*):(?: (.*))?$/.exec(line);
    if (!pair || Object.hasOwn(fields, pair[1])) return bad(pair ? `a second \`${pair[1]}\`` : "a line that is not `key: value`");
    list = null;
    if (pair[2] === undefined) fields[pair[1]] = list = [];
    else if (pair[2] === "[]") fields[pair[1]] = [];
    else {
      const value = scalarOf(pair[2]);
      if (value === undefined) return bad(`a value of \`${pair[1]}\` that is not one JSON string or number`);
      fields[pair[1]] = value;
    }
  }
  return { fields };
}

function scalarOf(text: string): string | number | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "string" || (typeof value === "number" && Number.isFinite(value)) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Split a Markdown file into its frontmatter text and body; `null` when it has none. */
export function splitFrontmatter(text: string): { yaml: string; body: string; bodyLine: number } | null {
  if (!text.startsWith("---\n")) return null;
  const end = text.indexOf("\n---\n", 3);
  if (end < 0) return null;
  const yaml = text.slice(4, end + 1);
  return { yaml, body: text.slice(end + 5), bodyLine: yaml.split("\n").length + 2 };
}

/** An HTML comment that no text can close early. */
export function htmlComment(text: string): string {
  return `<!-- ${commentText(text).replace(/>/g, "&gt;")} -->`;
}


/** The provenance sentence every generated file carries; the spec's hash is only in the manifest, so an edit leaves this line alone. */
export function provenanceText(provenance: { source: string; specc: string }): string {
  return (
    `Generated by specc ${oneLine(provenance.specc)} from ${oneLine(provenance.source)} (its sha256 is in the manifest). ` +
    "Do not edit: change the spec and recompile."
  );
}
