// The spend guard's decision, pure: a PreToolUse call in, allow / block (with the reason the agent
// reads) / reserve these jobs out. It allows a Bash command only when it can account for everything
// the command runs: the line parses; every command name is a literal word; code it cannot read is
// refused when it could act (programs from stdin or here-documents, inline code or local scripts
// that can run commands, reach the network, build code at run time or touch protected paths);
// billable routes (the job command in any form, the jobs HTTP API, the SDK calls) are refused unless
// they are the literal job command, which is priced; inline secrets and writes to protected paths
// (the ledger, the hooks, the settings) are refused through every tool the hook sees.
import { posix } from "node:path";
import { approvalClass } from "../core/approval.js";
import { estimateJobCost, HARDWARE_PRICES_USD_PER_HOUR } from "../core/ledger.js";
import { parseDuration } from "../core/sizing.js";
import { hookParseShell, type HookCommand, type HookWord } from "./shell.js";
import type { HookProviderConfig } from "./verify.js";

/** What the guard knows, from the pipeline and the profile: one JSON literal in the emitted hook. */
export interface HookConfig {
  /** The compiled cost cap per run (USD); `capEnv` overrides it. */
  costCapUsd: number;
  capEnv: string;
  /** The environment variable that names the run whose ledger the hook charges. */
  runEnv: string;
  /** The project ledger, relative to the project directory. */
  ledgerPath: string;
  /** Billable job commands (`hf jobs run`) and scheduled ones, always refused. */
  submit: string[];
  scheduled: string[];
  /** Other names of the job command-line tool. */
  cliAliases: string[];
  flavorFlag: string;
  timeoutFlag: string;
  defaultFlavor: string;
  /** Flags of the job command that would carry a credential inline. */
  tokenFlags: string[];
  /** Flags of the job command that set a plain environment variable (`-e NAME=value`). */
  envFlags: string[];
  /** Regular expressions (case-insensitive) for URLs of the billable HTTP API. */
  httpRoutes: string[];
  /** Library calls that submit billable work. */
  sdkCalls: string[];
  /** Regular expressions for credential literals. */
  secretPatterns: string[];
  /** Paths, relative to the project directory, that no tool may change. */
  protectedPaths: string[];
  /**
   * The workflow's own agents (their `agent_type` inside a subagent), and the ones whose step the
   * workflow approves spend for. A job from any other agent of the workflow is refused: the
   * workflow gates billable work in its own steps, and an agent told "not in this step" is held to it.
   */
  workflowAgents?: string[];
  billableAgents?: string[];
  /** How to read a job's cost from the provider's own record; without it reservations stay worst case. */
  provider?: HookProviderConfig;
}

/** The PreToolUse input on stdin, as Claude Code sends it (only the fields the guard reads). */
export interface HookInput {
  tool_name?: unknown;
  tool_input?: unknown;
  cwd?: unknown;
  session_id?: unknown;
  hook_event_name?: unknown;
  /** Set by Claude Code when the call comes from a subagent (a workflow agent included). */
  agent_type?: unknown;
  /** The call's id, the same in its PreToolUse and PostToolUse input. */
  tool_use_id?: unknown;
  /** PostToolUse: what the tool returned (Bash: stdout and stderr). */
  tool_response?: unknown;
}

export type HookFileRead = { text: string } | { missing: true } | { unreadable: string };

/** Where the call runs, and how to read the local scripts it would run. */
export interface HookContext {
  projectDir: string;
  cwd: string;
  home: string | null;
  readFile: (path: string) => HookFileRead;
}

export interface HookJob {
  flavor: string;
  hours: number;
  estimateUsd: number;
  priceUsdPerHour: number;
}

export type HookDecision = { action: "allow" } | { action: "block"; reason: string } | { action: "reserve"; jobs: HookJob[] };

/** Bash commands longer than this are refused unread. */
export const HOOK_MAX_COMMAND_CHARS = 100_000;

const HOOK_SHELLS = ["bash", "sh", "zsh", "dash", "ksh", "mksh", "ash", "fish", "yash", "posh", "csh", "tcsh"];
const HOOK_WRAPPERS = ["sudo", "doas", "env", "command", "exec", "nohup", "time", "nice", "builtin", "stdbuf", "setsid", "ionice", "chrt", "unbuffer", "caffeinate", "torsocks", "proxychains", "proxychains4", "catchsegv", "then", "do", "else", "elif", "if", "while", "until", "{", "}", "!", "coproc"];
const HOOK_FANOUT = ["xargs", "parallel"];
/** Tools that run another program named later on their line. */
const HOOK_RUNNERS = ["uv", "uvx", "pipx", "npx", "bunx", "pnpx", "conda", "mamba", "micromamba", "poetry", "pipenv", "pdm", "hatch", "rye", "pixi", "strace", "ltrace", "flock", "docker", "podman", "kubectl", "firejail", "systemd-run", "taskset", "chroot", "runuser", "su", "script", "tmux", "screen", "ssh", "busybox", "timeout", "nohup", "watch"];
/** Commands that only print their arguments: job words in them are text. */
const HOOK_TEXT_ONLY = ["echo", "printf", "grep", "egrep", "fgrep", "rg"];
/** Commands that read, never write, the paths they are given. */
const HOOK_READ_ONLY = ["cat", "head", "tail", "less", "more", "ls", "stat", "file", "wc", "grep", "egrep", "fgrep", "rg", "jq", "diff", "cmp", "md5sum", "sha1sum", "sha256sum", "du", "realpath", "readlink", "basename", "dirname", "echo", "printf", "test", "[", "tree", "nl", "od", "xxd", "hexdump", "strings"];
const HOOK_READ_ONLY_GIT = ["status", "diff", "log", "show", "ls-files", "blame", "grep"];
/** Commands that change or remove what they are given, or what lies under it. */
const HOOK_WRITERS = ["rm", "rmdir", "mv", "cp", "ln", "chmod", "chown", "chgrp", "touch", "truncate", "shred", "unlink", "rsync", "install", "dd", "tar", "unzip", "tee", "sed", "perl", "find", "git", "mkdir", "patch"];
const HOOK_INTERPRETER = /^(python(\d+(\.\d+)*)?|pypy\d*|py|node|nodejs|deno|bun|perl|ruby|php|Rscript|R|julia|lua(jit)?|tclsh|awk|gawk|mawk|nawk|osascript|pwsh)$/;
const HOOK_SCRIPT_EXT = /\.(py|pyw|js|mjs|cjs|ts|mts|sh|bash|zsh|pl|rb|php|r|jl|lua)$/i;

