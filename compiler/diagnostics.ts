import type { VFile } from "vfile";
import type { VFileMessage } from "vfile-message";
import type { Point, Source } from "./ir.js";

/** Severity of a diagnostic code. `note` never fails a check. */
export type Severity = "error" | "warning" | "note";

interface CodeInfo {
  severity: Severity;
  slug: string;
  summary: string;
}

/**
 * Every diagnostic code, grouped by stage: 1xx Markdown structure, 2xx frontmatter and schema,
 * 3xx semantics, 4xx targets. Each has a failing fixture in test/fixtures/diagnostics/ that
 * doubles as its documentation (docs/diagnostics.md).
 */
export const CODES = {
  SPC101: { severity: "error", slug: "empty-spec", summary: "The spec has no content" },
  SPC102: { severity: "error", slug: "no-phases", summary: "The spec defines no phases" },
  SPC103: { severity: "note", slug: "unknown-section", summary: "A section specc does not recognize is kept as documentation" },
  SPC104: { severity: "warning", slug: "unnumbered-phase", summary: "A workflow heading is neither a numbered phase nor a loop" },
  SPC105: { severity: "error", slug: "deep-nesting", summary: "Lists or quotes nest deeper than specc reads, or the input is past a parser budget (nesting, table cells, emphasis)" },
  SPC106: { severity: "note", slug: "derived-id", summary: "Elements without ids got ids, or phases numbers, by position" },
  SPC107: { severity: "note", slug: "recognized-by-content", summary: "A section with an unknown title was recognized by its ids" },
  SPC110: { severity: "warning", slug: "normative-in-docs", summary: "Text that reads as a requirement or an element was kept only as documentation" },
  SPC201: { severity: "error", slug: "frontmatter-syntax", summary: "The YAML frontmatter does not parse" },
  SPC202: { severity: "error", slug: "frontmatter-type", summary: "A frontmatter value has the wrong type" },
  SPC203: { severity: "warning", slug: "frontmatter-unknown-key", summary: "A frontmatter key specc does not know" },
  SPC204: { severity: "error", slug: "ir-schema", summary: "The lowered IR breaks the IR schema" },
  SPC301: { severity: "error", slug: "duplicate-id", summary: "Two elements share an id" },
  SPC302: { severity: "error", slug: "undefined-reference", summary: "A reference to an id that is not defined" },
  SPC303: { severity: "error", slug: "phase-order", summary: "Phases are out of order" },
  SPC304: { severity: "error", slug: "phase-gap", summary: "Phase numbers skip a number" },
  SPC305: { severity: "warning", slug: "rule-no-strength", summary: "A rule has no RFC 2119 keyword" },
  SPC306: { severity: "warning", slug: "guard-default", summary: "A guard gives no numbers; the documented default is used" },
  SPC307: { severity: "warning", slug: "empty-phase", summary: "A phase has no text, requirements or gates" },
  SPC308: { severity: "warning", slug: "empty-checklist", summary: "A checklist gate has no items" },
  SPC309: { severity: "error", slug: "invalid-parameter", summary: "A guard parameter has the wrong type" },
  SPC310: { severity: "warning", slug: "misplaced-parameter", summary: "A parameter stands under a guard that does not own it" },
  SPC311: { severity: "warning", slug: "unreached-limit", summary: "A limit stated in prose reaches no contract value" },
  SPC312: { severity: "note", slug: "prose-limit", summary: "A guard number was read from prose" },
  SPC313: { severity: "warning", slug: "looser-limit", summary: "A contract value is looser than a number the spec states; the tighter one is used" },
  SPC402: { severity: "error", slug: "profile", summary: "The realization profile is invalid" },
  SPC403: { severity: "error", slug: "target-validation", summary: "Generated output failed the target's own checks" },
  SPC404: { severity: "error", slug: "unproven-enforcement", summary: "An enforcement claim has no passing violation run" },
} as const satisfies Record<string, CodeInfo>;

export type Code = keyof typeof CODES;

/** Where the docs for every code live (vfile-message wants an absolute URL). */
export const DOCS_BASE = "https://github.com/specc-dev/specc/blob/main/docs/diagnostics.md";

export interface ReportOptions {
  place?: Source | Point | null;
  hint?: string;
}

/** Add a coded, positioned message to `file`; severity comes from the code table. */
export function report(file: VFile, code: Code, reason: string, options: ReportOptions = {}): VFileMessage {
  const info: CodeInfo = CODES[code];
  const place = options.place ?? undefined;
  const message = file.message(reason, { place, ruleId: code, source: "specc" });
  message.fatal = info.severity === "error" ? true : info.severity === "warning" ? false : undefined;
  if (options.hint) message.note = options.hint;
  message.url = `${DOCS_BASE}#${code.toLowerCase()}`;
  return message;
}

/** The severity word of a message, as printed. */
export function severityOf(message: VFileMessage): Severity {
  return message.fatal === true ? "error" : message.fatal === false ? "warning" : "note";
}

/** True when any message is an error. */
export function hasErrors(file: VFile): boolean {
  return file.messages.some((message) => message.fatal === true);
}

/** Messages in source order (line, column, code), so output is stable. */
export function sortedMessages(file: VFile): VFileMessage[] {
  return [...file.messages].sort(
    (a, b) =>
      (a.line ?? 0) - (b.line ?? 0) ||
      (a.column ?? 0) - (b.column ?? 0) ||
      String(a.ruleId).localeCompare(String(b.ruleId)),
  );
}

/** `path:line:col: error CODE message` then `  hint: …`, one block per message. */
export function formatMessages(file: VFile, displayPath: string): string {
  return sortedMessages(file)
    .map((message) => {
      const head = `${displayPath}:${message.line ?? 1}:${message.column ?? 1}: ${severityOf(message)} ${message.ruleId} ${message.reason}`;
      return message.note ? `${head}\n  hint: ${message.note}` : head;
    })
    .join("\n");
}

/** The JSON form of the diagnostics (`--json`). */
export function messagesToJson(file: VFile, displayPath: string): object[] {
  return sortedMessages(file).map((message) => ({
    code: message.ruleId,
    severity: severityOf(message),
    file: displayPath,
    line: message.line ?? 1,
    column: message.column ?? 1,
    endLine: message.place && "end" in message.place ? message.place.end.line : null,
    endColumn: message.place && "end" in message.place ? message.place.end.column : null,
    message: message.reason,
    hint: message.note ?? null,
    url: message.url ?? null,
  }));
}
