/**
 * The spend guard: a PreToolUse hook on Bash and on the file-editing tools. It is a standalone Node
 * script built from the compiled runtime (runtime/hook, and the runtime core it uses), inlined like
 * the workflow's runtime, with the pipeline's numbers as one JSON literal. No spec prose reaches it.
 * Every failure blocks (exit 2): exit 1 would let the call run.
 */
import { sortKeys } from "../../compiler/json.js";
import { hooksRun } from "../../compiler/realize/enforcement.js";
import type { HookConfig } from "../../runtime/hook/decide.js";
import type { EmitContext, OutputFile } from "../../compiler/target.js";
import { billableAgents } from "../../runtime/workflow/index.js";
import { jsLineComment, provenanceText } from "./markdown.js";

/** Where the guard keeps its spend ledger, relative to the project directory. */
export const LEDGER_PATH = ".specc/spend.json";

/** The environment variable that overrides the compiled cost cap (USD). */
export const COST_CAP_ENV = "SPECC_COST_CAP_USD";

/** The environment variable that names the run the guard charges (else the Claude Code session). */
export const RUN_ID_ENV = "SPECC_RUN_ID";

/** Paths, relative to the project, that no tool may change: ledgers, hooks, settings, git's hooks and config. */
export const HOOK_PROTECTED_PATHS = [".specc", ".claude/hooks", ".claude/settings.json", ".claude/settings.local.json", ".git/hooks", ".git/config"];

/** The runtime entry points the hook script calls; the inlined runtime keeps what they reach. */
export const HOOK_ROOTS = ["hookMain"];

/** The Node built-ins the hook runtime imports (inlining drops its import lines). */
const HOOK_IMPORTS = [
  'import { closeSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from "node:fs";',
  'import { posix } from "node:path";',
  'import process from "node:process";',
];

/**
 * What the guard knows of a job tool beyond its command words: other names of the tool, the HTTP
 * routes and library calls that submit billable work, credential flags and literals. Keyed by the
 * tool's command name (the first word of the profile's submit commands).
 */
const JOB_TOOL_ROUTES: { [tool: string]: Pick<HookConfig, "cliAliases" | "tokenFlags" | "envFlags" | "httpRoutes" | "sdkCalls" | "secretPatterns" | "provider"> } = {
  hf: {
    cliAliases: ["huggingface-cli"],
    tokenFlags: ["--token"],
    envFlags: ["-e", "--env"],
    httpRoutes: ["/api/(scheduled-)?jobs\\b", "(huggingface\\.co|hf\\.co)/api/[^\\s'\"]*(jobs|scheduled)"],
    sdkCalls: ["run_job", "run_uv_job", "create_scheduled_job", "create_scheduled_uv_job", "resume_scheduled_job", "runJob", "createScheduledJob"],
    secretPatterns: ["hf_[A-Za-z0-9]{20,}"],
    // The job's record (ml-intern-and-hf-skills §3.2: GET /api/jobs/{namespace}/{job_id}; billed per
    // minute while running), the endpoint override and token locations huggingface_hub reads, and
    // the job URL the CLI prints (https://huggingface.co/jobs/{owner}/{id}; ids are 24 hex digits).
    provider: {
      recordPath: "/api/jobs/{namespace}/{id}",
      whoamiPath: "/api/whoami-v2",
      endpointEnv: "HF_ENDPOINT",
      defaultEndpoint: "https://huggingface.co",
      tokenEnvs: ["HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"],
      tokenFile: ".cache/huggingface/token",
      jobUrlPattern: "https?://[A-Za-z0-9.-]+(?::\\d+)?/jobs/([A-Za-z0-9][A-Za-z0-9._-]{0,95})/([0-9a-f]{24})\\b",
      jobIdPattern: "\\b([0-9a-f]{24})\\b",
      namespaceFlag: "--namespace",
    },
  },
};

const NO_ROUTES = { cliAliases: [], tokenFlags: ["--token"], envFlags: ["-e", "--env"], httpRoutes: ["/api/(scheduled-)?jobs\\b"], sdkCalls: [], secretPatterns: [] };

/**
 * Whether the target emits the spend guard: only for a profile with billable job commands and a
 * pipeline with a cost cap. A spec that spends nothing gets no hook.
 */
export function needsSpendHook(ctx: EmitContext): boolean {
  // The same rule the realization used to claim hook enforcement, so the claim and the file agree.
  return hooksRun(ctx.pipeline, ctx.profile).has("spend-guard");
}

