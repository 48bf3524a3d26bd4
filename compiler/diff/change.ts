import type { SpecIR } from "../ir.js";
import type { Pipeline } from "../pipeline.js";
import type { OutputFile } from "../target.js";
import { KINDS, type Severity } from "./kinds.js";

/** One semantic change between two versions of a spec: the unit of the report, in Markdown and JSON. */
export interface Change {
  kind: string;
  severity: Severity;
  /** The element it is about (`R4`, `Phase 3`, `maxRetries`, an agent or step name). */
  id?: string;
  from?: string | number;
  to?: string | number;
  /** `path:line` in the new spec, or in the old one for what was removed. */
  where?: string;
  /** The target whose output changes (output changes only). */
  target?: string;
  /** The requirement or item the change is about, shortened, when `id` alone does not say. */
  text?: string;
}

/** One version of a spec, realized: what the diff compares. */
export interface DiffSide {
  /** How the spec is named in the report (`specs/x.md`, `abc123def456:specs/x.md`). */
  shown: string;
  ir: SpecIR;
  pipeline: Pipeline;
  /** Each compared target's files; a target missing on either side is not compared. */
  outputs?: Map<string, OutputFile[]>;
}

/** A change of `kind`, with the severity its kind has; unset fields are left out, so JSON stays minimal. */
export function change(kind: string, fields: Omit<Change, "kind" | "severity">): Change {
  const info = KINDS[kind];
  if (!info) throw new Error(`unknown diff change kind \`${kind}\``);
  const result: Change = { kind, severity: info.severity };
  for (const [key, value] of Object.entries(fields)) if (value !== undefined) (result as unknown as Record<string, unknown>)[key] = value;
  return result;
}

/** `path:line` for a line of a side's spec; none when the line is unknown. */
export function whereIn(side: DiffSide, line: number | null | undefined): string | undefined {
  return line === null || line === undefined ? undefined : `${side.shown}:${line}`;
}
