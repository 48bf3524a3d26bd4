import { checkCommand } from "./check.js";
import type { Command } from "./common.js";
import { compileCommand } from "./compile.js";
import { diffCommand } from "./diff.js";
import { explainCommand } from "./explain.js";
import { graphCommand } from "./graph.js";
import { irCommand } from "./ir.js";
import { runCommand } from "./run.js";

/** Every command, in the order `specc --help` lists them; their help is generated from these. */
export const COMMANDS: readonly Command[] = [checkCommand, irCommand, compileCommand, runCommand, graphCommand, diffCommand, explainCommand];

export function findCommand(name: string): Command | undefined {
  return COMMANDS.find((command) => command.name === name);
}
