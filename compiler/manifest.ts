// What every target's manifest says of a compile: the spec (by hash), the steps with their trace
// and agents, what was omitted, where each rule is enforced, the accounting, and the files. A
// target adds its own fields (how its output is invoked, what it needs) and owns the path.
import type { EmitContext, OutputFile } from "./target.js";

/** The shared part of a manifest; `extra` (the target's own fields) goes after the source and profile. */
export function pipelineManifest(ctx: EmitContext, options: { path: string; files: OutputFile[]; extra: { [key: string]: unknown } }): { [key: string]: unknown } {
  const { pipeline, profile, provenance } = ctx;
  const files = [...new Set(options.files.map((file) => file.path).filter((path) => path !== options.path))].sort();
  return {
    specc: provenance.specc,
    source: { path: provenance.source, sha256: provenance.sha256 },
    profile: profile.name,
    ...options.extra,
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
