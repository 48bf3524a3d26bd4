import { analyze } from "../../compiler/analyze.js";
import { formatMessages, hasErrors } from "../../compiler/diagnostics.js";
import { stableJson } from "../../compiler/json.js";
import { readSpec } from "../../compiler/read-spec.js";
import { absolutePath, colorize, defineCommand, displayPath, EXIT, oneSpec } from "./common.js";

/** `specc ir <spec>`: the IR even of a spec with errors, since that is when one wants to see it. */
export const irCommand = defineCommand({
  name: "ir",
  summary: "Print the spec IR as JSON (sorted keys)",
  args: "<spec>",
  flags: {},
  details: [
    "The IR goes to stdout and diagnostics to stderr. A spec with errors still prints the IR that could",
    "be built, and exits 1; a spec from which no IR can be built (an empty file) prints diagnostics only.",
    "Exit codes: 0 no errors (warnings allowed), 1 the spec has errors, 2 usage or I/O problem, 70 internal error.",
  ].join("\n"),
  async run({ positionals }, io) {
    const path = oneSpec(positionals, "ir");
    const shown = displayPath(path, io.cwd);
    const { ir, file } = analyze(readSpec(absolutePath(path, io), { displayPath: shown }));
    if (ir) io.out(stableJson(ir).trimEnd());
    const messages = formatMessages(file, shown);
    if (messages) io.err(colorize(messages, io.color));
    return ir && !hasErrors(file) ? EXIT.ok : EXIT.failed;
  },
});
