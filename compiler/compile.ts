import { createHash } from "node:crypto";
import type { VFile } from "vfile";
import { analyze } from "./analyze.js";
import { hasErrors } from "./diagnostics.js";
import { inlineRuntime } from "./inline-runtime.js";
import type { SpecIR } from "./ir.js";
import type { Pipeline } from "./pipeline.js";
import type { Profile } from "./profile.js";
import { realize } from "./realize.js";
import { STOP_REASONS } from "../runtime/workflow/state.js";
import type { OutputFile, Target } from "../targets/target.js";

export interface CompileOptions {
  target: Target;
  profile: Profile;
  /** The spec path as written in provenance headers (relative, `/`-separated). */
  sourcePath: string;
  speccVersion: string;
  withLoop?: boolean;
}

export interface CompileResult {
  file: VFile;
  ir: SpecIR | null;
  pipeline: Pipeline | null;
  files: OutputFile[];
  /** Problems the target's own checks found in the input or the output. */
  problems: { path: string; line: number | null; message: string }[];
}

/** The whole pipeline in one function: parse → lower → check → realize → validate → emit → verify. */
export async function compile(file: VFile, options: CompileOptions): Promise<CompileResult> {
  const { ir } = analyze(file);
  if (!ir || hasErrors(file)) return { file, ir, pipeline: null, files: [], problems: [] };
  const sha256 = createHash("sha256").update(String(file.value)).digest("hex");
  const pipeline = realize(ir, { profile: options.profile, source: { path: options.sourcePath, sha256 }, withLoop: options.withLoop });
  const context = {
    pipeline,
    profile: options.profile,
    provenance: { source: options.sourcePath, sha256, specc: options.speccVersion },
    inlineRuntime,
    stopReasons: [...STOP_REASONS],
  };
  const problems = options.target.validate?.(context) ?? [];
  if (problems.length > 0) return { file, ir, pipeline, files: [], problems };
  const files = options.target.emit(context);
  const verified = (await options.target.verify?.(files, context)) ?? [];
  return { file, ir, pipeline, files, problems: verified };
}
