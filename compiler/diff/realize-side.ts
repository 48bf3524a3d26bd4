import { VFile } from "vfile";
import { compile, realizeSpec } from "../compile.js";
import type { OutputFile } from "../target.js";
import { TARGETS } from "../../targets/index.js";
import type { DiffSide } from "./change.js";

/** One version realized for the diff, or the file holding why it could not be. */
export type RealizedSide = { ok: true; side: DiffSide; problems: string[] } | { ok: false; file: VFile };

/**
 * Realize one version of a spec and compile it for each of `targets`, so the diff can compare the
 * pipelines and the targets' files. `sourcePath` is the path generated files would name (a
 * target may refuse an odd one), `shown` the name in the report. Each stage gets a fresh VFile: analyzing one twice would
 * repeat its diagnostics. A target that fails its own checks is left out, with the reason in
 * `problems`, rather than failing the whole diff.
 */
export async function realizeSide(spec: { text: string; shown: string; sourcePath: string }, options: { targets: string[]; speccVersion: string }): Promise<RealizedSide> {
  const { text, shown, sourcePath } = spec;
  const file = new VFile({ path: shown, value: text });
  const realized = realizeSpec(file, { sourcePath });
  if (!realized.ok) return { ok: false, file };
  const outputs = new Map<string, OutputFile[]>();
  const problems: string[] = [];
  for (const name of options.targets) {
    const result = await compile(new VFile({ path: shown, value: text }), { target: TARGETS[name]!, sourcePath, speccVersion: options.speccVersion });
    if (result.files.length > 0) outputs.set(name, result.files);
    else problems.push(`${shown}: ${name}: the output is not compared: ${result.problems[0]?.message ?? "it does not compile"}`);
  }
  return { ok: true, side: { shown, ir: realized.ir, pipeline: realized.pipeline, outputs }, problems };
}
