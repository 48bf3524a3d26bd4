// The targets' names, light enough for the CLI's help (which must not load the targets). The
// registry in index.ts is typed by these names, so a name without a target fails to compile.
export const TARGET_NAMES = ["claude-code", "node", "github-actions"] as const;

export type TargetName = (typeof TARGET_NAMES)[number];
