/**
 * A workflow object printed as block YAML: maps and lists indented by two, lists under their key,
 * multi-line strings as literal blocks, a string plain only where YAML reads it back as that same
 * string and double-quoted (JSON's escapes, which YAML shares) everywhere else. It prints what the
 * `yaml` package prints for these objects, in a tenth of the time a compile spends in that package;
 * test/github-actions.test.ts checks both, byte for byte, on every spec, and reads random strings
 * back with `yaml`.
 */
export type YamlValue = string | number | boolean | null | YamlValue[] | { [key: string]: YamlValue };

export interface PrintOptions {
  /** A comment for a scalar (` # …` after it on its line), by its key. */
  comment?: (key: string, value: YamlValue) => string | undefined;
}

export function printYaml(value: { [key: string]: YamlValue }, options: PrintOptions = {}): string {
  const lines: string[] = [];
  printMap(value, 0, lines, options);
  return `${lines.join("\n")}\n`;
}

function printMap(map: { [key: string]: YamlValue }, indent: number, lines: string[], options: PrintOptions, first?: string): void {
  let lead = first;
  for (const [key, value] of Object.entries(map)) {
    const prefix = lead ?? " ".repeat(indent);
    lead = undefined;
    printEntry(`${prefix}${scalar(key)}:`, key, value, indent, lines, options);
  }
  if (lead !== undefined) lines.push(`${lead}{}`);
}

function printEntry(head: string, key: string, value: YamlValue, indent: number, lines: string[], options: PrintOptions): void {
  if (Array.isArray(value)) {
    if (value.length === 0) lines.push(`${head} []`);
    else {
      lines.push(head);
      printSeq(value, indent + 2, lines, options);
    }
  } else if (value !== null && typeof value === "object") {
    if (Object.keys(value).length === 0) lines.push(`${head} {}`);
    else {
      lines.push(head);
      printMap(value, indent + 2, lines, options);
    }
  } else if (typeof value === "string" && isBlock(value)) {
    lines.push(`${head} ${blockHeader(value)}`);
    printBlock(value, indent + 2, lines);
  } else {
    const comment = options.comment?.(key, value);
    lines.push(`${head} ${scalar(value)}${comment === undefined ? "" : ` # ${comment}`}`);
  }
}

function printSeq(items: YamlValue[], indent: number, lines: string[], options: PrintOptions): void {
  const dash = `${" ".repeat(indent)}- `;
  for (const item of items) {
    if (Array.isArray(item)) {
      if (item.length === 0) lines.push(`${dash}[]`);
      else {
        lines.push(dash.trimEnd());
        printSeq(item, indent + 2, lines, options);
      }
    } else if (item !== null && typeof item === "object") printMap(item, indent + 2, lines, options, dash);
    else if (typeof item === "string" && isBlock(item)) {
      lines.push(`${dash}${blockHeader(item)}`);
      printBlock(item, indent + 2, lines);
    } else lines.push(`${dash}${scalar(item)}`);
  }
}

function printBlock(text: string, indent: number, lines: string[]): void {
  for (const line of text.replace(/\n+$/, "").split("\n")) lines.push(`${" ".repeat(indent)}${line}`);
  // Kept (`|+`) line breaks past the first are empty lines after the block.
  for (let extra = /\n*$/.exec(text)![0].length - 1; extra > 0; extra--) lines.push("");
}

/**
 * A multi-line string printed as a literal block: one that starts with text (YAML takes the block's
 * indentation from its first line), with no line of blanks alone and no control characters.
 */
function isBlock(text: string): boolean {
  return text.includes("\n") && /^[^\s]/.test(text) && !/\n[ \t]*(?:\n|$)[ \t]*\S/.test(text.replace(/\n+$/, "")) && !/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\ufeff\r]/.test(text) && !/[ \t]\n/.test(text);
}

function blockHeader(text: string): string {
  const trailing = /\n*$/.exec(text)![0].length;
  return trailing === 0 ? "|-" : trailing === 1 ? "|" : "|+";
}

// Plain text YAML would read as something else, or could not read at all: an indicator first, `: ` or
// ` #` inside, a space or `:` last, a line break or control character anywhere.
const NOT_PLAIN = /^[\s,[\]{}#&*!|>'"%@`]|^[?:-](?:[\s]|$)|:(?:\s|$)|\s#|\s$|[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufeff]/;
// Plain text YAML's core schema reads as null, a boolean or a number.
const OTHER_TYPE = /^(?:~|null|Null|NULL|true|True|TRUE|false|False|FALSE|[-+]?(?:\.\d+|\d+(?:\.\d*)?)(?:[eE][-+]?\d+)?|0o[0-7]+|0x[0-9a-fA-F]+|[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;

function scalar(value: Exclude<YamlValue, YamlValue[] | { [key: string]: YamlValue }>): string {
  if (value === null) return "null";
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (value !== "" && !NOT_PLAIN.test(value) && !OTHER_TYPE.test(value)) return value;
  // JSON's escapes are YAML's; YAML also wants DEL, C1 controls and the Unicode separators escaped.
  return JSON.stringify(value).replace(/[\u007f-\u009f\u2028\u2029\ufeff]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
