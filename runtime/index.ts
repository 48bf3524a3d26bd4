// specc/runtime: the one implementation of enforcement shared by every target.
// Re-exports only.
export * from "./core/index.js";
export * from "./errors.js";
export * from "./executors/claude-agent-sdk.js";
export * from "./executors/executor.js";
export * from "./executors/replay.js";
export * from "./executors/shell.js";
export * from "./hub.js";
export * from "./journal.js";
// The workflow driver that generated scripts inline; a namespace, since its `runStep` runs a
// pipeline step while the journal's `runStep` journals any step.
export * as workflow from "./workflow/index.js";
export * from "./node/index.js";
