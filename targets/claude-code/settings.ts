/**
 * `.claude/settings.json`: permissions, the plugins that provide the skills the agents use, and
 * the PreToolUse spend guard on every Bash call. Settings are JSON, so they carry no provenance
 * comment; the manifest lists the file instead.
 */
import { stableJson } from "../../compiler/json.js";
import type { EmitContext, OutputFile } from "../../compiler/target.js";
import { hookPath, needsSpendHook } from "./hook.js";

export const SETTINGS_PATH = ".claude/settings.json";
export const SETTINGS_SCHEMA = "https://json.schemastore.org/claude-code-settings.json";

/** Seconds Claude Code waits for the guard: stdin, one small file, and at most four 5 s provider requests. */
export const HOOK_TIMEOUT_SECONDS = 30;

/** Files agents must not edit: secrets, specc's ledgers and manifests, the hooks and the settings. */
export const PROTECTED_PATHS = ["./.env", "./.specc/**", "./.claude/hooks/**", "./.claude/settings.json", "./.claude/settings.local.json"];

/** The file tools the guard also sees, so a write to a protected path is refused by the hook too. */
export const FILE_TOOLS_MATCHER = "Edit|Write|MultiEdit|NotebookEdit";

/** The settings file. Throws when an agent uses a skill the profile does not know (a realization bug). */
export function settingsFile(ctx: EmitContext): OutputFile {
  return { path: SETTINGS_PATH, content: stableJson(settingsObject(ctx)) };
}

/** The settings as an object, before printing. */
export function settingsObject(ctx: EmitContext): { [key: string]: unknown } {
  const skills = usedSkills(ctx);
  const plugins = unique(skills.map((skill) => pluginFor(ctx, skill))).sort();
  return {
    $schema: SETTINGS_SCHEMA,
    permissions: {
      allow: unique([...ctx.profile.permissions.allow, "Workflow", ...skills.map((skill) => `Skill(${skill})`)]),
      deny: unique([
        ...ctx.profile.permissions.deny,
        "Read(./.env)",
        ...PROTECTED_PATHS.flatMap((path) => [`Edit(${path})`, `Write(${path})`]),
      ]),
    },
    extraKnownMarketplaces: marketplacesFor(ctx, plugins),
    enabledPlugins: Object.fromEntries(plugins.map((plugin) => [plugin, true])),
    ...(needsSpendHook(ctx) ? { hooks: spendHooks(ctx) } : {}),
  };
}

/**
 * The guard's events: before every Bash call and file edit (blocks), after a Bash call (records the
 * job a submit started), and at a stop and at the session's end (settles finished jobs at the
 * provider's recorded cost; these never block).
 */
function spendHooks(ctx: EmitContext): { [event: string]: HookGroup[] } {
  return {
    PreToolUse: [hookGroup(ctx, { matcher: "Bash", failClosed: true }), hookGroup(ctx, { matcher: FILE_TOOLS_MATCHER, failClosed: true })],
    PostToolUse: [hookGroup(ctx, { matcher: "Bash", failClosed: false })],
    SessionEnd: [hookGroup(ctx, { failClosed: false })],
    Stop: [hookGroup(ctx, { failClosed: false })],
  };
}

interface HookGroup {
  matcher?: string;
  hooks: { type: string; command: string; timeout: number }[];
}

function hookGroup(ctx: EmitContext, options: { matcher?: string; failClosed: boolean }): HookGroup {
  const command = hookCommand(ctx.pipeline.name, { failClosed: options.failClosed });
  return { ...(options.matcher === undefined ? {} : { matcher: options.matcher }), hooks: [{ type: "command", command, timeout: HOOK_TIMEOUT_SECONDS }] };
}

/**
 * The hook's command line. Before a tool call any failure to run the guard blocks: `|| exit 2`
 * turns a missing `node` (127), a missing file or a crash (1) into the blocking exit code. After a
 * call and at a stop nothing may block (exit 2 on Stop would keep Claude Code from stopping), so
 * those run without it. The name is checked kebab-case, so nothing here needs more quoting than the
 * project directory's.
 */
export function hookCommand(name: string, options: { failClosed: boolean } = { failClosed: true }): string {
  return `node "\${CLAUDE_PROJECT_DIR}/${hookPath(name)}"${options.failClosed ? " || exit 2" : ""}`;
}

/** Skills any agent of the pipeline uses, sorted. */
export function usedSkills(ctx: EmitContext): string[] {
  const skills = unique(ctx.pipeline.steps.flatMap((step) => step.agents.flatMap((agent) => agent.skills))).sort();
  const bad = skills.filter((skill) => !/^[A-Za-z0-9][A-Za-z0-9:_.-]*$/.test(skill));
  if (bad.length > 0) throw new Error(`malformed skill names ${JSON.stringify(bad)}`);
  return skills;
}

function pluginFor(ctx: EmitContext, skill: string): string {
  const info = Object.hasOwn(ctx.profile.skills, skill) ? ctx.profile.skills[skill] : undefined;
  if (!info) throw new Error(`skill \`${skill}\` is not in profile \`${ctx.profile.name}\``);
  return info.plugin;
}

/** The profile's marketplaces that the enabled plugins come from (`name@marketplace`). */
function marketplacesFor(ctx: EmitContext, plugins: string[]): { [name: string]: unknown } {
  const names = unique(plugins.map((plugin) => plugin.slice(plugin.lastIndexOf("@") + 1)).filter((name) => Object.hasOwn(ctx.profile.marketplaces, name)));
  return Object.fromEntries(names.sort().map((name) => [name, ctx.profile.marketplaces[name]]));
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
