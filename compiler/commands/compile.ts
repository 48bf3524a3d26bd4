import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { displayPath, EXIT, version, type Io } from "../cli.js";
import { compile } from "../compile.js";
import { formatMessages } from "../diagnostics.js";
import { SpeccError } from "../errors.js";
import { loadProfile } from "../load-profile.js";
import { readSpec } from "../read-spec.js";
import { TARGETS } from "../../targets/index.js";
import type { OutputFile } from "../../targets/target.js";

function options(args: string[]) {
  try {
    return parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: { target: { type: "string" }, out: { type: "string" }, profile: { type: "string" }, check: { type: "boolean" }, "with-loop": { type: "boolean" } },
    });
  } catch (error) {
    throw new SpeccError(`compile: ${(error as Error).message.replace(/\. To specify.*$/s, "")}`, { hint: "run `specc --help`" });
  }
}

/** `specc compile <spec> --target <t> [--out dir] [--profile p] [--check] [--with-loop]`. */
export async function runCompile(args: string[], io: Io): Promise<number> {
  const { values, positionals } = options(args);
  if (positionals.length !== 1) throw new SpeccError(`compile: expected one spec file, got ${positionals.length}`, { hint: "run `specc compile specs/ml-research.md --target claude-code`" });
  const names = Object.keys(TARGETS);
  if (!values.target) throw new SpeccError(`compile: missing --target, expected one of ${names.join(", ")}`);
  const target = TARGETS[values.target];
  if (!target) throw new SpeccError(`compile: unknown target \`${values.target}\`, expected one of ${names.join(", ")}`);
  const { profile } = loadProfile(values.profile);
  const shown = displayPath(positionals[0], io.cwd);
  const result = await compile(readSpec(positionals[0], { displayPath: shown }), { target, profile, sourcePath: shown, speccVersion: version(), withLoop: values["with-loop"] });
  const messages = formatMessages(result.file, shown);
  if (messages) io.err(messages);
  if (result.files.length === 0 && result.problems.length === 0) return EXIT.failed;
  if (result.problems.length > 0) {
    for (const problem of result.problems) io.err(`${problem.path}${problem.line ? `:${problem.line}` : ""}: error SPC403 ${problem.message}`);
    return EXIT.failed;
  }
  const out = values.out ?? ".";
  return values.check ? checkFiles(out, result.files, io) : writeFiles(out, result.files, io);
}

/** Files whose bytes on disk differ from `files` (missing ones included). */
function staleFiles(out: string, files: OutputFile[]): { path: string; missing: boolean }[] {
  return files
    .filter((file) => {
      const full = join(out, file.path);
      return !existsSync(full) || readFileSync(full, "utf8") !== file.content;
    })
    .map((file) => ({ path: file.path, missing: !existsSync(join(out, file.path)) }));
}

function checkFiles(out: string, files: OutputFile[], io: Io): number {
  const stale = staleFiles(out, files);
  for (const file of stale) io.err(`${join(out, file.path)}: ${file.missing ? "missing" : "stale"}`);
  if (stale.length > 0) {
    io.err(`${stale.length} of ${files.length} files are out of date; run the same command without --check`);
    return EXIT.failed;
  }
  io.err(`${files.length} files are up to date`);
  return EXIT.ok;
}

function writeFiles(out: string, files: OutputFile[], io: Io): number {
  const stale = new Set(staleFiles(out, files).map((file) => file.path));
  for (const file of files) {
    if (!stale.has(file.path)) continue; // a compile that changes nothing rewrites nothing
    const full = join(out, file.path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, file.content);
    if (file.executable) chmodSync(full, 0o755);
  }
  io.err(`wrote ${stale.size} of ${files.length} files to ${out}${stale.size === 0 ? " (all up to date)" : ""}`);
  return EXIT.ok;
}
