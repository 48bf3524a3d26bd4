import { claudeCode } from "./claude-code/index.js";
import type { Target } from "./target.js";

/** Every target, by the name used on the command line and in golden/<spec>/<target>/. */
export const TARGETS: Record<string, Target> = {
  "claude-code": claudeCode,
};

export type { EmitContext, OutputFile, Target, TargetProblem } from "./target.js";
