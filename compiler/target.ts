/**
 * The target plugin contract: a target turns a realized pipeline into files. `emit` only prints;
 * `validate` re-reads what was printed and reports problems (never throws at users). Targets
 * never read or write the disk: the compiler writes `OutputFile`s where the user asked.
 */
import type { Pipeline } from "./pipeline.js";
import type { Profile } from "./profile.js";

/** One generated file, at a path relative to the project root (forward slashes). */
export interface OutputFile {
  path: string;
  /** The exact bytes to write: LF line endings and one final newline. */
  content: string;
  /** Mark the file executable (`chmod +x`), for hooks. */
  executable?: boolean;
}

/** Where the output came from; printed in every file that can carry a comment. */
export interface Provenance {
  /** The spec path relative to the project root (`specs/ml-research.md`). */
  source: string;
  sha256: string;
  /** The specc version that compiled it. */
  specc: string;
}

export interface EmitContext {
  pipeline: Pipeline;
  profile: Profile;
  provenance: Provenance;
  /**
   * The compiled runtime as plain JS declarations (no imports or exports); `parts` picks the
   * folders in order, all of them by default. The spend guard asks for `["core"]`. With `roots`,
   * only the declarations they reach are kept, and `kinds` keeps only those step kinds' drivers.
   */
  inlineRuntime: (parts?: ("core" | "workflow" | "hook")[], options?: { roots?: string[]; kinds?: string[] }) => string;
  /** Why a run may stop, as the workflow script reports them; listed in the manifest when given. */
  stopReasons?: string[];
}

/** A problem in generated output, found by a target's own checks (reported as SPC403). */
export interface TargetProblem {
  path: string;
  /** 1-based line in the file, or `null` when the problem is not on one line. */
  line: number | null;
  message: string;
}

/**
 * A target plugin: `validate` checks the input before anything is printed, `emit` prints every
 * file, `verify` re-reads the printed files with the target's own rules.
 */
export interface Target {
  name: string;
  /**
   * The path of the manifest this target writes for a pipeline: it lists the files a compile
   * wrote, so the next compile removes the ones it no longer produces (each target cleans up only
   * after itself). Without it the target leaves nothing to clean.
   */
  manifestPath?(pipelineName: string): string;
  validate?(ctx: EmitContext): TargetProblem[];
  emit(ctx: EmitContext): OutputFile[];
  verify?(files: OutputFile[], ctx: EmitContext): TargetProblem[] | Promise<TargetProblem[]>;
}

/**
 * Checks every target's output needs: relative forward-slash paths without `..`, unique paths,
 * LF line endings only and exactly one final newline.
 */
export function checkOutputFiles(files: OutputFile[]): TargetProblem[] {
  const problems: TargetProblem[] = [];
  const seen = new Set<string>();
  for (const file of files) {
    if (!isSafeRelativePath(file.path)) problems.push({ path: file.path, line: null, message: "Unexpected output path, expected a relative path without `..`" });
    if (seen.has(file.path)) problems.push({ path: file.path, line: null, message: "Unexpected second file at the same path" });
    seen.add(file.path);
    problems.push(...checkLineEndings(file));
  }
  return problems;
}

/** Whether a path is relative, uses forward slashes and never leaves the project. */
export function isSafeRelativePath(path: string): boolean {
  if (path === "" || path.startsWith("/") || path.includes("\\") || /^[a-z]:/i.test(path)) return false;
  return path.split("/").every((part) => part !== "" && part !== "." && part !== "..");
}

function checkLineEndings(file: OutputFile): TargetProblem[] {
  const problems: TargetProblem[] = [];
  const carriage = file.content.indexOf("\r");
  if (carriage >= 0) problems.push({ path: file.path, line: lineAt(file.content, carriage), message: "Unexpected carriage return, expected LF line endings" });
  if (!file.content.endsWith("\n") || file.content.endsWith("\n\n")) {
    problems.push({ path: file.path, line: null, message: "Unexpected file ending, expected exactly one final newline" });
  }
  return problems;
}

/** The 1-based line of a character offset. */
export function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let index = 0; index < offset; index++) if (text.charCodeAt(index) === 10) line++;
  return line;
}
