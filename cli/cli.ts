import { COMMANDS, findCommand } from "./commands/index.js";
import { commandHelp, EXIT, version, wantsHelp, type Io } from "./commands/common.js";
import { SpeccError } from "../compiler/errors.js";

// Shared helpers live in commands/common.ts so command files need not import this module back.
export { colorize, describeFailure, displayPath, EXIT, version, type Io } from "./commands/common.js";

/** `specc --help`: one line per command, generated from the registry. */
export function usage(): string {
  const rows = COMMANDS.map((command) => [`${command.name} ${command.args}`, command.summary]);
  rows.push(["help <command>", "Show a command's options (or `specc <command> --help`)"]);
  const width = Math.max(...rows.map(([left]) => left.length)) + 2;
  return [
    "Usage: specc <command> [options]",
    "",
    "Commands:",
    ...rows.map(([left, right]) => `  ${left.padEnd(width)}${right}`),
    "",
    "Options:",
    `  ${"-h, --help".padEnd(width)}Show this help`,
    `  ${"-v, --version".padEnd(width)}Show the version`,
    "",
    "Exit codes: 0 ok (warnings allowed), 1 a spec has errors or `compile --check` found stale files,",
    "2 usage or I/O problem (with several files the highest code wins), 3 a run stopped for a human",
    "decision (`specc run`), 70 internal error.",
    "Set NO_COLOR=1 to disable colors.",
  ].join("\n");
}

/** Run the CLI with `argv` (without node and script) and return the exit code. */
export async function main(argv: string[], io: Io): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    io.err(usage()); // no command is a usage error, so the text goes where errors go
    return EXIT.usage;
  }
  if (name === "-h" || name === "--help") return help(undefined, io);
  if (name === "help") return help(rest[0], io);
  if (name === "-v" || name === "--version") {
    io.out(version());
    return EXIT.ok;
  }
  const command = findCommand(name);
  if (!command) throw unknownCommand(name);
  if (wantsHelp(rest)) return help(name, io);
  return command.run(rest, io);
}

/** `specc --help`, `specc help <command>` and `specc <command> --help`: stdout, exit 0. */
function help(name: string | undefined, io: Io): number {
  if (name === undefined) {
    io.out(usage());
    return EXIT.ok;
  }
  const command = findCommand(name);
  if (!command) throw unknownCommand(name);
  io.out(commandHelp(command));
  return EXIT.ok;
}

function unknownCommand(name: string): SpeccError {
  return new SpeccError(`unknown command \`${name}\`, expected one of ${COMMANDS.map((command) => command.name).join(", ")}`, { hint: "run `specc --help`" });
}
