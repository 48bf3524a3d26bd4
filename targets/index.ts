import { claudeCode } from "./claude-code/index.js";
import { githubActions } from "./github-actions/index.js";
import { node } from "./node/index.js";
import type { Target } from "../compiler/target.js";
import type { TargetName } from "./names.js";

/** Every target, by the name used on the command line and in golden/<spec>/<target>/. */
export const TARGETS: Record<TargetName, Target> & Record<string, Target | undefined> = {
  "claude-code": claudeCode,
  node,
  "github-actions": githubActions,
};

export type { EmitContext, OutputFile, Target, TargetProblem } from "../compiler/target.js";
