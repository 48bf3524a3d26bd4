import type { VFile } from "vfile";
import { analyze, type Analysis } from "../../compiler/analyze.js";
import { formatMessages, hasErrors, messagesToJson } from "../../compiler/diagnostics.js";
import { SpeccError } from "../../compiler/errors.js";
import { stableJson } from "../../compiler/json.js";
import { outline } from "../../compiler/outline.js";
import { readSpec } from "../../compiler/read-spec.js";
import { absolutePath, colorize, defineCommand, describeFailure, displayPath, EXIT, type Io, type Values } from "./common.js";

// A new boolean flag is one entry here plus its branch in `printText`.
const flags = {
  json: { type: "boolean", help: "Print the diagnostics of all files as one JSON array on stdout" },
  outline: { type: "boolean", help: "Print each spec's heading tree with what every block became (stdout)" },
} as const;

type CheckOptions = Values<typeof flags>;

/** One file's outcome: its analysis, or the one line saying why it could not be checked. */
interface Checked {
  shown: string;
  analysis: Analysis | null;
  failure: string | null;
  exitCode: number;
}

/** `specc check <spec>... [--json]`. */
export const checkCommand = defineCommand({
  name: "check",
  summary: "Parse, lower and check specs, printing each file's diagnostics",
  args: "<spec>...",
  flags,
  details: [
    "Diagnostics go to stderr, each file followed by a summary line; a file that cannot be read prints",
    "one line and the other files are still checked. With --json, stdout is one array of all messages.",
    "Exit codes: 0 no errors (warnings allowed), 1 a spec has errors, 2 a file could not be read or a",
    "usage problem, 70 internal error. With several files the highest code wins.",
  ].join("\n"),
  async run({ values, positionals }, io) {
    if (positionals.length === 0) throw new SpeccError("check: expected at least one spec file", { hint: "run `specc check specs/ml-research.md`" });
    let exitCode: number = EXIT.ok;
    const checked: Checked[] = [];
    for (const path of positionals) {
      const result = checkFile(path, io);
      // Print as we go so a long list shows progress; JSON has to wait for the closing bracket.
      if (result.failure) io.err(result.failure);
      else if (!values.json) printText(result, values, io);
      checked.push(result);
      exitCode = Math.max(exitCode, result.exitCode);
    }
    if (values.json) io.out(stableJson(checked.flatMap(toJson)).trimEnd());
    return exitCode;
  },
});

function checkFile(path: string, io: Io): Checked {
  const shown = displayPath(path, io.cwd);
  try {
    const analysis = analyze(readSpec(absolutePath(path, io), { displayPath: shown }));
    return { shown, analysis, failure: null, exitCode: hasErrors(analysis.file) ? EXIT.failed : EXIT.ok };
  } catch (error) {
    const { text, exitCode } = describeFailure(error);
    // A SpeccError already names the file; anything else would not say which of several it was.
    const failure = error instanceof SpeccError ? text : text.replace(/^(specc: (?:internal )?error: )/, `$1${shown}: `);
    return { shown, analysis: null, failure, exitCode };
  }
}

function printText({ shown, analysis }: Checked, options: CheckOptions, io: Io): void {
  if (!analysis) return;
  if (options.outline && analysis.ir) io.out(`${shown}\n${outline(analysis.ir)}`);
  const text = formatMessages(analysis.file, shown);
  if (text) io.err(colorize(text, io.color));
  io.err(summary(analysis.file, shown));
}

function toJson({ shown, analysis }: Checked): object[] {
  return analysis ? messagesToJson(analysis.file, shown) : [];
}

function summary(file: VFile, shown: string): string {
  if (file.messages.length === 0) return `${shown}: no problems`;
  const count = (fatal: boolean | undefined, word: string): string => {
    const n = file.messages.filter((message) => message.fatal === fatal).length;
    return `${n} ${word}${n === 1 ? "" : "s"}`;
  };
  return `${shown}: ${count(true, "error")}, ${count(false, "warning")}, ${count(undefined, "note")}`;
}
