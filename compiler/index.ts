export { analyze, type Analysis } from "./analyze.js";
export { check, CHECKS } from "./check.js";
export { CODES, formatMessages, hasErrors, messagesToJson, report, type Code, type Severity } from "./diagnostics.js";
export { SpeccError } from "./errors.js";
export type * from "./ir.js";
export { stableJson, sortKeys } from "./json.js";
export { lower } from "./lower.js";
export { parse } from "./parse.js";
export { readSpec } from "./read-spec.js";
