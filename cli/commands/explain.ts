import { formatMessages } from "../../compiler/diagnostics.js";
import { SpeccError } from "../../compiler/errors.js";
import { readSpec } from "../../compiler/read-spec.js";
import { TARGET_NAMES } from "../../targets/names.js";
import { absolutePath, colorize, defineCommand, displayPath, EXIT, oneSpec, version } from "./common.js";

/** `specc explain <spec> [--target t] [--profile p] [--reasons]`. */
export const explainCommand = defineCommand({
  name: "explain",
  summary: "Show how each spec element maps onto the pipeline: label, steps and enforcement",
  args: "<spec>",
  flags: {
    target: { type: "string", value: "target", help: `Also compile for this target (targets: ${TARGET_NAMES.join(", ")}) and mark the hooks it does not emit` },
    profile: { type: "string", value: "profile", help: "A bundled realization profile or a .json file (default: chosen from the spec)" },
    reasons: { type: "boolean", help: "Print each element's reason (why it was kept, adapted, added or omitted) under its row" },
  },
  details: [
    "The table goes to stdout (at most 100 columns; long cells wrap), diagnostics to stderr. Each element of",
    "the spec is listed once, grouped by kind, with its label, its line, the steps that realize it and, for a",
    "rule, what enforces it: a runtime guard (proven by a stand-in run that breaks it), a hook, or only the",
    "prompts of the steps listed.",
    "Exit codes: 0 printed, 1 the spec has errors (or does not compile for --target), 2 usage or I/O problem,",
    "70 internal error.",
  ].join("\n"),
  async run({ values, positionals }, io) {
    const path = oneSpec(positionals, "explain");
    if (values.target !== undefined && !(TARGET_NAMES as readonly string[]).includes(values.target)) {
      throw new SpeccError(`explain: unknown target \`${values.target}\`, expected one of ${TARGET_NAMES.join(", ")}`);
    }
    // Loaded here, not at the top, so `specc check` does not pay for realization and the targets.
    const [{ compile, realizeSpec }, { loadProfile }, { proveEnforcement }, { accountFor }, { hooksRun }, { explain }, { TARGETS }] = await Promise.all([
      import("../../compiler/compile.js"),
      import("../../compiler/load-profile.js"),
      import("../../compiler/prove.js"),
      import("../../compiler/realize/accounting.js"),
      import("../../compiler/realize/enforcement.js"),
      import("../../compiler/explain.js"),
      import("../../targets/index.js"),
    ]);
    const shown = displayPath(path, io.cwd);
    const spec = absolutePath(path, io);
    const profile = values.profile ? loadProfile(values.profile).profile : undefined;
    const file = readSpec(spec, { displayPath: shown });
    const realized = realizeSpec(file, { profile, sourcePath: shown });
    const messages = formatMessages(file, shown);
    if (messages) io.err(colorize(messages, io.color));
    if (!realized.ok) return EXIT.failed;
    const { ir, pipeline } = realized;
    const hooks = hooksRun(pipeline, realized.profile);
    const unproven = await proveEnforcement(pipeline, { hooks });
    pipeline.accounting = accountFor(ir, pipeline);
    let target: { name: string; emits: Set<string> } | undefined;
    if (values.target !== undefined) {
      const result = await compile(readSpec(spec, { displayPath: shown }), { target: TARGETS[values.target]!, profile, sourcePath: shown, speccVersion: version() });
      for (const problem of result.problems) io.err(`${problem.path}${problem.line ? `:${problem.line}` : ""}: error ${problem.code ?? "SPC403"} ${problem.message}`);
      if (result.files.length === 0) return EXIT.failed;
      // A hook is a file named after it (`.claude/hooks/<name>-spend-guard.mjs`); a target without one does not run it.
      target = { name: values.target, emits: new Set([...hooks].filter((hook) => result.files.some((output) => output.path.includes(`-${hook}.`)))) };
    }
    const text = explain(pipeline, { shown, hooks, target, unproven: new Set(unproven.map((claim) => `${claim.rule} ${claim.guard}`)), reasons: values.reasons });
    io.out(text.trimEnd());
    return EXIT.ok;
  },
});
