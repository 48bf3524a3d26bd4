// Public surface of the workflow driver. Re-exports only: the compiler inlines
// the sibling files (after runtime/core), never this one.
export * from "./types.js";
export * from "./stops.js";
export * from "./kinds.js";
export * from "./schemas.js";
export * from "./state.js";
export * from "./agents.js";
export * from "./guards.js";
export * from "./steps-plan.js";
export * from "./steps-check.js";
export * from "./steps-test.js";
export * from "./steps-job.js";
export * from "./steps-end.js";
export * from "./run.js";
