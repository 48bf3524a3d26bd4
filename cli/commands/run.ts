import { join } from "node:path";
import { formatMessages } from "../../compiler/diagnostics.js";
import { readSpec } from "../../compiler/read-spec.js";
import { RUN_FLAGS, type RunValues } from "../../runtime/node/command.js";
import { absolutePath, colorize, defineCommand, displayPath, EXIT, findUp, oneSpec } from "./common.js";

/** `specc run <spec> --task … [--param k=v] [--executor …] [--run-dir DIR] [--resume RUN] [--approve ID] [--json]`. */
export const runCommand = defineCommand({
  name: "run",
  summary: "Run a spec's pipeline locally, journaled so it resumes where it stopped",
  args: "<spec>",
  flags: {
    ...RUN_FLAGS,
    profile: { type: "string", value: "profile", help: "A bundled realization profile or a .json file (default: chosen from the spec)" },
  },
  details: [
    "Each agent call is journaled (<run-dir>/<run id>/journal.jsonl) before and after it runs; a",
    "resumed run replays the answers it has and goes on live. A billable call cut off by a crash is",
    "never repeated on its own: the run stops until you reconcile it.",
    "Exit codes: 0 completed, 1 failed or stopped by a guard, 2 usage or I/O problem, 3 stopped for a",
    "human decision (approval, clarification, scope change; the resume command is printed), 70 internal error.",
  ].join("\n"),
  async run({ values, positionals }, io) {
    const path = oneSpec(positionals, "run");
    const shown = displayPath(path, io.cwd);
    const spec = absolutePath(path, io);
    // Loaded here, not at the top, so `specc check` does not pay for realization and the runtime.
    const [{ realizeSpec }, { loadProfile }, { runnablePipeline }, { runPipelineCommand, quote: shellWord }] = await Promise.all([
      import("../../compiler/compile.js"),
      import("../../compiler/load-profile.js"),
      import("../../compiler/driver-pipeline.js"),
      import("../../runtime/node/command.js"),
    ]);
    const profile = values.profile ? loadProfile(values.profile).profile : undefined;
    const file = readSpec(spec, { displayPath: shown });
    const realized = realizeSpec(file, { profile, sourcePath: shown });
    const messages = formatMessages(file, shown);
    if (messages) io.err(colorize(messages, io.color));
    if (!realized.ok) return EXIT.failed;
    const project = findUp(spec, ".git") ?? findUp(spec, "package.json") ?? io.cwd;
    const runDir = values["run-dir"] ? absolutePath(values["run-dir"], io) : join(project, ".specc", "runs");
    const command = `specc run ${shellWord(shown)}`;
    return runPipelineCommand(runnablePipeline(realized.pipeline), values as RunValues, { io, cwd: io.cwd, runDir, command });
  },
});
