import { agentFiles, validateAgents, verifyAgentFiles } from "./agents.js";
import { hookFile } from "./hook.js";
import { manifestFile } from "./manifest.js";
import { settingsFile } from "./settings.js";
import { validateWorkflow } from "./validate-workflow.js";
import { emitWorkflow } from "./workflow.js";
import { checkOutputFiles, type EmitContext, type OutputFile, type Target, type TargetProblem } from "../target.js";

/**
 * The claude-code target: a dynamic workflow (`/name <task>`), one subagent per agent step,
 * settings with a spend-guard hook, the hook itself and a manifest.
 */
export const claudeCode: Target = {
  name: "claude-code",
  validate: validateAgents,
  emit(ctx: EmitContext): OutputFile[] {
    const files: OutputFile[] = [
      emitWorkflow({ pipeline: ctx.pipeline, provenance: ctx.provenance, runtime: ctx.inlineRuntime(["core", "workflow"]) }),
      ...agentFiles(ctx),
      settingsFile(ctx),
      hookFile(ctx),
    ];
    return [...files, manifestFile(ctx, files)].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  },
  async verify(files: OutputFile[], ctx: EmitContext): Promise<TargetProblem[]> {
    const workflow = files.find((file) => file.path === `.claude/workflows/${ctx.pipeline.name}.js`);
    const scriptProblems = workflow ? await validateWorkflow(workflow.path, workflow.content) : [{ path: ".claude/workflows", line: null, message: "Unexpected output without a workflow script" }];
    return [...checkOutputFiles(files), ...verifyAgentFiles(files, ctx), ...scriptProblems];
  },
};
