import { chmodSync, closeSync, constants, lstatSync, mkdirSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative, sep } from "node:path";
import { formatMessages } from "../../compiler/diagnostics.js";
import { SpeccError } from "../../compiler/errors.js";
import { readSpec } from "../../compiler/read-spec.js";
import { isSafeRelativePath, type OutputFile } from "../../compiler/target.js";
import { TARGET_NAMES } from "../../targets/names.js";
import { absolutePath, colorize, defineCommand, displayPath, EXIT, findUp, oneSpec, version, type Io } from "./common.js";

/** Where output goes: `dir` for the file system, `shown` (as the user typed it) for messages. */
export interface OutDir {
  dir: string;
  shown: string;
}

/** `specc compile <spec> --target <t> [--out dir] [--profile p] [--check] [--with-loop]`. */
export const compileCommand = defineCommand({
  name: "compile",
  summary: "Compile a spec into a workflow for a target",
  args: "<spec> --target <target>",
  flags: {
    target: { type: "string", value: "target", help: `What to compile for (targets: ${TARGET_NAMES.join(", ")}); required` },
    out: { type: "string", value: "dir", help: "Where to write the files (default: the working directory)" },
    profile: { type: "string", value: "profile", help: "A bundled realization profile (neutral, hf-skills) or a .json file (default: chosen from the spec's binding table: hf-skills when it binds capabilities to hf-skills, else neutral)" },
    check: { type: "boolean", help: "Write nothing; list stale, missing and no-longer-produced files" },
    "with-loop": { type: "boolean", help: "Keep the optional improvement loop, bounded" },
  },
  details: [
    "Generated files name the spec by its path from the root of its project (the nearest directory",
    "above it with .git, else with package.json), so output does not depend on where specc runs.",
    "Exit codes: 0 written (with --check: up to date), 1 the spec has errors or --check found files out",
    "of date, 2 usage or I/O problem, 70 internal error.",
  ].join("\n"),
  async run({ values, positionals }, io) {
    const path = oneSpec(positionals, "compile");
    // Loaded here, not at the top, so `specc check` does not pay for the targets.
    const [{ compile }, { loadProfile }, { TARGETS }] = await Promise.all([import("../../compiler/compile.js"), import("../../compiler/load-profile.js"), import("../../targets/index.js")]);
    const names = [...TARGET_NAMES];
    if (!values.target) throw new SpeccError(`compile: missing --target, expected one of ${names.join(", ")}`, { hint: "run `specc compile --help`" });
    const target = TARGETS[values.target];
    if (!target) throw new SpeccError(`compile: unknown target \`${values.target}\`, expected one of ${names.join(", ")}`);
    const profile = values.profile ? loadProfile(values.profile).profile : undefined;
    const shown = displayPath(path, io.cwd);
    const spec = absolutePath(path, io);
    const result = await compile(readSpec(spec, { displayPath: shown }), { target, profile, sourcePath: projectPath(spec), speccVersion: version(), withLoop: values["with-loop"] });
    const messages = formatMessages(result.file, shown);
    if (messages) io.err(colorize(messages, io.color));
    if (result.files.length === 0 && result.problems.length === 0) return EXIT.failed;
    if (result.problems.length > 0) {
      for (const problem of result.problems) {
        io.err(`${problem.path}${problem.line ? `:${problem.line}` : ""}: error ${problem.code ?? "SPC403"} ${problem.message}`);
        if (problem.hint) io.err(`  hint: ${problem.hint}`);
      }
      return EXIT.failed;
    }
    if (result.profile && !values.check) io.err(`profile ${result.profile.name}: ${result.profile.why}`);
    const out = { dir: absolutePath(values.out ?? ".", io), shown: values.out ?? "." };
    return values.check ? checkFiles(out, result.files, result.manifest, io) : writeFiles(out, result.files, result.manifest, io);
  },
});

/**
 * The spec path written into generated files (provenance, manifest): relative to the root of the
 * project holding the spec, never to the working directory, or `--check` run from another
 * directory would call every file stale. The root is the nearest ancestor with `.git`, else with
 * `package.json`; a spec in neither is named by its file name alone.
 */
export function projectPath(spec: string): string {
  const root = findUp(dirname(spec), ".git") ?? findUp(dirname(spec), "package.json");
  return root ? relative(root, spec).split(sep).join("/") : basename(spec);
}

/** What sits at a path inside --out, found without following any link. */
type Found =
  | { kind: "missing" | "file" | "directory" | "other" }
  /** `at`: the path (relative to --out) of the link, or of the non-directory a directory was expected at. */
  | { kind: "link" | "not-directory"; at: string };

/**
 * What `rel` is inside `dir`, walking its components with lstat: a symbolic link anywhere on the
 * way is reported, never followed, so nothing specc reads, replaces or removes is outside --out.
 */
