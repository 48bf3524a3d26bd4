import { readFileSync } from "node:fs";
import { relative, sep } from "node:path";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { analyze } from "./analyze.js";
import { formatMessages, hasErrors, messagesToJson } from "./diagnostics.js";
import { SpeccError } from "./errors.js";
import { stableJson } from "./json.js";
import { readSpec } from "./read-spec.js";

/** Exit codes, documented in README.md. */
export const EXIT = { ok: 0, failed: 1, usage: 2, internal: 3 } as const;

const USAGE = `Usage: specc <command> [options]

Commands:
  check <spec> [--json]         Check a spec; exit 0 when clean or warnings only, 1 on errors
  ir <spec>                     Print the spec IR as JSON
  compile <spec> --target <t>   Compile a spec (targets: claude-code) [--out dir] [--profile p] [--check]

Options:
  -h, --help                    Show this help
  -v, --version                 Show the version

Exit codes: 0 ok, 1 the spec has errors (or --check found stale files), 2 usage or I/O problem, 3 internal error.
Set NO_COLOR=1 to disable colors.`;

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  cwd: string;
  color: boolean;
}

type Command = (args: string[], io: Io) => Promise<number>;

const COMMANDS: Record<string, Command> = {
  check: runCheck,
  ir: runIr,
  compile: async (args, io) => (await import("./commands/compile.js")).runCompile(args, io),
};

/** Run the CLI with `argv` (without node and script) and return the exit code. */
export async function main(argv: string[], io: Io): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "-h" || command === "--help" || command === "help") {
    io.out(USAGE);
    return command === undefined ? EXIT.usage : EXIT.ok;
  }
  if (command === "-v" || command === "--version") {
    io.out(version());
    return EXIT.ok;
  }
  const run = COMMANDS[command];
  if (!run) throw new SpeccError(`unknown command \`${command}\`, expected one of ${Object.keys(COMMANDS).join(", ")}`, { hint: "run `specc --help`" });
  return run(rest, io);
}

/** The package version, read once from package.json next to dist/. */
export function version(): string {
  const url = new URL("../../package.json", import.meta.url);
  return (JSON.parse(readFileSync(url, "utf8")) as { version: string }).version;
}

/** Parse a command's flags, turning parseArgs' errors into one usage line. */
function parseCommandArgs<T extends NonNullable<ParseArgsConfig["options"]>>(args: string[], options: T, command: string) {
  try {
    return parseArgs({ args, options, allowPositionals: true as const, strict: true as const });
  } catch (error) {
    throw new SpeccError(`${command}: ${(error as Error).message.replace(/\. To specify.*$/s, "")}`, { hint: "run `specc --help`" });
  }
}

/** The one positional spec path of a command. */
export function specPath(positionals: string[], command: string): string {
  if (positionals.length !== 1) throw new SpeccError(`${command}: expected one spec file, got ${positionals.length}`, { hint: `run \`specc ${command} specs/ml-research.md\`` });
  return positionals[0];
}

/** A path as shown to users: relative to the working directory, with `/`. */
export function displayPath(path: string, cwd: string): string {
  const shown = relative(cwd, path.startsWith("/") ? path : `${cwd}/${path}`) || path;
  return shown.split(sep).join("/");
}

async function runCheck(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, { json: { type: "boolean" } }, "check");
  const path = specPath(positionals, "check");
  const shown = displayPath(path, io.cwd);
  const { file } = analyze(readSpec(path, { displayPath: shown }));
  if (values.json) io.out(stableJson(messagesToJson(file, shown)).trimEnd());
  else {
    const text = formatMessages(file, shown);
    if (text) io.err(colorize(text, io.color));
    io.err(summary(file, shown));
  }
  return hasErrors(file) ? EXIT.failed : EXIT.ok;
}

async function runIr(args: string[], io: Io): Promise<number> {
  const { positionals } = parseCommandArgs(args, {}, "ir");
  const path = specPath(positionals, "ir");
  const shown = displayPath(path, io.cwd);
  const { ir, file } = analyze(readSpec(path, { displayPath: shown }));
  if (hasErrors(file) || !ir) {
    io.err(colorize(formatMessages(file, shown), io.color));
    return EXIT.failed;
  }
  io.out(stableJson(ir).trimEnd());
  return EXIT.ok;
}

function summary(file: import("vfile").VFile, shown: string): string {
  if (file.messages.length === 0) return `${shown}: no problems`;
  const count = (fatal: boolean | undefined, word: string): string => {
    const n = file.messages.filter((message) => message.fatal === fatal).length;
    return `${n} ${word}${n === 1 ? "" : "s"}`;
  };
  return `${shown}: ${count(true, "error")}, ${count(false, "warning")}, ${count(undefined, "note")}`;
}

/** Color the severity words when writing to a terminal and NO_COLOR is unset. */
export function colorize(text: string, color: boolean): string {
  if (!color) return text;
  return text.replace(/: (error|warning|note) /g, (_, word: string) => `: ${word === "error" ? "\x1b[31m" : word === "warning" ? "\x1b[33m" : "\x1b[36m"}${word}\x1b[39m `);
}

/** Print a failure as one line (plus a hint), never a stack trace unless SPECC_DEBUG is set. */
export function describeFailure(error: unknown): { text: string; exitCode: number } {
  if (error instanceof SpeccError) return { text: `specc: error: ${error.message}${error.hint ? `\n  hint: ${error.hint}` : ""}`, exitCode: error.exitCode };
  if (error instanceof RangeError && /call stack/i.test(error.message)) {
    return { text: "specc: error: the spec nests too deeply to process (maximum call stack exceeded), expected at most a few hundred levels of lists or quotes", exitCode: EXIT.usage };
  }
  const debug = process.env.SPECC_DEBUG ? `\n${(error as Error).stack}` : "\n  hint: this is a bug in specc; rerun with SPECC_DEBUG=1 for details and report it";
  return { text: `specc: internal error: ${(error as Error).message}${debug}`, exitCode: EXIT.internal };
}
