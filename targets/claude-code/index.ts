import { agentFiles, validateAgents, verifyAgentFiles } from "./agents.js";
import { hookFile, needsSpendHook } from "./hook.js";
import { manifestFile, manifestPath } from "./manifest.js";
import { settingsFile } from "./settings.js";
import { quickCheckWorkflow } from "./validate-workflow.js";
import { emitWorkflow, RUNTIME_END, RUNTIME_START, WORKFLOW_ROOTS } from "./workflow.js";
import { checkOutputFiles, type EmitContext, type OutputFile, type Target, type TargetProblem } from "../../compiler/target.js";

/**
 * The script with the inlined runtime blanked out (lines kept, so line numbers hold). The runtime is
 * the same bytes for every spec, checked when it is inlined (forbidden constructs) and by the test
 * suite (a full parse); re-parsing it on every compile would double the compile time.
 */
export function blankRuntime(script: string): string {
  const start = script.indexOf(`${RUNTIME_START}\n`);
  const end = script.indexOf(`\n${RUNTIME_END}`, start);
  if (start === -1 || end === -1) return script;
  const from = start + RUNTIME_START.length + 1;
  return script.slice(0, from) + script.slice(from, end).split("\n").map((line) => " ".repeat(line.length)).join("\n") + script.slice(end);
}

/**
 * The claude-code target: a dynamic workflow (`/name <task>`), one subagent per agent step,
 * settings with a spend-guard hook, the hook itself and a manifest.
 */
export const claudeCode: Target = {
  name: "claude-code",
  manifestPath,
  validate: validateAgents,
  emit(ctx: EmitContext): OutputFile[] {
    const kinds = [...new Set(ctx.pipeline.steps.map((step) => step.kind))].sort();
    const files: OutputFile[] = [
      emitWorkflow({ pipeline: ctx.pipeline, provenance: ctx.provenance, runtime: ctx.inlineRuntime(["core", "workflow"], { roots: [...WORKFLOW_ROOTS], kinds }) }),
      ...agentFiles(ctx),
      settingsFile(ctx),
      ...(needsSpendHook(ctx) ? [hookFile(ctx)] : []),
    ];
    return [...files, manifestFile(ctx, files)].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  },
  async verify(files: OutputFile[], ctx: EmitContext): Promise<TargetProblem[]> {
    const workflow = files.find((file) => file.path === `.claude/workflows/${ctx.pipeline.name}.js`);
    const scriptProblems = workflow ? await quickCheckWorkflow(workflow.path, blankRuntime(workflow.content)) : [{ path: ".claude/workflows", line: null, message: "Unexpected output without a workflow script" }];
    return [...checkOutputFiles(files), ...verifyAgentFiles(files, ctx), ...scriptProblems];
  },
};
