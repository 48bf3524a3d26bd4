import { execFileSync } from "node:child_process";
import { SpeccError } from "../errors.js";
import { decode, MAX_SPEC_BYTES } from "../read-spec.js";

/** Whether a command-line spec names a version in git (`git:<rev>:<path>`) rather than a file. */
export function isGitSpec(arg: string): boolean {
  return arg.startsWith("git:");
}

/**
 * The text of `git:<rev>:<path>` as `git show <rev>:<path>` prints it, run from `cwd` (so `path`
 * is from the repository root, or from `cwd` when it starts with `./`, as git reads it). git is
 * started with an argument list, never through a shell, and a rev that could read as an option
 * is refused, so no part of the argument is ever interpreted. Every failure is one line, exit 2.
 */
export function readGitSpec(arg: string, cwd: string): { text: string; shown: string; sourcePath: string } {
  const rest = arg.slice("git:".length);
  const colon = rest.indexOf(":");
  const rev = colon === -1 ? "" : rest.slice(0, colon);
  const path = colon === -1 ? "" : rest.slice(colon + 1);
  if (rev === "" || path === "") throw new SpeccError(`cannot read ${arg}: expected git:<rev>:<path>, for example git:HEAD~1:specs/ml-research.md`);
  if (rev.startsWith("-") || /[\u0000-\u001f\u007f]/.test(rev + path)) throw new SpeccError(`cannot read ${arg}: \`${rev.replace(/[\u0000-\u001f\u007f]/g, "?")}\` is not a git revision`);
  // A 40-character SHA is long in a report; its first 12 characters name it as well for `git show`.
  const shown = `${/^[0-9a-f]{40}$/i.test(rev) ? rev.slice(0, 12) : rev}:${path}`;
  const object = `${rev}:${path}`;
  const type = git(["cat-file", "-t", object], cwd, arg).toString("utf8").trim();
  if (type !== "blob") throw new SpeccError(`cannot read ${arg}: it is ${type === "tree" ? "a directory" : `a git ${type}`}, expected a Markdown file`);
  return { text: decode(git(["show", object], cwd, arg), shown), shown, sourcePath: path.replace(/^(\.\/)+/, "") };
}

/** Run git with `args`; a failure becomes one line naming the spec and git's own reason. */
function git(args: string[], cwd: string, arg: string): Buffer {
  try {
    return execFileSync("git", args, { cwd, stdio: ["ignore", "pipe", "pipe"], maxBuffer: MAX_SPEC_BYTES + 1 });
  } catch (error) {
    const failure = error as NodeJS.ErrnoException & { stderr?: Buffer };
    if (failure.code === "ENOENT") throw new SpeccError(`cannot read ${arg}: git is not installed (or not on PATH)`);
    if (failure.code === "ENOBUFS") throw new SpeccError(`cannot read ${arg}: it is over the ${MAX_SPEC_BYTES / 1024 / 1024} MB limit for a spec`);
    const reason = String(failure.stderr ?? "").split("\n").find((line) => line.trim() !== "") ?? failure.message;
    throw new SpeccError(`cannot read ${arg}: ${reason.replace(/^(fatal|error): /, "").replace(/\.$/, "")}`);
  }
}
