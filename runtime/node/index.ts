// The node back-end's runtime: the pipeline driven as a local program. Re-exports only.
export * from "./run.js";
export * from "./command.js";
export * from "./view.js";
