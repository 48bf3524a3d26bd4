/**
 * `.specc/<name>.manifest.json`: what was compiled from what. It maps the spec (by hash) to every emitted
 * file and every step to its trace and agents, for conformance and staleness checks. It is built
 * last, from the other files' paths.
 */
import { stableJson } from "../../compiler/json.js";
import { pipelineManifest } from "../../compiler/manifest.js";
import type { EmitContext, OutputFile } from "../../compiler/target.js";

/** One manifest per compiled spec, so several specs can share a project. */
export function manifestPath(name: string): string {
  return `.specc/${name}.manifest.json`;
}

/** The manifest file, listing every other emitted path (sorted, the manifest itself excluded). */
export function manifestFile(ctx: EmitContext, otherFiles: OutputFile[]): OutputFile {
  return { path: manifestPath(ctx.pipeline.name), content: stableJson(manifestObject(ctx, otherFiles)) };
}

/** The manifest as an object, before printing. */
export function manifestObject(ctx: EmitContext, otherFiles: OutputFile[]): { [key: string]: unknown } {
  const { pipeline, profile } = ctx;
  return pipelineManifest(ctx, {
    path: manifestPath(pipeline.name),
    files: otherFiles,
    extra: { minClaudeCodeVersion: profile.minClaudeCodeVersion, command: `/${pipeline.name}` },
  });
}
