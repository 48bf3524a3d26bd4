import { formatMessages } from "../../compiler/diagnostics.js";
import { SpeccError } from "../../compiler/errors.js";
import { readSpec } from "../../compiler/read-spec.js";
import { TARGET_NAMES } from "../../targets/names.js";
import { absolutePath, colorize, defineCommand, displayPath, EXIT, version, type Io } from "./common.js";
import { projectPath } from "./compile.js";

const FORMATS = ["md", "json"];
/** Most severe first, as compiler/diff/kinds.ts orders them (kept here so `--help` loads nothing). */
const SEVERITIES = ["weakening", "loosened", "removal", "change"];

/** `specc diff <old> <new> [--target t] [--format md|json] [--fail-on severity]`. */
export const diffCommand = defineCommand({
  name: "diff",
  summary: "Compare two versions of a spec by meaning: rules, limits, phases, capabilities, output",
  args: "<old> <new>",
  flags: {
    target: { type: "string", value: "target", help: `Compare the output of this target only (targets: ${TARGET_NAMES.join(", ")}; default: all)` },
    format: { type: "string", value: "format", help: "md, a pull-request comment (default), or json, for bots" },
    "fail-on": { type: "string", value: "severity", help: `Exit 1 only for a change this severe or worse: ${SEVERITIES.join(", ")} (default: any change)` },
  },
  details: [
    "A spec is a file or git:<rev>:<path>, read with `git show <rev>:<path>` (the path from the repository",
    "root). Changes are listed most severe first: weakenings (MUST → SHOULD, a rule's guard gone), loosened",
    "limits and permissions (a higher cost cap, more retries, a tool granted), removals, then the rest.",
    "Exit codes: 0 no semantic change (with --fail-on: none that severe), 1 changes (with --fail-on: one",
    "that severe) or a spec has errors, 2 usage or I/O problem (a missing file, a bad git revision), 70",
    "internal error.",
  ].join("\n"),
  async run({ values, positionals }, io) {
    if (positionals.length !== 2) throw new SpeccError(`diff: expected two specs (old and new), got ${positionals.length}`, { hint: "run `specc diff git:HEAD:specs/ml-research.md specs/ml-research.md`" });
    const format = values.format ?? "md";
    if (!FORMATS.includes(format)) throw new SpeccError(`diff: unknown --format \`${format}\`, expected one of ${FORMATS.join(", ")}`);
    const failOn = values["fail-on"] ?? "change";
    if (!SEVERITIES.includes(failOn)) throw new SpeccError(`diff: unknown --fail-on \`${failOn}\`, expected one of ${SEVERITIES.join(", ")}`);
    const targets = values.target === undefined ? [...TARGET_NAMES] : [values.target];
    if (!(TARGET_NAMES as readonly string[]).includes(targets[0])) throw new SpeccError(`diff: unknown target \`${values.target}\`, expected one of ${TARGET_NAMES.join(", ")}`);
    // Loaded here, not at the top, so `specc check` does not pay for realization and the targets.
    const [{ readGitSpec, isGitSpec }, { realizeSide }, { diffSpecs }, { formatDiffMarkdown }, { formatDiffJson }] = await Promise.all([
      import("../../compiler/diff/read-git-spec.js"),
      import("../../compiler/diff/realize-side.js"),
      import("../../compiler/diff.js"),
      import("../../compiler/diff/markdown.js"),
      import("../../compiler/diff/json.js"),
    ]);
    const read = (arg: string) => (isGitSpec(arg) ? readGitSpec(arg, io.cwd) : readFile(arg, io));
    const [old, now] = positionals.map(read);
    const options = { targets, speccVersion: version() };
    const sides = [await realizeSide(old, options), await realizeSide(now, options)];
    let broken = false;
    for (const side of sides) {
      if (side.ok) side.problems.forEach((line) => io.err(line));
      else {
        broken = true;
        io.err(colorize(formatMessages(side.file, String(side.file.path)), io.color));
      }
    }
    if (broken || !sides[0].ok || !sides[1].ok) return EXIT.failed;
    const changes = diffSpecs(sides[0].side, sides[1].side);
    const names = { old: old.shown, new: now.shown };
    io.out((format === "json" ? formatDiffJson(changes, names) : formatDiffMarkdown(changes, names)).trimEnd());
    const threshold = SEVERITIES.indexOf(failOn);
    return changes.some((change) => SEVERITIES.indexOf(change.severity) <= threshold) ? EXIT.failed : EXIT.ok;
  },
});

/** A spec file's text, the name the report gives it and the path generated files would name. */
function readFile(arg: string, io: Io): { text: string; shown: string; sourcePath: string } {
  const shown = displayPath(arg, io.cwd);
  const path = absolutePath(arg, io);
  return { text: String(readSpec(path, { displayPath: shown }).value), shown, sourcePath: projectPath(path) };
}
