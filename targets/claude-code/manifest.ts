/**
 * `.specc/<name>.manifest.json`: what was compiled from what. It maps the spec (by hash) to every emitted
 * file and every step to its trace and agents, for conformance and staleness checks. It is built
 * last, from the other files' paths.
 */
import { stableJson } from "../../compiler/json.js";
import type { EmitContext, OutputFile } from "../target.js";

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
  const { pipeline, profile, provenance } = ctx;
  const files = [...new Set(otherFiles.map((file) => file.path).filter((path) => path !== manifestPath(pipeline.name)))].sort();
  return {
    specc: provenance.specc,
    source: { path: provenance.source, sha256: provenance.sha256 },
    profile: profile.name,
    minClaudeCodeVersion: profile.minClaudeCodeVersion,
    command: `/${pipeline.name}`,
    stopReasons: ctx.stopReasons ? [...ctx.stopReasons] : undefined,
    steps: pipeline.steps.map((step) => ({
      index: step.index,
      id: step.id,
      title: step.title,
      kind: step.kind,
      trace: { label: step.trace.label, reason: step.trace.reason, elements: step.trace.elements },
      agents: step.agents.map((agent) => agent.name),
    })),
    omitted: pipeline.omitted,
    enforcement: pipeline.enforcement,
    accounting: pipeline.accounting,
    files,
  };
}