/** Where the hook goes; the name is checked kebab-case. */
export function hookPath(name: string): string {
  if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(name)) throw new Error(`pipeline name \`${name}\` is not kebab-case`);
  return `.claude/hooks/${name}-spend-guard.mjs`;
}

/** The guard's configuration from the pipeline's contract and the profile's job commands. */
export function guardConfig(ctx: EmitContext): HookConfig {
  const { jobs } = ctx.profile;
  if (!jobs || ctx.pipeline.contract.costCapUsd === null) throw new Error("the spend guard needs the profile's job commands and a cost cap");
  const tool = jobs.submit[0]?.trim().split(/\s+/)[0] ?? "";
  const routes = Object.hasOwn(JOB_TOOL_ROUTES, tool) ? JOB_TOOL_ROUTES[tool] : NO_ROUTES;
  const config: HookConfig = {
    costCapUsd: ctx.pipeline.contract.costCapUsd,
    capEnv: COST_CAP_ENV,
    runEnv: RUN_ID_ENV,
    ledgerPath: LEDGER_PATH,
    submit: [...jobs.submit],
    scheduled: [...jobs.scheduled],
    flavorFlag: jobs.hardwareFlag,
    timeoutFlag: jobs.timeoutFlag,
    defaultFlavor: jobs.defaultHardware,
    protectedPaths: [...HOOK_PROTECTED_PATHS],
    ...structuredClone(routes),
    ...workflowAgents(ctx),
  };
  assertGuardConfig(config);
  return config;
}

/** The pipeline's agents, and those allowed to spend (the runtime's `billableAgents`). */
function workflowAgents(ctx: EmitContext): { workflowAgents: string[]; billableAgents: string[] } {
  const steps = ctx.pipeline.steps ?? [];
  return { workflowAgents: steps.flatMap((step) => step.agents.map((agent) => agent.name)).sort(), billableAgents: billableAgents({ steps }) };
}

function assertGuardConfig(config: HookConfig): void {
  if (!Number.isFinite(config.costCapUsd) || config.costCapUsd < 0) throw new Error(`cost cap ${config.costCapUsd} is not a non-negative number`);
  if (config.submit.length === 0) throw new Error("the profile names no job submit commands for the spend guard");
  const prefixes = [...config.submit, ...config.scheduled];
  if (prefixes.some((prefix) => prefix.trim().split(/\s+/).some((word) => !/^[A-Za-z0-9._-]+$/.test(word)))) {
    throw new Error(`job command prefixes must be plain words: ${JSON.stringify(prefixes)}`);
  }
  if (![config.flavorFlag, config.timeoutFlag].every((flag) => /^--?[A-Za-z0-9-]+$/.test(flag))) throw new Error("job flags must look like `--flag`");
  if (!/^[A-Za-z0-9._-]+$/.test(config.defaultFlavor)) throw new Error("the default flavor must be a plain word");
}

/** The hook file (executable). Throws when the inlined runtime is not plain declarations. */
export function hookFile(ctx: EmitContext): OutputFile {
  const runtime = ctx.inlineRuntime(["core", "hook"], { roots: HOOK_ROOTS }).replace(/\r\n?/g, "\n").trimEnd();
  if (/^\s*(import|export)\s/m.test(runtime)) throw new Error("the inlined runtime still has import or export statements");
  const missing = HOOK_ROOTS.filter((name) => !new RegExp(`\\bfunction\\s+${name}\\b`).test(runtime));
  if (missing.length > 0) throw new Error(`the inlined runtime lacks ${missing.join(", ")}`);
  const lines = [
    "#!/usr/bin/env node",
    jsLineComment(provenanceText(ctx.provenance)),
    "// PreToolUse guard for Bash and the file tools: blocks billable work it cannot price, scheduled jobs,",
    "// jobs over the run's cost cap, inline credentials and writes to the ledger, hooks and settings;",
    "// reserves each allowed job's worst-case cost in the run's ledger. Exit 2 blocks; stderr says why.",
    "// After a submit (PostToolUse) it records the job the call started; at a stop it settles finished",
    "// jobs at the cost the provider's own record gives, never lower on an agent's word.",
    ...HOOK_IMPORTS,
    "",
    `const HOOK_CONFIG = ${JSON.stringify(sortKeys(guardConfig(ctx)))};`,
    "",
    runtime,
    "",
    "hookMain(HOOK_CONFIG, { now: () => Date.now(), parse: (text) => Date.parse(text) });",
  ];
  return { path: hookPath(ctx.pipeline.name), content: `${lines.join("\n")}\n`, executable: true };
}
