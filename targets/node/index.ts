/**
 * The node target: the pipeline as an ES module that imports `specc/runtime` and drives the same
 * steps, guards and stop reasons as the Claude Code script, durably (a journal per run), over an
 * executor. One script and a manifest; agents are the executor's business, so no agent files.
 */
import { stableJson } from "../../compiler/json.js";
import { pipelineManifest } from "../../compiler/manifest.js";
import { checkOutputFiles, type EmitContext, type OutputFile, type Target, type TargetProblem } from "../../compiler/target.js";
import { emitNodeWorkflow, nodeWorkflowPath } from "./workflow.js";

/** The node manifest, beside (never over) another target's for the same spec. */
export function nodeManifestPath(name: string): string {
  return `.specc/${name}.node.manifest.json`;
}

export const node: Target = {
  name: "node",
  manifestPath: nodeManifestPath,
  emit(ctx: EmitContext): OutputFile[] {
    const script = emitNodeWorkflow(ctx);
    const manifest = {
      path: nodeManifestPath(ctx.pipeline.name),
      content: stableJson(
        pipelineManifest(ctx, {
          path: nodeManifestPath(ctx.pipeline.name),
          files: [script],
          extra: {
            target: "node",
            runtime: "specc/runtime",
            command: `node ${nodeWorkflowPath(ctx.pipeline.name)} --task "<task>"`,
            // Billable steps need an executor that bills and reports its cost (replay does; the
            // Agent SDK does not): the runtime refuses them otherwise. There is no spend hook here.
            billing: "billable agent calls run only through an executor that can bill and report its cost",
          },
        }),
      ),
    };
    return [manifest, script].sort((a, b) => (a.path < b.path ? -1 : 1));
  },
  verify(files: OutputFile[]): TargetProblem[] {
    return checkOutputFiles(files);
  },
};
