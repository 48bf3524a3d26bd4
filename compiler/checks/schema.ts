import type { VFile } from "vfile";
import { report } from "../diagnostics.js";
import { validate } from "../generated/validate-spec-ir.js";
import type { SpecIR } from "../ir.js";

interface SchemaError {
  instancePath: string;
  message?: string;
}

/** Validate the lowered IR against compiler/schema/spec-ir.schema.json (ajv, precompiled). */
export function checkSchema(ir: SpecIR, file: VFile): void {
  if (validate(ir)) return;
  const errors = ((validate as unknown as { errors?: SchemaError[] }).errors ?? []).slice(0, 5);
  for (const error of errors) {
    report(file, "SPC204", `Unexpected IR at \`${error.instancePath || "/"}\`: ${error.message ?? "invalid"}`, {
      place: placeOf(ir, error.instancePath),
      hint: "the spec lowered to an IR the schema rejects; fix the element at this place",
    });
  }
}

function placeOf(ir: SpecIR, path: string): { line: number; column: number } {
  let node: unknown = ir;
  let place = { line: 1, column: 1 };
  for (const part of path.split("/").slice(1)) {
    if (node === null || typeof node !== "object") break;
    node = (node as Record<string, unknown>)[part];
    const source = (node as { source?: { start: { line: number; column: number } } } | undefined)?.source;
    if (source?.start) place = source.start;
  }
  return place;
}
