// Public surface of the pure runtime core. Re-exports only: the compiler
// inlines the sibling files, never this one.
export * from "./hash.js";
export * from "./repetition.js";
export * from "./scope.js";
export * from "./submit.js";
export * from "./approval.js";
export * from "./ledger.js";
export * from "./sizing.js";
export * from "./oom.js";
export * from "./failures.js";
export * from "./job-cost.js";
