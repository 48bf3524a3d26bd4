import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative, sep } from "node:path";
import { formatMessages } from "../diagnostics.js";
import { SpeccError } from "../errors.js";
import { readSpec } from "../read-spec.js";
import { isSafeRelativePath, type OutputFile } from "../../targets/target.js";
import { absolutePath, colorize, defineCommand, displayPath, EXIT, findUp, oneSpec, version, type Io } from "./common.js";

/** Where output goes: `dir` for the file system, `shown` (as the user typed it) for messages. */
interface OutDir {
  dir: string;
  shown: string;
}

/** `specc compile <spec> --target <t> [--out dir] [--profile p] [--check] [--with-loop]`. */
export const compileCommand = defineCommand({
  name: "compile",
  summary: "Compile a spec into a workflow for a target",
  args: "<spec> --target <target>",
  flags: {
    target: { type: "string", value: "target", help: "What to compile for (targets: claude-code); required" },
    out: { type: "string", value: "dir", help: "Where to write the files (default: the working directory)" },
    profile: { type: "string", value: "profile", help: "A bundled realization profile (neutral, hf-skills) or a .json file (default: chosen from the spec's binding table: hf-skills when it binds capabilities to hf-skills, else neutral)" },
    check: { type: "boolean", help: "Write nothing; list stale, missing and no-longer-produced files" },
    "with-loop": { type: "boolean", help: "Keep the optional improvement loop, bounded" },
  },
  details: [
    "Generated files name the spec by its path from the root of its project (the nearest directory",
    "above it with .git, else with package.json), so output does not depend on where specc runs.",
    "Exit codes: 0 written (with --check: up to date), 1 the spec has errors or --check found files out",
    "of date, 2 usage or I/O problem, 3 internal error.",
  ].join("\n"),
  async run({ values, positionals }, io) {
    const path = oneSpec(positionals, "compile");
    // Loaded here, not at the top, so `specc check` does not pay for the targets.
    const [{ compile }, { loadProfile }, { TARGETS }] = await Promise.all([import("../compile.js"), import("../load-profile.js"), import("../../targets/index.js")]);
    const names = Object.keys(TARGETS);
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
    return values.check ? checkFiles(out, result.files, io) : writeFiles(out, result.files, io);
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

/** Files whose bytes on disk differ from `files` (missing ones included). */
function staleFiles(out: OutDir, files: OutputFile[]): { path: string; missing: boolean }[] {
  return files
    .filter((file) => {
      const full = join(out.dir, file.path);
      return !existsSync(full) || readFileSync(full, "utf8") !== file.content;
    })
    .map((file) => ({ path: file.path, missing: !existsSync(join(out.dir, file.path)) }));
}

/**
 * Files an earlier compile wrote (listed in the manifest already on disk) that this compile no
 * longer produces: the agent of a renamed phase, say. Only safe relative paths count.
 */
function orphanFiles(out: OutDir, files: OutputFile[]): string[] {
  const manifest = files.find((file) => /^\.specc\/[a-z0-9-]+\.manifest\.json$/.test(file.path));
  if (!manifest || !existsSync(join(out.dir, manifest.path))) return [];
  let listed: unknown;
  try {
    listed = (JSON.parse(readFileSync(join(out.dir, manifest.path), "utf8")) as { files?: unknown }).files;
  } catch {
    return []; // a hand-broken manifest is simply stale; it is rewritten below
  }
  const produced = new Set(files.map((file) => file.path));
  return (Array.isArray(listed) ? listed : [])
    .filter((path): path is string => typeof path === "string" && isSafeRelativePath(path) && !produced.has(path))
    .filter((path) => existsSync(join(out.dir, path)))
    .sort();
}

function checkFiles(out: OutDir, files: OutputFile[], io: Io): number {
  const stale = staleFiles(out, files);
  const orphans = orphanFiles(out, files);
  for (const file of stale) io.err(`${join(out.shown, file.path)}: ${file.missing ? "missing" : "stale"}`);
  for (const path of orphans) io.err(`${join(out.shown, path)}: no longer produced`);
  if (stale.length + orphans.length > 0) {
    io.err(`${stale.length + orphans.length} files are out of date (of ${files.length}); run the same command without --check`);
    return EXIT.failed;
  }
  io.err(`${files.length} files are up to date`);
  return EXIT.ok;
}

function writeFiles(out: OutDir, files: OutputFile[], io: Io): number {
  // Remove what an earlier compile generated and this one does not, but never a file a person wrote.
  for (const path of orphanFiles(out, files)) {
    const full = join(out.dir, path);
    if (readFileSync(full, "utf8").includes("Generated by specc")) {
      rmSync(full);
      io.err(`removed ${join(out.shown, path)}: no longer produced`);
    } else io.err(`kept ${join(out.shown, path)}: no longer produced, but it has no specc provenance line`);
  }
  const stale = new Set(staleFiles(out, files).map((file) => file.path));
  for (const file of files) {
    if (!stale.has(file.path)) continue; // a compile that changes nothing rewrites nothing
    const full = join(out.dir, file.path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, file.content);
    if (file.executable) chmodSync(full, 0o755);
  }
  io.err(`wrote ${stale.size} of ${files.length} files to ${out.shown}${stale.size === 0 ? " (all up to date)" : ""}`);
  return EXIT.ok;
}
