import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { SpeccError } from "../../compiler/errors.js";
import { RuntimeError } from "../../runtime/errors.js";

/**
 * Exit codes, documented in README.md. They are ordered by priority: when one run has several
 * outcomes (`specc check a.md b.md`), the highest code wins.
 */
/**
 * Exit codes, one table for every command: 3 is a run that stopped for a human decision (`specc
 * run`); an internal error (a bug) is 70, sysexits' EX_SOFTWARE, so no script mistakes it for either.
 */
export const EXIT = { ok: 0, failed: 1, usage: 2, human: 3, internal: 70 } as const;

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  /** Relative paths on the command line are resolved against this, not `process.cwd()`. */
  cwd: string;
  color: boolean;
  /** Whether stderr is a terminal (a live view can redraw in place). */
  tty?: boolean;
  /** Raw write to stderr, for redrawing; without it the view prints lines. */
  write?: (text: string) => void;
}

/** One command-line flag; the same table drives parsing and `specc <command> --help`. */
export interface Flag {
  type: "boolean" | "string";
  /** A string flag that may be given more than once (its value is then a list). */
  multiple?: boolean;
  /** The value's placeholder in the help (`--out <dir>`); string flags only. */
  value?: string;
  help: string;
}

export type Flags = Record<string, Flag>;

/** Parsed flag values: booleans for boolean flags, strings for string flags, unset when absent. */
export type Values<F extends Flags> = { [K in keyof F]?: F[K]["type"] extends "boolean" ? boolean : F[K]["multiple"] extends true ? string[] : string };

export interface Command {
  name: string;
  /** One line in `specc --help`. */
  summary: string;
  /** The positional arguments as the usage line shows them: `<spec>...`. */
  args: string;
  flags: Flags;
  /** Paragraphs after the options in `specc <command> --help` (outputs, exit codes). */
  details: string;
  run: (args: string[], io: Io) => Promise<number>;
}

/** A command whose `run` receives parsed flags; a bad flag becomes one usage line naming the command. */
export function defineCommand<F extends Flags>(
  command: Omit<Command, "run" | "flags"> & { flags: F; run: (input: { values: Values<F>; positionals: string[] }, io: Io) => Promise<number> },
): Command {
  return { ...command, run: (args, io) => command.run(parseFlags(command.name, command.flags, args), io) };
}

function parseFlags<F extends Flags>(name: string, flags: F, args: string[]): { values: Values<F>; positionals: string[] } {
  const options = Object.fromEntries(Object.entries(flags).map(([flag, { type, multiple }]) => [flag, { type, multiple: multiple === true }]));
  try {
    const { values, positionals } = parseArgs({ args, options, allowPositionals: true, strict: true });
    return { values: values as Values<F>, positionals };
  } catch (error) {
    throw new SpeccError(`${name}: ${(error as Error).message.replace(/\. To specify.*$/s, "")}`, { hint: `run \`specc ${name} --help\`` });
  }
}

/** True when `args` ask for help; checked before parsing so `--help` works next to any mistake. */
export function wantsHelp(args: string[]): boolean {
  const end = args.indexOf("--");
  return (end === -1 ? args : args.slice(0, end)).some((arg) => arg === "-h" || arg === "--help");
}

/** `specc <command> --help`, generated from the command's own table. */
export function commandHelp(command: Command): string {
  const flags = Object.entries(command.flags).map(([flag, { type, value, help, multiple }]) => [`--${flag}${type === "string" ? ` <${value ?? "value"}>` : ""}${multiple ? " ..." : ""}`, help]);
  const rows = [...flags, ["-h, --help", "Show this help"]];
  const width = Math.max(...rows.map(([left]) => left.length)) + 2;
  return [
    `Usage: specc ${command.name} ${command.args} [options]`,
    "",
    `${command.summary}.`,
    "",
    "Options:",
    ...rows.map(([left, right]) => `  ${left.padEnd(width)}${right}`),
    "",
    command.details,
  ].join("\n");
}

/** The single spec a command works on. */
export function oneSpec(positionals: string[], command: string): string {
  if (positionals.length !== 1) throw new SpeccError(`${command}: expected one spec file, got ${positionals.length}`, { hint: `run \`specc ${command} specs/ml-research.md\`` });
  return positionals[0];
}

/** A command-line path as specc reads it: resolved against the CLI's working directory. */
export function absolutePath(path: string, io: Io): string {
  return resolve(io.cwd, path);
}

/** A path as shown to users: relative to the working directory, with `/`. */
export function displayPath(path: string, cwd: string): string {
  const shown = relative(cwd, resolve(cwd, path)) || path;
  return shown.split(sep).join("/");
}

/** The nearest directory from `dir` upwards that contains `name` (a file or a directory). */
export function findUp(dir: string, name: string): string | null {
  for (let current = resolve(dir); ; current = dirname(current)) {
    if (existsSync(join(current, name))) return current;
    if (dirname(current) === current) return null;
  }
}

/**
 * The package version. Found by walking up to package.json because this module runs from three
 * layouts (compiler/ in tests, dist/compiler/, and the bundle in dist/bin/).
 */
export function version(): string {
  const root = findUp(dirname(fileURLToPath(import.meta.url)), "package.json");
  if (!root) throw new Error("cannot find specc's package.json");
  return (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string }).version;
}

/** Color the severity words when writing to a terminal and NO_COLOR is unset. */
export function colorize(text: string, color: boolean): string {
  if (!color) return text;
  return text.replace(/: (error|warning|note) /g, (_, word: string) => `: ${word === "error" ? "\x1b[31m" : word === "warning" ? "\x1b[33m" : "\x1b[36m"}${word}\x1b[39m `);
}

/** Print a failure as one line (plus a hint), never a stack trace unless SPECC_DEBUG is set. */
export function describeFailure(error: unknown): { text: string; exitCode: number } {
  if (error instanceof SpeccError) return { text: `specc: error: ${oneLineOf(error.message)}${error.hint ? `\n  hint: ${error.hint}` : ""}`, exitCode: error.exitCode };
  // The runtime's errors are about the user's run (a journal, a fixture, an argument), never a bug.
  if (error instanceof RuntimeError) return { text: `specc: error: ${error.code} ${oneLineOf(error.message)}${error.hint ? `\n  hint: ${error.hint}` : ""}`, exitCode: EXIT.usage };
  if (error instanceof RangeError && /call stack/i.test(error.message)) {
    return { text: "specc: error: the spec nests too deeply to process (maximum call stack exceeded), expected at most a few hundred levels of lists or quotes", exitCode: EXIT.usage };
  }
  // A failed system call (a file that cannot be read or written) is about the user's files, not a bug.
  const errno = error as NodeJS.ErrnoException | null;
  if (error instanceof Error && typeof errno?.code === "string" && typeof errno.syscall === "string") {
    return { text: `specc: error: ${oneLineOf(error.message)}${process.env.SPECC_DEBUG ? `\n${error.stack}` : ""}`, exitCode: EXIT.usage };
  }
  const debug = process.env.SPECC_DEBUG ? `\n${(error as Error).stack}` : "\n  hint: this is a bug in specc; rerun with SPECC_DEBUG=1 for details and report it";
  return { text: `specc: internal error: ${(error as Error).message}${debug}`, exitCode: EXIT.internal };
}

/** A message on one line: line breaks (any kind) and controls become spaces. */
function oneLineOf(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, " ").trim();
}
