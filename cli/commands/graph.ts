import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { formatMessages } from "../../compiler/diagnostics.js";
import { SpeccError } from "../../compiler/errors.js";
import { readSpec } from "../../compiler/read-spec.js";
import { TARGET_NAMES } from "../../targets/names.js";
import { absolutePath, colorize, defineCommand, displayPath, EXIT, oneSpec } from "./common.js";
import { projectPath } from "./compile.js";

// Kept here, not imported from compiler/graph.ts, so a bad flag is reported before the layout
// library and the realization are loaded (compiler/graph.ts checks it lists the same).
const VIEWS = ["spec", "pipeline", "mapping"] as const;
const FORMATS = ["mermaid", "html"] as const;

/** `specc graph <spec> [--target t] [--view spec|pipeline|mapping] [--format mermaid|html] [--out file]`. */
export const graphCommand = defineCommand({
  name: "graph",
  summary: "Draw a spec, its realized pipeline and the mapping between them (Mermaid or HTML)",
  args: "<spec>",
  flags: {
    view: { type: "string", value: "view", help: `Which view (${VIEWS.join(", ")}; default: pipeline); with --format html, the one open first` },
    format: { type: "string", value: "format", help: "mermaid: one view as a Mermaid flowchart (default); html: all three views in one self-contained file" },
    out: { type: "string", value: "file", help: "Write to this file instead of stdout" },
    target: { type: "string", value: "target", help: `Count only the hooks this target emits (targets: ${TARGET_NAMES.join(", ")}; default: the pipeline as realized)` },
    profile: { type: "string", value: "profile", help: "A bundled realization profile or a .json file (default: chosen from the spec, as compile does)" },
    "with-loop": { type: "boolean", help: "Draw the pipeline with the optional improvement loop, as compile --with-loop builds it" },
  },
  details: [
    "The spec view shows its phases, gates and loops; the pipeline view the realized steps with fan-out",
    "agents, critics and stop reasons; the mapping view each spec element's steps (kept, adapted, added,",
    "omitted) and where each rule is enforced (guard, hook, prompt). The HTML needs no network: its",
    "layout is computed by specc, and clicking an element shows its spec text and position.",
    "Output is deterministic: the same spec gives the same bytes. See docs/views.md.",
    "Exit codes: 0 written, 1 the spec has errors, 2 usage or I/O problem, 70 internal error.",
  ].join("\n"),
  async run({ values, positionals }, io) {
    const path = oneSpec(positionals, "graph");
    const view = values.view ?? "pipeline";
    const format = values.format ?? "mermaid";
    if (!(VIEWS as readonly string[]).includes(view)) throw new SpeccError(`graph: unknown view \`${view}\`, expected one of ${VIEWS.join(", ")}`, { hint: "run `specc graph --help`" });
    if (!(FORMATS as readonly string[]).includes(format)) throw new SpeccError(`graph: unknown format \`${format}\`, expected one of ${FORMATS.join(", ")}`, { hint: "run `specc graph --help`" });
    if (values.target !== undefined && !(TARGET_NAMES as readonly string[]).includes(values.target)) {
      throw new SpeccError(`graph: unknown target \`${values.target}\`, expected one of ${TARGET_NAMES.join(", ")}`, { hint: "run `specc graph --help`" });
    }
    // Loaded here, not at the top, so `specc check` does not pay for realization and the layout.
    const [{ realizeSpec }, { loadProfile }, { renderGraph }] = await Promise.all([import("../../compiler/compile.js"), import("../../compiler/load-profile.js"), import("../../compiler/graph.js")]);
    const profile = values.profile ? loadProfile(values.profile).profile : undefined;
    const shown = displayPath(path, io.cwd);
    const spec = absolutePath(path, io);
    const file = readSpec(spec, { displayPath: shown });
    const sourcePath = projectPath(spec);
    const realized = realizeSpec(file, { profile, sourcePath, withLoop: values["with-loop"] });
    const messages = formatMessages(file, shown);
    if (messages) io.err(colorize(messages, io.color));
    if (!realized.ok) return EXIT.failed;
    const text = renderGraph(realized.ir, realized.pipeline, {
      view: view as (typeof VIEWS)[number],
      format: format as (typeof FORMATS)[number],
      path: sourcePath,
      sha256: realized.sha256,
      profile: realized.profile,
      target: values.target ?? null,
    });
    if (values.out === undefined) {
      io.out(text.endsWith("\n") ? text.slice(0, -1) : text);
      return EXIT.ok;
    }
    const out = absolutePath(values.out, io);
    try {
      mkdirSync(dirname(out), { recursive: true });
      writeFileSync(out, text);
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      throw new SpeccError(`graph: cannot write \`${values.out}\`: ${reason === "EISDIR" ? "it is a directory" : reason === "EACCES" ? "permission denied" : reason}`);
    }
    io.err(`wrote ${values.out} (${format === "html" ? "all views" : `${view} view`}, ${Buffer.byteLength(text)} bytes)`);
    return EXIT.ok;
  },
});