/** Code a guard cannot follow: what it could do, and the pattern that shows it. */
const HOOK_CODE_RISKS: [RegExp, string][] = [
  [/\b(subprocess|Popen|os\s*\.\s*(system|popen|exec\w*|spawn\w*|posix_spawn\w*|fork)|pty\s*\.\s*spawn|commands\s*\.\s*getoutput|child_process|execSync|execFileSync|spawnSync|Deno\s*\.\s*(run|Command)|Bun\s*\.\s*spawn|IO\s*\.\s*popen|Open3|Kernel\s*\.\s*(system|spawn|exec)|system\s*\(|exec\s*\(|eval\s*\(|%x[({[]|shell_exec|passthru|proc_open)/, "run commands"],
  [/\b(requests|urllib\d?|http\s*\.\s*client|httplib|httpx|aiohttp|pycurl|socket|fetch\s*\(|XMLHttpRequest|node:https?|https?\s*\.\s*(request|get)|Net::HTTP|LWP|HTTP::Tiny|curl_(init|exec)|websocket)/i, "reach the network"],
  [/(__import__|\bimportlib\b|\bgetattr\s*\(|\bsetattr\s*\(|\bglobals\s*\(|\blocals\s*\(|__builtins__|__dict__|__getattribute__|\bcompile\s*\(|base64|b64decode|\bcodecs\b|\bmarshal\b|\bpickle\b|fromCharCode|\bFunction\s*\(|\bvm\s*\.\s*run|\bchr\s*\(|\bimport\s*\(|\bbytes\s*\.\s*fromhex|\bunhexlify)/, "build code at run time"],
  [/\b(shutil|rmtree|os\s*\.\s*(remove|unlink|rename|replace|chmod|rmdir|removedirs)|write_text|write_bytes|writeFile|rmSync|unlinkSync|renameSync|chmodSync)\b/, "change files"],
];

/** The decision for one PreToolUse call. Never throws for any input: a failure is a block. */
export function hookDecide(input: HookInput, config: HookConfig, ctx: HookContext): HookDecision {
  try {
    return hookDecideUnsafe(input, config, ctx);
  } catch (error) {
    return { action: "block", reason: hookErrorText(error) };
  }
}

function hookErrorText(error: unknown): string {
  return String(error !== null && typeof error === "object" && "message" in error ? (error as { message: unknown }).message : error);
}

interface HookScan {
  config: HookConfig;
  ctx: HookContext;
  jobs: HookJob[];
  /** Directories relative paths may be resolved against (cd moves them); null once unknown. */
  dirs: string[] | null;
}

/** A refusal: thrown inside the checks, caught by hookDecide. */
function hookRefuse(reason: string): never {
  throw new Error(reason);
}

function hookDecideUnsafe(input: HookInput, config: HookConfig, ctx: HookContext): HookDecision {
  if (input === null || typeof input !== "object" || Array.isArray(input)) hookRefuse("the hook input is not a JSON object");
  const tool = input.tool_name;
  if (typeof tool !== "string" || tool === "") hookRefuse("the hook input names no tool");
  const args = input.tool_input;
  const fields = args !== null && typeof args === "object" && !Array.isArray(args) ? (args as { [key: string]: unknown }) : null;
  if (tool === "Bash") {
    if (fields === null || typeof fields.command !== "string") hookRefuse("the Bash call has no command");
    return hookAttributed(hookDecideBash(fields.command, config, ctx), input.agent_type, config);
  }
  if (tool === "Edit" || tool === "Write" || tool === "MultiEdit" || tool === "NotebookEdit") {
    if (fields === null) hookRefuse(`the ${tool} call has no input`);
    return hookDecideEdit(tool, fields, config, ctx);
  }
  return { action: "allow" };
}

/** A job from one of the workflow's agents whose step does not spend is refused. */
function hookAttributed(decision: HookDecision, agentType: unknown, config: HookConfig): HookDecision {
  if (decision.action !== "reserve" || typeof agentType !== "string") return decision;
  const workflow = config.workflowAgents ?? [];
  const billable = config.billableAgents ?? [];
  if (!workflow.includes(agentType) || billable.includes(agentType)) return decision;
  return {
    action: "block",
    reason: `agent \`${agentType}\` submits a billable job, but its step does not spend: the workflow runs billable work only in ${billable.length > 0 ? billable.map((name) => `\`${name}\``).join(", ") : "no step"}, behind its approvals and cost ledger`,
  };
}

function hookDecideEdit(tool: string, fields: { [key: string]: unknown }, config: HookConfig, ctx: HookContext): HookDecision {
  const path = tool === "NotebookEdit" ? fields.notebook_path : fields.file_path;
  if (typeof path !== "string" || path === "") hookRefuse(`the ${tool} call names no file`);
  const absolute = posix.resolve(ctx.cwd, path);
  if (hookProtectedText(path, config) || hookProtectedHit(absolute, config, ctx) === "inside") {
    hookRefuse(`${tool} on ${path}: the spend ledger, the hooks and the settings are written only by specc and by people; ask a human`);
  }
  hookSecrets(JSON.stringify(fields), config);
  return { action: "allow" };
}

function hookDecideBash(command: string, config: HookConfig, ctx: HookContext): HookDecision {
  if (command.length > HOOK_MAX_COMMAND_CHARS) hookRefuse(`the command is ${command.length} characters long, more than the guard reads (${HOOK_MAX_COMMAND_CHARS}); split it`);
  hookSecrets(command, config);
  hookRoutes(command, config, "the command");
  let commands: HookCommand[];
  try {
    commands = hookParseShell(command);
  } catch (error) {
    return { action: "block", reason: `cannot parse the command (${hookErrorText(error)}), so it is not run; write it with balanced quotes and closed substitutions` };
  }
  const scan: HookScan = { config, ctx, jobs: [], dirs: [ctx.cwd] };
  hookCheckCommands(commands, scan);
  return scan.jobs.length > 0 ? { action: "reserve", jobs: scan.jobs } : { action: "allow" };
}

/** R11: no credential literal in a command or a file the agent writes. */
function hookSecrets(text: string, config: HookConfig): void {
  for (const source of config.secretPatterns) {
    if (new RegExp(source).test(text)) {
      hookRefuse("a token is written inline (R11); never put a credential in a command or a file: pass it by name as a job secret (for example --secrets HF_TOKEN) or read it from the environment");
    }
  }
}

/** Billable routes that need no command name: the HTTP API and the library calls. */
function hookRoutes(text: string, config: HookConfig, where: string): void {
  for (const source of config.httpRoutes) {
    if (new RegExp(source, "i").test(text)) hookRefuse(`${where} addresses the billable jobs API directly; submit jobs only with ${config.submit[0]}, which the guard prices against the cap`);
  }
  for (const name of config.sdkCalls) {
    if (new RegExp(`\\b${name}\\b`).test(text)) hookRefuse(`${where} calls ${name}, which submits billable work the guard cannot price; submit jobs only with ${config.submit[0]}`);
  }
}

function hookCheckCommands(commands: HookCommand[], scan: HookScan): void {
  for (const command of commands) hookCheckCommand(command, scan);
}

function hookBase(text: string): string {
  return text.slice(text.lastIndexOf("/") + 1);
}

function hookLiteral(word: HookWord | undefined): string | null {
  return word === undefined || word.dynamic || word.glob ? null : word.text;
}

/** Drop assignments, reserved words and wrappers before the command that runs. */
function hookUnwrap(words: HookWord[]): { words: HookWord[]; fanout: boolean } {
  let i = 0;
  let fanout = false;
  while (i < words.length) {
    const word = words[i];
    const base = hookBase(word.text);
    if (/^[A-Za-z_][A-Za-z0-9_]*\+?=/.test(word.text)) i++;
    else if (word.dynamic) break;
    else if (base === "function") i += 2;
    else if (HOOK_WRAPPERS.includes(base)) {
      if (base === "env" && words.slice(i + 1).some((next) => /^(-S|--split-string)/.test(next.text))) hookRefuse("env -S splits a string into a command the guard cannot check; write the command out");
      i++;
      while (i < words.length && words[i].text.startsWith("-") && words[i].text !== "-") i += /^-(n|u|C|c|o|e|i|p|g)$/.test(words[i].text) && base !== "time" ? 2 : 1;
    } else if (base === "timeout") {
      i++;
      while (i < words.length && words[i].text.startsWith("-")) i += /^-(s|k)$/.test(words[i].text) ? 2 : 1;
      i++;
    } else if (HOOK_FANOUT.includes(base)) {
      fanout = true;
      i++;
      while (i < words.length && words[i].text.startsWith("-")) i += /^-([ILnPdEsa]|-max-args|-max-procs|-delimiter|-arg-file|-replace|-jobs|j)$/.test(words[i].text) ? 2 : 1;
    } else break;
  }
  return { words: words.slice(i), fanout };
}

function hookCheckCommand(command: HookCommand, scan: HookScan): void {
  hookCheckRedirects(command, scan);
  const { words, fanout } = hookUnwrap(command.words);
  if (words.length === 0) return;
  const name = words[0];
  if (name.dynamic || name.glob) {
    hookRefuse(`the command name \`${name.text}\` comes from an expansion, so the guard cannot tell what runs; write the command name literally`);
  }
  const base = hookBase(name.text);
  if (fanout && (hookIsJobCli(base, scan.config) || HOOK_SHELLS.includes(base) || HOOK_INTERPRETER.test(base) || base === "eval" || name.text.includes("{"))) {
    hookRefuse(`${base} fed by xargs or parallel takes arguments the guard cannot see; write the command out`);
  }
  hookCheckPaths(base, words, scan);
  hookTrackDirectory(base, words, scan);
  hookCheckProgram(base, words, command, scan);
  // Shells and eval were read in full above: their words are a program, not a job command's form.
  if (HOOK_SHELLS.includes(base) || base === "eval" || base === "source" || base === ".") return;
  hookCheckJob(words, scan);
  if (!HOOK_TEXT_ONLY.includes(base)) hookCheckJobText(words, scan);
}

// ---------------------------------------------------------------- job commands

function hookWordsOf(prefix: string): string[] {
  return prefix.trim().split(/\s+/);
}

function hookIsJobCli(base: string, config: HookConfig): boolean {
  return config.submit.concat(config.scheduled).some((prefix) => hookWordsOf(prefix)[0] === base) || config.cliAliases.includes(base);
}

/** How words stand to a job prefix: it, possibly it (a word from an expansion), or its words in another form. */
function hookPrefixState(words: HookWord[], prefix: string, config: HookConfig): "exact" | "maybe" | "loose" | null {
  const wanted = hookWordsOf(prefix);
  const base = hookBase(words[0].text);
  if (base === wanted[0] || config.cliAliases.includes(base)) {
    let exact = true;
    for (let index = 1; index < wanted.length; index++) {
      const word = words[index];
      if (word === undefined) return null;
      if (word.dynamic || word.glob) return "maybe";
      if (word.text !== wanted[index]) {
        exact = false;
        break;
      }
    }
    if (exact) return base === wanted[0] ? "exact" : "loose";
  }
  let at = 1;
  for (const word of words.slice(1)) if (at < wanted.length && word.text === wanted[at]) at++;
  return at === wanted.length ? "loose" : null;
}

function hookCheckJob(words: HookWord[], scan: HookScan): void {
  const { config } = scan;
  const states = config.scheduled.map((prefix) => ({ prefix, scheduled: true, state: hookPrefixState(words, prefix, config) }))
    .concat(config.submit.map((prefix) => ({ prefix, scheduled: false, state: hookPrefixState(words, prefix, config) })))
    .filter((entry) => entry.state !== null);
  if (states.length === 0) return;
  const base = hookBase(words[0].text);
  if (states.some((entry) => entry.state === "maybe")) hookRefuse(`part of the job command \`${states[0].prefix}\` comes from an expansion; write the job command out literally`);
  const scheduled = states.find((entry) => entry.scheduled);
  if (scheduled && !HOOK_TEXT_ONLY.includes(base) && approvalClass({ kind: "scheduled-job" }) !== "auto") {
    hookRefuse(`scheduled or recurring jobs always need a human: ask one to run it (${scheduled.prefix})`);
  }
  const exact = states.filter((entry) => entry.state === "exact").sort((a, b) => hookWordsOf(b.prefix).length - hookWordsOf(a.prefix).length);
  if (exact.length === 0) {
    if (HOOK_TEXT_ONLY.includes(base)) return;
    hookRefuse(`cannot check this form of ${states[0].prefix}: run \`${states[0].prefix}\` itself, first on its line, with its flags after it`);
  }
  const args = words.slice(hookWordsOf(exact[0].prefix).length);
  if (approvalClass({ kind: "job" }) !== "auto") scan.jobs.push(hookPriceJob(args, config));
}

/**
 * The namespace of a command that is exactly one job submission and nothing else (no pipes, lists,
 * substitutions or redirections), or null when the command is anything more. Only such a call's
 * output is trusted to name the job it started.
 */
export function hookSubmitArgument(command: string, config: HookConfig, namespaceFlag: string): { namespace: string | null } | null {
  try {
    const commands = hookParseShell(command);
    if (commands.length !== 1 || commands[0].redirects.length > 0 || commands[0].stdin !== "inherit" || commands[0].words.some((word) => word.dynamic || word.glob)) return null;
    const words = commands[0].words;
    const prefix = config.submit.find((candidate) => hookPrefixState(words, candidate, config) === "exact");
    if (prefix === undefined) return null;
    const namespace = hookOne(words.slice(hookWordsOf(prefix).length), namespaceFlag);
    return { namespace: namespace !== null && /^[A-Za-z0-9][A-Za-z0-9._-]{0,95}$/.test(namespace) ? namespace : null };
  } catch {
    return null;
  }
}

/** A single flag value (--flag value or --flag=value) before a bare "--"; null when absent. */
function hookFlag(args: HookWord[], flags: string[]): string[] {
  const values: string[] = [];
  for (let i = 0; i < args.length && args[i].text !== "--"; i++) {
    const text = args[i].text;
    for (const flag of flags) {
      if (text === flag) {
        if (i + 1 >= args.length) hookRefuse(`${flag} has no value`);
        values.push(args[i + 1].text);
      } else if (text.startsWith(flag + "=")) values.push(text.slice(flag.length + 1));
      else if (flag.length === 2 && !flag.startsWith("--") && text.startsWith(flag) && text.length > 2 && !text.startsWith("--")) values.push(text.slice(2));
    }
  }
  return values;
}

function hookOne(args: HookWord[], flag: string): string | null {
  const values = hookFlag(args, [flag]);
  if (new Set(values).size > 1) hookRefuse(`${flag} is given more than once with different values (${values.join(", ")}); pass it once`);
  return values.length > 0 ? values[0] : null;
}

/** Price one job submission; every gap blocks. */
function hookPriceJob(args: HookWord[], config: HookConfig): HookJob {
  const end = args.findIndex((word) => word.text === "--");
  const before = end < 0 ? args : args.slice(0, end);
  const dynamic = before.find((word) => word.dynamic || word.glob);
  if (dynamic) hookRefuse(`the job command has \`${dynamic.text}\`, which an expansion fills in; write every word of the job command literally so the guard can price it`);
  if (hookFlag(before, config.tokenFlags).length > 0 || before.some((word) => config.tokenFlags.includes(word.text))) {
    hookRefuse(`${config.tokenFlags[0]} puts a credential on the command line (R11); the job command reads it from the environment, or pass it as a secret (for example --secrets HF_TOKEN)`);
  }
  for (const value of hookFlag(before, config.envFlags)) {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=/.exec(value);
    if (match && /TOKEN|SECRET|PASSWORD|PASSWD|API_?KEY|PRIVATE|CREDENTIAL/i.test(match[1])) {
      hookRefuse(`${config.envFlags[0]} ${match[1]}=… passes a credential as a plain variable (R11); pass it as a secret by name (for example --secrets ${match[1]})`);
    }
  }
  const timeout = hookOne(before, config.timeoutFlag);
  if (timeout === null) {
    hookRefuse(`job without ${config.timeoutFlag}: the platform's 30-minute default kills training; pass ${config.timeoutFlag} sized to the model (for example 4h)`);
  }
  const flavor = hookOne(before, config.flavorFlag) ?? config.defaultFlavor;
  const hours = timeout.length <= 32 ? parseDuration(timeout) : null;
  if (hours === null || !(hours > 0) || !Number.isFinite(hours)) hookRefuse(`cannot read ${config.timeoutFlag} ${JSON.stringify(timeout)}: use seconds or 30m, 2h, 1d`);
  const estimateUsd = estimateJobCost({ flavor, timeoutHours: hours });
  if (estimateUsd === null || !Number.isFinite(estimateUsd)) {
    hookRefuse(`no known price for flavor ${JSON.stringify(flavor)}: the guard cannot cost the job, so it is blocked; use a listed flavor or ask a human`);
  }
  const prices: { [flavor: string]: number } = HARDWARE_PRICES_USD_PER_HOUR;
  return { flavor, hours, estimateUsd, priceUsdPerHour: prices[flavor] };
}

/** A job command hidden in one argument (tmux, ssh, su -c, git -c alias...) is refused. */
function hookCheckJobText(words: HookWord[], scan: HookScan): void {
  const pattern = hookJobPattern(scan.config);
  const git = hookBase(words[0].text) === "git";
  for (let i = 1; i < words.length; i++) {
    const word = words[i];
    // A commit or tag message is text.
    if (git && (/^(-m|--message)$/.test(words[i - 1].text) || /^(-m.|--message=)/.test(word.text))) continue;
    if (/\s/.test(word.text) && pattern.test(word.text)) {
      hookRefuse(`an argument of ${hookBase(words[0].text)} holds a job command the guard cannot check; run the job command itself, on its own line`);
    }
  }
}

/** The job command's words in program text, as a shell line or as a list of strings. */
function hookJobPattern(config: HookConfig): RegExp {
  const names = [...new Set(config.submit.concat(config.scheduled).map((prefix) => hookWordsOf(prefix)[0]).concat(config.cliAliases))];
  const tails = [...new Set(config.submit.concat(config.scheduled).map((prefix) => hookWordsOf(prefix).slice(1).map(hookEscape).join("[\\s\"',]+(?:[^\\s\"',]+[\\s\"',]+)?")))];
  return new RegExp(`(^|[^A-Za-z0-9_.-])(${names.map(hookEscape).join("|")})[\\s"',]+(?:[^\\s"',]+[\\s"',]+)?(${tails.join("|")})\\b`);
}

function hookEscape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");
}

// ---------------------------------------------------------------- protected paths

function hookProtectedText(text: string, config: HookConfig): boolean {
  const path = text.replace(/\\/g, "/").replace(/\/+/g, "/");
  return config.protectedPaths.some((protectedPath) => new RegExp(`(^|/)${hookEscape(protectedPath)}(/|$)`).test(path)) || /(^|\/)\.specc(\/|$)/.test(path);
}

/** Whether an absolute path is a protected path (or under one), or holds one (an ancestor). */
function hookProtectedHit(absolute: string, config: HookConfig, ctx: HookContext): "inside" | "ancestor" | null {
  let hit: "inside" | "ancestor" | null = null;
  for (const relative of config.protectedPaths) {
    const full = posix.resolve(ctx.projectDir, relative);
    if (absolute === full || absolute.startsWith(full + "/")) return "inside";
    if (full.startsWith(absolute === "/" ? "/" : absolute + "/")) hit = "ancestor";
  }
  return hit;
}

function hookGlobHits(pattern: string, config: HookConfig, ctx: HookContext): boolean {
  if (pattern.includes("{")) return true;
  let source = "^";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "*") source += "[^/]*";
    else if (c === "?") source += "[^/]";
    else if (c === "[") {
      const end = pattern.indexOf("]", i + 2);
      if (end < 0) source += "\\[";
      else {
        source += "[" + pattern.slice(i + 1, end).replace(/^!/, "^").replace(/\\/g, "\\\\") + "]";
        i = end;
      }
    } else source += hookEscape(c);
  }
  const regex = new RegExp(source + "$");
  for (const relative of config.protectedPaths) {
    let path = posix.resolve(ctx.projectDir, relative);
    for (;;) {
      if (regex.test(path)) return true;
      if (path === "/") break;
      path = posix.dirname(path);
    }
  }
  return false;
}

function hookResolveAll(text: string, scan: HookScan): string[] | null {
  if (text.startsWith("~")) {
    if (scan.ctx.home === null || !/^~(\/|$)/.test(text)) return null;
    return [posix.resolve(scan.ctx.home, text.slice(2))];
  }
  if (text.startsWith("/")) return [posix.resolve(text)];
  if (scan.dirs === null) return null;
  return scan.dirs.map((dir) => posix.resolve(dir, text));
}

const HOOK_PROTECTED_REASON = "the spend ledger, the hooks and the settings are written only by specc and by people; ask a human";

function hookCheckRedirects(command: HookCommand, scan: HookScan): void {
  for (const redirect of command.redirects) {
    if (redirect.target === null || !/>/.test(redirect.op)) continue;
    const target = redirect.target;
    if (/^\/dev\/(null|stdout|stderr|fd\/[12])$/.test(target.text) && !target.dynamic) continue;
    if (target.dynamic || target.glob) hookRefuse(`the redirection target \`${target.text}\` comes from an expansion, so the guard cannot tell which file it writes; write the path literally`);
    const paths = hookResolveAll(target.text, scan);
    if (paths === null) hookRefuse(`the redirection to \`${target.text}\` follows a cd the guard cannot follow; write an absolute path`);
    if (hookProtectedText(target.text, scan.config) || paths.some((path) => hookProtectedHit(path, scan.config, scan.ctx) !== null)) {
      hookRefuse(`${redirect.op} ${target.text}: ${HOOK_PROTECTED_REASON}`);
    }
  }
}

function hookReadOnly(base: string, words: HookWord[]): boolean {
  if (base === "git") {
    const sub = words.slice(1).find((word) => !word.text.startsWith("-"));
    return sub !== undefined && HOOK_READ_ONLY_GIT.includes(sub.text) && !words.some((word) => word.text === "-c");
  }
  if (base === "find") return !words.some((word) => /^-(delete|exec|execdir|ok|okdir|fprint|fprint0|fprintf|fls)$/.test(word.text));
  return HOOK_READ_ONLY.includes(base);
}

function hookCheckPaths(base: string, words: HookWord[], scan: HookScan): void {
  if (base === "git") hookCheckGit(words);
  if (hookReadOnly(base, words)) return;
  const writer = hookWriter(base, words);
  const args = words.slice(1);
  if (writer && hookImplicitDot(base, words)) args.push({ text: ".", dynamic: false, glob: false });
  for (const word of args) {
    const text = word.text.replace(/^--?[A-Za-z-]+=/, "");
    if (hookProtectedText(text, scan.config) || /(^|\/)\.(claude|git)\/?$/.test(text)) hookRefuse(`${base} ${word.text}: ${HOOK_PROTECTED_REASON}`);
    if (!writer || text.startsWith("-") || text === "") continue;
    if (word.dynamic) hookRefuse(`${base} is given \`${word.text}\`, which an expansion fills in, so the guard cannot tell what it changes; write the path literally`);
    const paths = hookResolveAll(text, scan);
    if (paths === null) hookRefuse(`${base} ${word.text} follows a cd the guard cannot follow; write an absolute path`);
    for (const path of paths) {
      const hit = word.glob ? (hookGlobHits(path, scan.config, scan.ctx) ? "ancestor" : null) : hookProtectedHit(path, scan.config, scan.ctx);
      if (hit === "inside" || (hit === "ancestor" && hookChangesTree(base, words))) hookRefuse(`${base} ${word.text} reaches the spend ledger, the hooks or the settings, which are written only by specc and by people; name the files to change`);
    }
  }
}

/** Whether the command changes the paths it is given. */
function hookWriter(base: string, words: HookWord[]): boolean {
  const flags = words.slice(1).filter((word) => word.text.startsWith("-"));
  if (base === "git") {
    const sub = words.slice(1).find((word) => !word.text.startsWith("-"));
    return sub !== undefined && ["clean", "checkout", "restore", "reset", "stash", "rm", "mv", "switch", "apply", "am"].includes(sub.text);
  }
  if (base === "sed" || base === "perl") return flags.some((word) => /^-[A-Za-z]*i|^--in-place/.test(word.text));
  if (base === "find") return words.some((word) => word.text === "-delete");
  if (base === "tar") return /^-?[A-Za-z]*x/.test(words[1]?.text ?? "") || words.some((word) => /^--(extract|get)$/.test(word.text));
  return HOOK_WRITERS.includes(base);
}

/** Writers that act on the current directory when they name no path. */
function hookImplicitDot(base: string, words: HookWord[]): boolean {
  const named = words.slice(1).some((word) => !word.text.startsWith("-") && word.text !== "clean");
  if (base === "git") return words.some((word) => word.text === "clean") && !named;
  if (base === "find") return !/^[^-]/.test(words[1]?.text ?? "-");
  if (base === "tar") return !words.some((word) => /^(-C|--directory)/.test(word.text));
  if (base === "unzip") return !words.some((word) => word.text === "-d");
  return false;
}

/** Whether a writer given a directory changes what lies under it. */
function hookChangesTree(base: string, words: HookWord[]): boolean {
  if (["rm", "rmdir", "chmod", "chown", "chgrp", "rsync", "tar", "unzip", "find", "git", "shred"].includes(base)) return true;
  if (["cp", "mv", "ln", "install"].includes(base)) return words.some((word) => /^-[A-Za-z]*[rRa]/.test(word.text) || /^--(recursive|archive)$/.test(word.text)) || base === "mv";
  return false;
}

/** git settings that run programs (aliases with !, hooks paths, pagers, editors, helpers). */
function hookCheckGit(words: HookWord[]): void {
  const risky = /(^|\.)(hookspath|sshcommand|pager|editor|fsmonitor|helper|askpass|gpgprogram|program)\b|^alias\.|(^|=)!/i;
  for (let i = 1; i < words.length; i++) {
    const text = words[i].text;
    const value = text === "-c" || text === "--config-env" ? words[i + 1]?.text ?? "" : text.startsWith("-c") ? text.slice(2) : null;
    if (value !== null && risky.test(value)) hookRefuse(`git ${text} ${value}: a git setting that runs programs is not allowed here`);
  }
  const sub = words.slice(1).find((word) => !word.text.startsWith("-"));
  if (sub?.text === "config" && words.some((word) => risky.test(word.text))) hookRefuse("git config that runs programs (aliases, hooks, pagers, helpers) is not allowed here");
}

function hookTrackDirectory(base: string, words: HookWord[], scan: HookScan): void {
  if (base === "popd") scan.dirs = null;
  if (base !== "cd" && base !== "pushd") return;
  const target = words.slice(1).find((word) => !word.text.startsWith("-") || word.text === "-");
  if (target === undefined) {
    scan.dirs = scan.ctx.home === null || scan.dirs === null ? null : [...scan.dirs, scan.ctx.home];
    return;
  }
  const literal = hookLiteral(target);
  const paths = literal === null || literal === "-" ? null : hookResolveAll(literal, scan);
  if (paths === null || scan.dirs === null) {
    scan.dirs = null;
    return;
  }
  const dirs = [...new Set([...scan.dirs, ...paths])];
  scan.dirs = dirs.length > 16 ? null : dirs;
}

// ---------------------------------------------------------------- programs the command runs

function hookCheckProgram(base: string, words: HookWord[], command: HookCommand, scan: HookScan): void {
  if (base === "eval") {
    const dynamic = words.slice(1).find((word) => word.dynamic);
    if (dynamic) hookRefuse(`eval runs \`${dynamic.text}\`, which an expansion fills in; write the command out`);
    return hookCheckCommands(hookParseShell(words.slice(1).map((word) => word.text).join(" "), command.depth + 1), scan);
  }
  if (base === "source" || base === ".") return hookCheckScript(words[1], "sh", command, scan);
  if (HOOK_SHELLS.includes(base)) return hookCheckShell(base, words, command, scan);
  if (HOOK_INTERPRETER.test(base)) return hookCheckInterpreter(base, words, command, scan);
  if (base === "find") return hookCheckFindExec(words, command, scan);
  if (base === "watch") {
    const rest = words.slice(1);
    let i = 0;
    while (i < rest.length && rest[i].text.startsWith("-")) i += /^-(n|-interval)$/.test(rest[i].text) ? 2 : 1;
    if (rest.slice(i).some((word) => word.dynamic)) hookRefuse("watch runs text an expansion fills in; write the command out");
    return hookCheckCommands(hookParseShell(rest.slice(i).map((word) => word.text).join(" "), command.depth + 1), scan);
  }
  if (HOOK_RUNNERS.includes(base)) return hookCheckRunner(base, words, command, scan);
  if (Object.hasOwn(HOOK_TASK_FILES, base)) return hookCheckTaskRunner(base, words, command, scan);
  if (hookIsLocalProgram(words[0].text)) return hookCheckScript(words[0], null, command, scan);
}

/**
 * Task runners run commands the project defines in a file: the files each reads (in the directory
 * it runs in). `make` recipes and package.json scripts are shell and are checked command by
 * command; the others' files are checked as code.
 */
const HOOK_TASK_FILES: { [runner: string]: string[] } = {
  make: ["GNUmakefile", "makefile", "Makefile"],
  gmake: ["GNUmakefile", "makefile", "Makefile"],
  npm: ["package.json"],
  pnpm: ["package.json"],
  yarn: ["package.json"],
  bun: ["package.json"],
  just: ["justfile", "Justfile", ".justfile"],
  task: ["Taskfile.yml", "Taskfile.yaml", "taskfile.yml", "taskfile.yaml"],
  invoke: ["tasks.py"],
  inv: ["tasks.py"],
  rake: ["Rakefile", "rakefile"],
  nox: ["noxfile.py"],
  tox: ["tox.ini", "pyproject.toml", "setup.cfg"],
  poe: ["pyproject.toml"],
  gradle: ["build.gradle", "build.gradle.kts"],
  mvn: ["pom.xml"],
};

/** Flags that point a runner at other definition files or directories (or every workspace). */
const HOOK_TASK_ELSEWHERE: { [runner: string]: string[] } = {
  make: ["-f", "-C", "-I", "--file", "--makefile", "--directory", "--include-dir"],
  gmake: ["-f", "-C", "-I", "--file", "--makefile", "--directory", "--include-dir"],
  npm: ["-C", "--prefix", "-w", "--workspace", "--workspaces", "-ws", "--global", "-g"],
  pnpm: ["-C", "--dir", "--filter", "-F", "-r", "--recursive", "-w", "--workspace-root", "--global", "-g"],
  yarn: ["--cwd", "workspace", "workspaces"],
  bun: ["--cwd", "--filter", "-F"],
  just: ["-f", "-d", "--justfile", "--working-directory", "-g", "--global-justfile"],
  task: ["-t", "-d", "--taskfile", "--dir", "-g", "--global"],
  other: ["-f", "-C", "-d", "--file", "--dir", "--directory", "--project-dir", "--build-file", "--rakefile", "--collection", "--search-root", "--noxfile", "-c", "--conf", "--root"],
};

/**
 * A task runner: every definition it could run is checked, whichever task is named (a task's
 * dependencies and hooks run too). A runner pointed elsewhere (`make -f`, `-C`, `--prefix`,
 * `--cwd`, ...) is refused: the guard checks only the files it knows the runner reads.
 */
function hookCheckTaskRunner(base: string, words: HookWord[], command: HookCommand, scan: HookScan): void {
  const flags = Object.hasOwn(HOOK_TASK_ELSEWHERE, base) ? HOOK_TASK_ELSEWHERE[base] : HOOK_TASK_ELSEWHERE.other;
  const elsewhere = words.slice(1).find((word) => word.dynamic || flags.some((flag) => word.text === flag || word.text.startsWith(`${flag}=`) || (/^-[A-Za-z]$/.test(flag) && word.text.startsWith(flag) && !word.text.startsWith("--"))));
  if (elsewhere) hookRefuse(`${base} ${elsewhere.text} runs definitions the guard does not read; run it from the project with its default file, or write the commands directly`);
  if (scan.dirs === null || scan.dirs.length === 0) hookRefuse(`the guard cannot tell which directory ${base} runs in after a cd; run it from the project directory`);
  for (const name of HOOK_TASK_FILES[base]) {
    const path = posix.join(scan.dirs[0], name);
    const read = scan.ctx.readFile(path);
    if ("missing" in read) continue;
    if ("unreadable" in read) hookRefuse(`the guard cannot read ${name} (${read.unreadable}), which ${base} runs, so it is not run`);
    const where = `${name} (run by ${base})`;
    hookSecrets(read.text, scan.config);
    hookRoutes(read.text, scan.config, where);
    if (base === "make" || base === "gmake") hookCheckShellLines(hookMakeRecipes(read.text, where), where, command, scan);
    else if (name === "package.json") hookCheckPackageRun(base, words, read.text, where, command, scan);
    else hookCheckCode(read.text, where, scan);
  }
}

/** Shell lines a task file defines, parsed and checked like a shell script's. */
function hookCheckShellLines(lines: string[], where: string, command: HookCommand, scan: HookScan): void {
  for (const line of lines) {
    let commands: HookCommand[];
    try {
      commands = hookParseShell(line, command.depth + 1);
    } catch (error) {
      hookRefuse(`cannot parse a command in ${where} (${hookErrorText(error)}), so it is not run`);
    }
    hookCheckCommands(commands, scan);
  }
}

/**
 * A makefile's recipe lines (tab-indented, continuations joined, the `@`, `-`, `+` prefixes off).
 * Makefile features that run or read what the guard cannot see are refused: `include`, `$(shell …)`
 * and `$(eval …)` outside recipes; variables in a recipe are expansions (a command name from one is
 * refused by the shell checks).
 */
function hookMakeRecipes(text: string, where: string): string[] {
  const lines = text.replace(/\\\r?\n/g, " ").split(/\r?\n/);
  const recipes: string[] = [];
  for (const line of lines) {
    if (line.startsWith("\t")) {
      recipes.push(line.slice(1).replace(/^[@+\-\s]+/, ""));
      continue;
    }
    if (/^\s*-?(include|sinclude)\s/.test(line) || /\$[({](shell|eval|file)\s/.test(line) || /^\s*\.(SHELL|ONESHELL)\b|^\s*SHELL\s*[:?+]?=/.test(line)) {
      hookRefuse(`${where} uses \`${line.trim().slice(0, 60)}\`, which runs or reads what the guard cannot check; write the commands directly`);
    }
  }
  return recipes;
}

/** Package-manager subcommands that run the install lifecycle scripts. */
const HOOK_PACKAGE_INSTALL = ["install", "i", "ci", "add", "rebuild", "rb", "pack", "publish", "update", "up", "upgrade", "link", "ln"];
const HOOK_PACKAGE_LIFECYCLE = ["preinstall", "install", "postinstall", "preprepare", "prepare", "postprepare", "prepublish", "prepack", "postpack", "prepublishOnly", "publish", "postpublish"];
/** Subcommands that run a package's binary, like npx. */
const HOOK_PACKAGE_EXEC = ["exec", "x", "dlx"];
/** Subcommands that run the named script. */
const HOOK_PACKAGE_RUN = ["run", "run-script", "rum", "urn"];
const HOOK_PACKAGE_NAMED = ["start", "test", "t", "tst", "stop", "restart"];
/** npm's own subcommands that run nothing of the project's (yarn runs an unknown word as a script). */
const HOOK_YARN_BUILTINS = ["info", "list", "ls", "outdated", "why", "version", "versions", "config", "cache", "bin", "help", "audit", "licenses", "owner", "tag", "team", "login", "logout", "init", "remove", "global", "import", "check", "autoclean", "policies", "workspaces", "workspace", "node", "set", "plugin", "constraints", "explain", "npm", "patch", "patch-commit", "search", "unplug", "dedupe"];

/**
 * The scripts a package-manager call runs, checked as shell: `run X` (and `preX`, `postX`), the
 * named lifecycle commands, the install lifecycle; `exec`/`dlx` is a runner of a binary.
 */
function hookCheckPackageRun(base: string, words: HookWord[], text: string, where: string, command: HookCommand, scan: HookScan): void {
  const scripts = hookPackageScripts(text, where);
  const args = words.slice(1).filter((word) => !word.text.startsWith("-"));
  const sub = args[0]?.text ?? (base === "yarn" ? "install" : "");
  if (HOOK_PACKAGE_EXEC.includes(sub)) return hookCheckRunner(base, words, command, scan);
  let names: string[] = [];
  if (HOOK_PACKAGE_RUN.includes(sub)) names = args[1] ? [args[1].text] : [];
  else if (HOOK_PACKAGE_NAMED.includes(sub)) names = [sub === "t" || sub === "tst" ? "test" : sub];
  else if (HOOK_PACKAGE_INSTALL.includes(sub)) names = HOOK_PACKAGE_LIFECYCLE;
  else if ((base === "yarn" || base === "bun") && !HOOK_YARN_BUILTINS.includes(sub) && Object.hasOwn(scripts, sub)) names = [sub];
  const run = names.flatMap((name) => (HOOK_PACKAGE_LIFECYCLE.includes(name) ? [name] : [`pre${name}`, name, `post${name}`]));
  if (names.some((name) => name.includes("*") || name.includes("{") || name.includes("$"))) hookRefuse(`${base} runs scripts by a pattern the guard cannot follow; name one script`);
  hookCheckShellLines(run.filter((name) => Object.hasOwn(scripts, name)).map((name) => scripts[name]), where, command, scan);
}

/** The `scripts` of a package.json, by name (prototype-free). */
function hookPackageScripts(text: string, where: string): { [name: string]: string } {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    hookRefuse(`${where} is not JSON, so the guard cannot read its scripts`);
  }
  const scripts = data !== null && typeof data === "object" ? (data as { scripts?: unknown }).scripts : undefined;
  const result: { [name: string]: string } = Object.create(null);
  if (scripts === undefined) return result;
  if (scripts === null || typeof scripts !== "object" || Array.isArray(scripts)) hookRefuse(`${where} has scripts the guard cannot read`);
  for (const [name, value] of Object.entries(scripts as { [name: string]: unknown })) {
    result[name] = typeof value === "string" ? value : hookRefuse(`${where} has a script that is not text`);
  }
  return result;
}

function hookIsLocalProgram(text: string): boolean {
  return text.includes("/") && !text.startsWith("/") && !text.startsWith("~");
}

/** A runner (uv run, conda run, docker exec, ssh, ...) runs the first shell or interpreter after it. */
function hookCheckRunner(base: string, words: HookWord[], command: HookCommand, scan: HookScan): void {
  for (let i = 1; i < words.length; i++) {
    const inner = hookBase(words[i].text);
    if (words[i].dynamic) continue;
    if (hookIsJobCli(inner, scan.config)) hookRefuse(`${base} runs ${inner}, which may be another build of the job tool; run the job command itself, first on its line`);
    if (HOOK_SHELLS.includes(inner) || HOOK_INTERPRETER.test(inner) || inner === "eval") {
      return hookCheckCommand({ words: words.slice(i), redirects: [], stdin: command.stdin, depth: command.depth + 1 }, scan);
    }
    if (HOOK_SCRIPT_EXT.test(words[i].text) && i > 0 && ["run", "exec", "uvx", "pipx"].includes(words[i - 1].text.startsWith("-") ? "run" : words[i - 1].text)) {
      return hookCheckScript(words[i], null, command, scan);
    }
  }
  if (base === "uv" || base === "uvx" || base === "pipx") {
    const run = words.findIndex((word) => word.text === "run");
    const script = words.slice(run + 1).find((word) => !word.text.startsWith("-") && HOOK_SCRIPT_EXT.test(word.text));
    if (script) hookCheckScript(script, null, command, scan);
  }
}

function hookCheckFindExec(words: HookWord[], command: HookCommand, scan: HookScan): void {
  for (let i = 1; i < words.length; i++) {
    if (!/^-(exec|execdir|ok|okdir)$/.test(words[i].text)) continue;
    let end = i + 1;
    while (end < words.length && words[end].text !== ";" && words[end].text !== "+") end++;
    const inner = words.slice(i + 1, end);
    if (inner.length === 0) continue;
    const innerBase = hookBase(inner[0].text);
    if (hookIsJobCli(innerBase, scan.config) || HOOK_SHELLS.includes(innerBase) || HOOK_INTERPRETER.test(innerBase) || innerBase === "eval" || inner[0].text.includes("{")) {
      hookRefuse(`find ${words[i].text} ${innerBase} runs it on names the guard cannot see; write the command out`);
    }
    hookCheckCommand({ words: inner, redirects: [], stdin: "inherit", depth: command.depth + 1 }, scan);
    i = end;
  }
}

function hookCheckShell(base: string, words: HookWord[], command: HookCommand, scan: HookScan): void {
  for (let i = 1; i < words.length; i++) {
    const text = words[i].text;
    if (/^-[A-Za-z]*c[A-Za-z]*$/.test(text)) {
      const program = words.slice(i + 1).find((word) => !/^[-+][A-Za-z]+$/.test(word.text));
      if (program === undefined) hookRefuse(`${base} ${text} has no command`);
      if (program.dynamic) hookRefuse(`${base} ${text} runs \`${program.text}\`, which an expansion fills in; write the command out`);
      return hookCheckCommands(hookParseShell(program.text, command.depth + 1), scan);
    }
    if (/^[-+]o$|^[-+]O$|^--rcfile$|^--init-file$/.test(text)) {
      i++;
      continue;
    }
    if (text === "-" || /^-[A-Za-z]*[si][A-Za-z]*$/.test(text)) break;
    if (text.startsWith("-") || text.startsWith("+")) continue;
    return hookCheckScript(words[i], "sh", command, scan);
  }
  hookRefuse(`${base} would read its program from standard input (a pipe, a here-document or a file), which the guard cannot check; write the commands directly in the Bash call`);
}

/** Inline-code flags and their argument, per interpreter family. */
function hookInlineFlags(base: string): RegExp {
  if (/^(python|pypy|py)/.test(base)) return /^-c(.*)$/;
  if (/^(node|nodejs|bun)$/.test(base)) return /^(?:-e|--eval|-p|--print)(?:=(.*))?$/;
  if (/^(perl|ruby)$/.test(base)) return /^-[A-Za-z]*[eE]()$/;
  if (base === "php") return /^-r(.*)$/;
  if (base === "pwsh") return /^-(?:c|command)()$/i;
  return /^-e()$/;
}

function hookCheckInterpreter(base: string, words: HookWord[], command: HookCommand, scan: HookScan): void {
  const inline = hookInlineFlags(base);
  const awk = /awk$/.test(base);
  if ((base === "perl" || base === "ruby") && words.some((word) => /^-[A-Za-z]*i/.test(word.text))) hookCheckPaths("sed", words, scan);
  let found = false;
  for (let i = 1; i < words.length; i++) {
    const text = words[i].text;
    const match = inline.exec(text);
    if (match) {
      const attached = match[1] === undefined ? "" : match[1];
      const code = attached !== "" ? words[i] : words[i + 1];
      if (code === undefined) hookRefuse(`${base} ${text} has no code`);
      if (code.dynamic) hookRefuse(`${base} runs inline code that an expansion fills in; write the code out`);
      hookCheckCode(attached !== "" ? attached : code.text, `the inline ${base} code`, scan);
      found = true;
      if (attached === "") i++;
      continue;
    }
    if (base === "deno" && text === "eval") {
      if (words[i + 1] === undefined || words[i + 1].dynamic) hookRefuse("deno eval runs code the guard cannot read");
      hookCheckCode(words[i + 1].text, "the inline deno code", scan);
      return;
    }
    if (/^(python|pypy|py)/.test(base) && text === "-m") return;
    if (/^(-f|--file|-r|--require|--import|--preload)$/.test(text) || (awk && text === "-f")) {
      hookCheckScript(words[i + 1], null, command, scan);
      found = found || text === "-f" || text === "--file";
      i++;
      continue;
    }
    if (text.startsWith("-") && text !== "-") {
      if (/^-(W|X|F|v|I|M|x)$/.test(text) && !awk) i++;
      else if (awk && /^-(F|v)$/.test(text)) i++;
      continue;
    }
    if (found) return;
    if (text === "-") break;
    if (awk) return hookCheckCode(text, `the ${base} program`, scan);
    if (base === "deno" || base === "bun") {
      if (text === "run" || text === "x") continue;
      if (!HOOK_SCRIPT_EXT.test(text) && !text.includes("/")) return;
    }
    return hookCheckScript(words[i], null, command, scan);
  }
  if (found) return;
  hookRefuse(`${base} would read its program from standard input (a pipe, a here-document or a file), which the guard cannot check; put the code in a script file and run that`);
}

/** Local code the command runs: refused when missing, unreadable, or able to act past the guard. */
function hookCheckScript(word: HookWord | undefined, kind: "sh" | null, command: HookCommand, scan: HookScan): void {
  if (word === undefined) hookRefuse("the command runs a script it does not name");
  if (word.dynamic || word.glob) hookRefuse(`the command runs \`${word.text}\`, which an expansion fills in; name the script literally`);
  const paths = hookResolveAll(word.text, scan);
  if (paths === null || paths.length !== 1) hookRefuse(`the guard cannot tell which file \`${word.text}\` is after a cd; use an absolute path`);
  const read = scan.ctx.readFile(paths[0]);
  if ("missing" in read) hookRefuse(`${word.text} does not exist yet, so the guard cannot check what it runs; create it first, then run it in a separate call`);
  if ("unreadable" in read) hookRefuse(`the guard cannot read ${word.text} (${read.unreadable}), so it is not run`);
  const text = read.text;
  if (text.includes("\u0000")) hookRefuse(`${word.text} is a binary the guard cannot check`);
  const shebang = /^#!\s*(\S+)(?:\s+(\S+))?/.exec(text);
  const interpreter = shebang ? hookBase(shebang[1] === "/usr/bin/env" || hookBase(shebang[1]) === "env" ? shebang[2] ?? "" : shebang[1]) : "";
  const shell = kind === "sh" || HOOK_SHELLS.includes(interpreter) || (/\.(sh|bash|zsh)$/i.test(word.text) && !HOOK_INTERPRETER.test(interpreter));
  hookSecrets(text, scan.config);
  hookRoutes(text, scan.config, word.text);
  if (shell) {
    let commands: HookCommand[];
    try {
      commands = hookParseShell(text, command.depth + 1);
    } catch (error) {
      hookRefuse(`cannot parse the script ${word.text} (${hookErrorText(error)}), so it is not run`);
    }
    return hookCheckCommands(commands, { ...scan, dirs: [posix.dirname(paths[0]), ...(scan.dirs ?? [])] });
  }
  hookCheckCode(text, word.text, scan);
}

/** Program text in another language: refused when it could act past the guard. */
function hookCheckCode(code: string, where: string, scan: HookScan): void {
  hookSecrets(code, scan.config);
  hookRoutes(code, scan.config, where);
  if (hookJobPattern(scan.config).test(code)) hookRefuse(`${where} runs a job command the guard cannot check; run the job command itself, on its own line`);
  if (scan.config.protectedPaths.some((path) => code.includes(path)) || /\.specc|\.claude|\.git[\\/]/.test(code)) hookRefuse(`${where} names the spend ledger, the hooks, the settings or git's own files, which only specc and people change`);
  for (const [pattern, what] of HOOK_CODE_RISKS) {
    const match = pattern.exec(code);
    if (match) hookRefuse(`${where} can ${what} (\`${match[0].trim()}\`), which the guard cannot follow; submit billable work with the job command itself, or ask a human to run this code`);
  }
}