function find(dir: string, rel: string): Found {
  const parts = rel.split("/");
  for (let index = 0; index < parts.length; index++) {
    const at = parts.slice(0, index + 1).join("/");
    let stats;
    try {
      stats = lstatSync(join(dir, at));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return { kind: "missing" };
      if ((error as NodeJS.ErrnoException).code === "ENOTDIR") return { kind: "not-directory", at: parts.slice(0, index).join("/") };
      throw error;
    }
    if (stats.isSymbolicLink()) return { kind: "link", at };
    if (index === parts.length - 1) return { kind: stats.isFile() ? "file" : stats.isDirectory() ? "directory" : "other" };
    if (!stats.isDirectory()) return { kind: "not-directory", at };
  }
  return { kind: "missing" };
}

/** The text of a regular file inside --out, or null (missing, a link on the way, not a file). Never follows a link. */
function readInside(dir: string, rel: string): string | null {
  if (find(dir, rel).kind !== "file") return null;
  const fd = openSync(join(dir, rel), constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    return readFileSync(fd, "utf8");
  } finally {
    closeSync(fd);
  }
}

/** Files whose bytes on disk differ from `files` (missing ones included; a link or a directory in its place is stale). */
function staleFiles(out: OutDir, files: OutputFile[]): { file: OutputFile; found: Found }[] {
  return files.map((file) => ({ file, found: find(out.dir, file.path) })).filter(({ file, found }) => found.kind !== "file" || readInside(out.dir, file.path) !== file.content);
}

/**
 * Files an earlier compile wrote (listed in the manifest already on disk) that this compile no
 * longer produces: the agent of a renamed phase, say. Only safe relative paths count, and only
 * what is inside --out: a manifest is data anyone could have planted, so a listed path is never
 * resolved through a symbolic link.
 */
