import { createHash } from "node:crypto";
import type { VFile } from "vfile";
import { analyze } from "./analyze.js";
import { hasErrors } from "./diagnostics.js";
import { inlineRuntime } from "./inline-runtime.js";
import type { SpecIR } from "./ir.js";
import type { Pipeline } from "./pipeline.js";
import { chooseProfile } from "./load-profile.js";
import type { Profile } from "./profile.js";
import { proveEnforcement } from "./prove.js";
import { realize } from "./realize.js";
import { accountFor } from "./realize/accounting.js";
import { hooksRun } from "./realize/enforcement.js";
import { STOP_REASONS } from "../runtime/workflow/stops.js";
import { STEP_KINDS } from "../runtime/workflow/kinds.js";
import type { OutputFile, Target } from "./target.js";

export interface CompileOptions {
  target: Target;
  /** The realization profile; without it the spec's bindings choose one (`chooseProfile`). */
  profile?: Profile;
  /** The spec path as written in provenance headers (relative, `/`-separated). */
  sourcePath: string;
  speccVersion: string;
  withLoop?: boolean;
}

export interface CompileResult {
  file: VFile;
  ir: SpecIR | null;
  pipeline: Pipeline | null;
  /** The profile used, and why (given, or chosen from the spec's bindings). */
  profile: { name: string; why: string } | null;
  files: OutputFile[];
  /** The target's manifest among `files` (it lists what the next compile may remove), or null. */
  manifest: string | null;
  /** Problems the target's own checks found in the input or the output. */
  problems: { path: string; line: number | null; message: string; code?: string; hint?: string }[];
}

/** A spec read and realized: what `compile` emits from and `specc run` drives. */
export type Realized =
  | { ok: true; ir: SpecIR; pipeline: Pipeline; profile: Profile; used: { name: string; why: string }; sha256: string }
  | { ok: false; ir: SpecIR | null };

/** Parse → lower → check → realize, without proofs or emission. `file` collects the diagnostics. */
export function realizeSpec(file: VFile, options: Pick<CompileOptions, "profile" | "sourcePath" | "withLoop">): Realized {
  const { ir } = analyze(file);
  if (!ir || hasErrors(file)) return { ok: false, ir };
  const sha256 = createHash("sha256").update(String(file.value)).digest("hex");
  const chosen = options.profile ? { profile: options.profile, why: "given with --profile" } : chooseProfile(ir);
  const profile = chosen.profile;
  const pipeline = realize(ir, { profile, source: { path: options.sourcePath, sha256 }, withLoop: options.withLoop });
  return { ok: true, ir, pipeline, profile, used: { name: profile.name, why: chosen.why }, sha256 };
}

/** The whole pipeline in one function: parse → lower → check → realize → prove → validate → emit → verify. */
export async function compile(file: VFile, options: CompileOptions): Promise<CompileResult> {
  const realized = realizeSpec(file, options);
  if (!realized.ok) return { file, ir: realized.ir, pipeline: null, profile: null, files: [], manifest: null, problems: [] };
  const { ir, pipeline, profile, used, sha256 } = realized;
  const unproven = await proveEnforcement(pipeline, { hooks: hooksRun(pipeline, profile) });
  pipeline.accounting = accountFor(ir, pipeline);
  if (unproven.length > 0) {
    const problems = unproven.map((claim) => ({ path: options.sourcePath, line: ir.rules.find((rule) => rule.id === claim.rule)?.source.start.line ?? null, code: "SPC404", hint: `profile \`${profile.name}\` binds \`${claim.guard}\` to this rule by its structure; give the guard something to act on (a \`protected\` key must be a parameter the user passes) or remove what binds it`, message: `Unexpected enforcement claim \`${claim.rule}\` → \`${claim.guard}\` without a passing violation run, expected the guard to stop a stand-in run that breaks it: ${claim.problem}` }));
    return { file, ir, pipeline, profile: used, files: [], manifest: null, problems };
  }
  const context = {
    pipeline,
    profile,
    provenance: { source: options.sourcePath, sha256, specc: options.speccVersion },
    inlineRuntime,
    stopReasons: stopReasonsOf(pipeline),
  };
  const problems = options.target.validate?.(context) ?? [];
  if (problems.length > 0) return { file, ir, pipeline, profile: used, files: [], manifest: null, problems };
  const files = options.target.emit(context);
  const verified = (await options.target.verify?.(files, context)) ?? [];
  const manifest = options.target.manifestPath?.(pipeline.name) ?? null;
  return { file, ir, pipeline, profile: used, files, manifest: manifest !== null && files.some((output) => output.path === manifest) ? manifest : null, problems: verified };
}

/** The stop reasons a run of this pipeline can end with: the start's, and those of the kinds it uses. */
export function stopReasonsOf(pipeline: Pipeline): string[] {
  const possible = new Set(["completed", "missing-argument", "invalid-argument", "invalid-pipeline"]);
  for (const step of pipeline.steps) for (const reason of (STEP_KINDS[step.kind] as { stops: readonly string[] }).stops) possible.add(reason);
  if (pipeline.steps.some((step) => Array.isArray(step.config.endsBranch))) possible.add("completed");
  return STOP_REASONS.filter((reason) => possible.has(reason));
}
