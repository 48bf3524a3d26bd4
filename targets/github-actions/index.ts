/**
 * The github-actions target: the pipeline as a GitHub Actions workflow, one job per step, each
 * running the step through specc's runtime (`specc run --step`) on the journal carried between
 * jobs as an artifact. Its output is checked with GitHub's own workflow parser
 * (@actions/workflow-parser: schema, expressions, `needs`) on every compile; the tests add actionlint.
 */
import { stableJson } from "../../compiler/json.js";
import { pipelineManifest } from "../../compiler/manifest.js";
import { checkOutputFiles, type EmitContext, type OutputFile, type Target, type TargetProblem } from "../../compiler/target.js";
import { billableAgents } from "../../runtime/workflow/index.js";
import { actionsWorkflowPath, emitActionsWorkflow, environmentName, jobId, jobMinutes, JOURNAL_ARTIFACT } from "./workflow.js";
import { parseActionsWorkflow } from "./parse.js";

/** The manifest, beside (never over) another target's for the same spec. */
export function actionsManifestPath(name: string): string {
  return `.specc/${name}.github-actions.manifest.json`;
}

/** The spec path as the jobs' command names it: a plain repository path, or nothing is emitted. */
const PLAIN_PATH = /^[A-Za-z0-9_][A-Za-z0-9._/-]*$/;
/** Param names become `--param name=` words and `SPECC_PARAM_NAME` variables: identifiers only. */
const PLAIN_PARAM = /^[a-z_][a-z0-9_]*$/;

export const githubActions: Target = {
  name: "github-actions",
  manifestPath: actionsManifestPath,
  validate(ctx: EmitContext): TargetProblem[] {
    const problems: TargetProblem[] = [];
    if (!PLAIN_PATH.test(ctx.provenance.source) || ctx.provenance.source.includes("..")) {
      problems.push({ path: ctx.provenance.source, line: null, message: "Unexpected spec path for a workflow command, expected letters, digits, `.`, `_`, `-` and `/` (rename the spec file)" });
    }
    for (const param of ctx.pipeline.params) {
      if (!PLAIN_PARAM.test(param.name)) problems.push({ path: ctx.provenance.source, line: null, message: `Unexpected parameter name \`${param.name}\` for a workflow input, expected a lowercase identifier` });
    }
    return problems;
  },
  emit(ctx: EmitContext): OutputFile[] {
    const path = actionsWorkflowPath(ctx.pipeline.name);
    const workflow = { path, content: emitActionsWorkflow(ctx, { specPath: ctx.provenance.source, billable: new Set(billableAgents(ctx.pipeline)) }) };
    const manifest = {
      path: actionsManifestPath(ctx.pipeline.name),
      content: stableJson(
        pipelineManifest(ctx, {
          path: actionsManifestPath(ctx.pipeline.name),
          files: [workflow],
          extra: {
            target: "github-actions",
            runtime: "specc/runtime",
            command: `gh workflow run ${ctx.pipeline.name}.yml -f task="<task>"`,
            artifact: JOURNAL_ARTIFACT,
            secrets: ["ANTHROPIC_API_KEY", ...(billableAgents(ctx.pipeline).length > 0 ? ["HF_TOKEN"] : [])],
            jobs: ctx.pipeline.steps.map((step) => ({
              job: jobId(step),
              step: step.id,
              elements: step.trace.elements,
              timeoutMinutes: jobMinutes(step),
              ...(step.kind === "approval" ? { environment: environmentName(ctx.pipeline, step) } : {}),
            })),
          },
        }),
      ),
    };
    return [manifest, workflow].sort((a, b) => (a.path < b.path ? -1 : 1));
  },
  async verify(files: OutputFile[]): Promise<TargetProblem[]> {
    const problems = checkOutputFiles(files);
    for (const file of files.filter((candidate) => candidate.path.endsWith(".yml"))) {
      for (const problem of await parseActionsWorkflow(file.path, file.content)) problems.push(problem);
    }
    return problems;
  },
};