function orphanFiles(out: OutDir, files: OutputFile[], manifest: string | null): { path: string; found: Found }[] {
  const text = manifest ? readInside(out.dir, manifest) : null;
  if (text === null) return [];
  let listed: unknown;
  try {
    listed = (JSON.parse(text) as { files?: unknown }).files;
  } catch {
    return []; // a hand-broken manifest is simply stale; it is rewritten below
  }
  const produced = new Set(files.map((file) => file.path));
  return [...new Set(Array.isArray(listed) ? listed : [])]
    .filter((path): path is string => typeof path === "string" && isSafeRelativePath(path) && !produced.has(path))
    .map((path) => ({ path, found: find(out.dir, path) }))
    .filter(({ found }) => found.kind !== "missing" && found.kind !== "not-directory")
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** --out must be a directory, or not exist yet. */
function assertOutDirectory(out: OutDir): void {
  let stats;
  try {
    stats = statSync(out.dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return;
    if (code === "ENOTDIR") throw new SpeccError(`compile: cannot write to \`${out.shown}\`: a file is in the way of the directory`, { hint: "choose a directory with --out" });
    throw ioError(error, `cannot write to \`${out.shown}\``);
  }
  if (!stats.isDirectory()) throw new SpeccError(`compile: cannot write to \`${out.shown}\`: it is not a directory`, { hint: "choose a directory with --out" });
}

function checkFiles(out: OutDir, files: OutputFile[], manifest: string | null, io: Io): number {
  assertOutDirectory(out);
  const stale = staleFiles(out, files);
  const orphans = orphanFiles(out, files, manifest);
  for (const { file, found } of stale) io.err(`${join(out.shown, file.path)}: ${found.kind === "missing" ? "missing" : "stale"}`);
  for (const { path } of orphans) io.err(`${join(out.shown, path)}: no longer produced`);
  if (stale.length + orphans.length > 0) {
    io.err(`${stale.length + orphans.length} files are out of date (of ${files.length}); run the same command without --check`);
    return EXIT.failed;
  }
  io.err(`${files.length} files are up to date`);
  return EXIT.ok;
}

/** The longest file name most file systems take (NAME_MAX, in bytes). */
const NAME_MAX = 255;

/** Why an output could not be written, as one line naming what the user can change. */
function ioError(error: unknown, what: string): SpeccError {
  if (error instanceof SpeccError) return error;
  const code = (error as NodeJS.ErrnoException).code ?? "";
  const reasons: { [code: string]: string } = {
    EACCES: "permission denied",
    EPERM: "operation not permitted",
    EROFS: "the file system is read-only",
    ENOSPC: "no space left on the device",
    EDQUOT: "the disk quota is exhausted",
    ENAMETOOLONG: "a file name is too long",
    ENOTDIR: "a file is in the way of a directory",
    EISDIR: "a directory is in the way of a file",
    EEXIST: "something is in the way",
    EXDEV: "the temporary folder is on another device",
    EIO: "an input/output error",
  };
  const reason = Object.hasOwn(reasons, code) ? reasons[code] : `${(error as Error).message.split("\n")[0]}`;
  return new SpeccError(`compile: ${what}: ${reason}${code && Object.hasOwn(reasons, code) ? ` (${code})` : ""}; nothing was written`);
}

/**
 * Write `files` into --out, all or none: every changed file is first written to a temporary folder
 * inside --out, then renamed into place (a replaced file is moved aside first); on any failure the
 * renames are undone and the temporary folder removed. Files an earlier compile generated and
 * this one does not are removed in the same transaction, but never a file a person wrote, never
 * through a symbolic link, never outside --out. Every output problem is one line and exit 2.
 */
export function writeFiles(out: OutDir, files: OutputFile[], manifest: string | null, io: Io, fs: { rename: (from: string, to: string) => void } = { rename: renameSync }): number {
  assertOutDirectory(out);
  for (const file of files) {
    const long = file.path.split("/").find((part) => Buffer.byteLength(part) > NAME_MAX);
    if (long !== undefined) {
      throw new SpeccError(`compile: cannot write \`${join(out.shown, file.path)}\`: the file name is ${Buffer.byteLength(long)} bytes long, expected at most ${NAME_MAX}; nothing was written`, {
        hint: "shorten the spec's `name` (it prefixes every file name)",
      });
    }
  }
  const shown = (path: string): string => `\`${join(out.shown, path)}\``;
  let stale: ReturnType<typeof staleFiles>;
  let orphans: ReturnType<typeof orphanFiles>;
  try {
    stale = staleFiles(out, files);
    orphans = orphanFiles(out, files, manifest);
  } catch (error) {
    throw ioError(error, `cannot read ${shown("")}`);
  }
  // Everything that could stop the renames is checked before the first one.
  for (const { file, found } of stale) {
    if (found.kind === "directory" || found.kind === "other") throw new SpeccError(`compile: cannot write ${shown(file.path)}: ${found.kind === "directory" ? "a directory" : "something other than a file"} is in the way; nothing was written`, { hint: "move it away or choose another --out" });
    if (found.kind === "not-directory") throw new SpeccError(`compile: cannot write ${shown(file.path)}: ${shown(found.at)} is a file, expected a directory; nothing was written`, { hint: "move it away or choose another --out" });
    if (found.kind === "link" && found.at !== file.path) throw new SpeccError(`compile: cannot write ${shown(file.path)}: ${shown(found.at)} is a symbolic link, and specc writes only inside --out; nothing was written`, { hint: "replace the link with a directory or choose another --out" });
  }
  const removals: string[] = [];
  const kept: string[] = [];
  for (const { path, found } of orphans) {
    if (found.kind === "file" && (readInside(out.dir, path) ?? "").includes("Generated by specc")) removals.push(path);
    else kept.push(`kept ${join(out.shown, path)}: no longer produced, but ${found.kind === "link" ? "it is behind a symbolic link, which specc never follows" : found.kind === "file" ? "it has no specc provenance line" : "it is not a file"}`);
  }
  if (stale.length === 0 && removals.length === 0) {
    for (const line of kept) io.err(line);
    io.err(`wrote 0 of ${files.length} files to ${out.shown} (all up to date)`);
    return EXIT.ok;
  }
  let created: string | undefined;
  try {
    created = mkdirSync(out.dir, { recursive: true });
  } catch (error) {
    throw ioError(error, `cannot create ${shown("")}`);
  }
  let temp: string;
  try {
    temp = mkdtempSync(join(out.dir, ".specc-tmp-"));
  } catch (error) {
    if (created) rmSync(created, { recursive: true, force: true });
    throw ioError(error, `cannot write to ${shown("")}`);
  }
  // Undo log, newest last: a file moved aside (restored on failure), a file put in place, a folder made.
  const undo: ({ aside: string; path: string } | { placed: string } | { made: string })[] = [];
  let current = "";
  try {
    stale.forEach(({ file }, index) => {
      current = file.path;
      const staged = join(temp, `new-${index}`);
      writeFileSync(staged, file.content, { flag: "wx" });
      if (file.executable) chmodSync(staged, 0o755);
    });
    let aside = 0;
    const moveAside = (path: string): void => {
      const to = join(temp, `old-${aside++}`);
      fs.rename(join(out.dir, path), to);
      undo.push({ aside: to, path });
    };
    for (const path of removals) {
      current = path;
      moveAside(path);
    }
    stale.forEach(({ file, found }, index) => {
      current = file.path;
      const full = join(out.dir, file.path);
      const made = mkdirSync(dirname(full), { recursive: true });
      if (made) undo.push({ made });
      if (found.kind !== "missing") moveAside(file.path);
      fs.rename(join(temp, `new-${index}`), full);
      undo.push({ placed: file.path });
    });
  } catch (error) {
    for (const step of undo.reverse()) {
      try {
        if ("placed" in step) rmSync(join(out.dir, step.placed), { force: true });
        else if ("aside" in step) renameSync(step.aside, join(out.dir, step.path));
        else rmSync(step.made, { recursive: true, force: true });
      } catch {
        // Best effort: the first error is the one to report.
      }
    }
    rmSync(temp, { recursive: true, force: true });
    if (created) rmSync(created, { recursive: true, force: true });
    throw ioError(error, `cannot write ${shown(current)}`);
  }
  rmSync(temp, { recursive: true, force: true });
  for (const path of removals) io.err(`removed ${join(out.shown, path)}: no longer produced`);
  for (const line of kept) io.err(line);
  io.err(`wrote ${stale.length} of ${files.length} files to ${out.shown}`);
  return EXIT.ok;
}
