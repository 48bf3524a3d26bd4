/**
 * The spend guard: a PreToolUse hook on Bash that checks every billable job command before it runs.
 * It is a standalone Node script: the runtime core (cost estimate, ledger, approval classes) is
 * inlined, the pipeline's numbers are one JSON literal, and the guard program below is fixed code.
 * No spec prose reaches it. Every failure blocks (exit 2): exit 1 would let the command run.
 */
import { sortKeys } from "../../compiler/json.js";
import type { EmitContext, OutputFile } from "../target.js";
import { jsLineComment, provenanceText } from "./markdown.js";

/** Where the guard keeps its spend ledger, relative to the project directory. */
export const LEDGER_PATH = ".specc/spend.json";

/** The environment variable that overrides the compiled cost cap (USD). */
export const COST_CAP_ENV = "SPECC_COST_CAP_USD";

/** Core functions the guard calls; the inlined runtime must declare every one. */
export const GUARD_CORE_NAMES = ["approvalClass", "createLedger", "estimateJobCost", "HARDWARE_PRICES_USD_PER_HOUR", "ledgerCommitted", "parseDuration", "reserve"];

/** The numbers and words the guard needs, embedded as a JSON literal. */
export interface GuardConfig {
  costCapUsd: number;
  capEnv: string;
  ledgerPath: string;
  submit: string[];
  scheduled: string[];
  flavorFlag: string;
  timeoutFlag: string;
  defaultFlavor: string;
}

/**
 * Whether the target emits the spend guard: only for a profile with billable job commands and a
 * pipeline with a cost cap. A spec that spends nothing gets no hook.
 */
export function needsSpendHook(ctx: EmitContext): boolean {
  return ctx.profile.jobs !== undefined && ctx.pipeline.contract.costCapUsd !== null;
}

/** Where the hook goes; the name is checked kebab-case. */
export function hookPath(name: string): string {
  if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(name)) throw new Error(`pipeline name \`${name}\` is not kebab-case`);
  return `.claude/hooks/${name}-spend-guard.mjs`;
}

/** The guard's configuration from the pipeline's contract and the profile's job commands. */
export function guardConfig(ctx: EmitContext): GuardConfig {
  const { jobs } = ctx.profile;
  if (!jobs || ctx.pipeline.contract.costCapUsd === null) throw new Error("the spend guard needs the profile's job commands and a cost cap");
  const config: GuardConfig = {
    costCapUsd: ctx.pipeline.contract.costCapUsd,
    capEnv: COST_CAP_ENV,
    ledgerPath: LEDGER_PATH,
    submit: [...jobs.submit],
    scheduled: [...jobs.scheduled],
    flavorFlag: jobs.flavorFlag,
    timeoutFlag: jobs.timeoutFlag,
    defaultFlavor: jobs.defaultFlavor,
  };
  assertGuardConfig(config);
  return config;
}

function assertGuardConfig(config: GuardConfig): void {
  if (!Number.isFinite(config.costCapUsd) || config.costCapUsd < 0) throw new Error(`cost cap ${config.costCapUsd} is not a non-negative number`);
  if (config.submit.length === 0) throw new Error("the profile names no job submit commands for the spend guard");
  const prefixes = [...config.submit, ...config.scheduled];
  if (prefixes.some((prefix) => prefix.trim().split(/\s+/).some((word) => !/^[A-Za-z0-9._-]+$/.test(word)))) {
    throw new Error(`job command prefixes must be plain words: ${JSON.stringify(prefixes)}`);
  }
  if (![config.flavorFlag, config.timeoutFlag].every((flag) => /^--?[A-Za-z0-9-]+$/.test(flag))) throw new Error("job flags must look like `--flag`");
}

/** The hook file (executable). Throws when the inlined runtime is not plain declarations. */
export function hookFile(ctx: EmitContext): OutputFile {
  const core = ctx.inlineRuntime(["core"]).replace(/\r\n?/g, "\n").trimEnd();
  if (/^\s*(import|export)\s/m.test(core)) throw new Error("the inlined runtime still has import or export statements");
  const missing = GUARD_CORE_NAMES.filter((name) => !new RegExp(`\\b(function|const)\\s+${name}\\b`).test(core));
  if (missing.length > 0) throw new Error(`the inlined runtime lacks ${missing.join(", ")}`);
  const lines = [
    "#!/usr/bin/env node",
    jsLineComment(provenanceText(ctx.provenance)),
    "// PreToolUse guard for Bash: blocks scheduled jobs and job submissions without a timeout, with an",
    "// unknown price, or over the cost cap; reserves each allowed job's worst-case cost in the ledger.",
    'import { closeSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from "node:fs";',
    'import { dirname, join } from "node:path";',
    'import process from "node:process";',
    "",
    `const GUARD = ${JSON.stringify(sortKeys(guardConfig(ctx)))};`,
    "",
    "// The runtime core, inlined in its own scope so its names cannot clash with the guard's.",
    "const CORE = (() => {",
    core,
    `return { ${GUARD_CORE_NAMES.join(", ")} };`,
    "})();",
    "",
    GUARD_PROGRAM.trim(),
  ];
  return { path: hookPath(ctx.pipeline.name), content: `${lines.join("\n")}\n`, executable: true };
}

// The fixed guard program. It is plain JavaScript in a raw string: no interpolation, no spec text.
const GUARD_PROGRAM = String.raw`
const SHELLS = ["bash", "sh", "zsh", "dash", "ksh"];
const WRAPPERS = ["sudo", "env", "command", "exec", "nohup", "time", "nice", "builtin", "xargs", "stdbuf", "then", "do", "else", "elif", "if", "while", "until", "{", "!"];
const MAX_DEPTH = 8;

/** A refusal the agent sees as the reason (stderr, exit 2). */
function guardBlock(message) {
  const error = new Error(message);
  error.guardBlock = true;
  throw error;
}

/** Split a shell command line into commands (lists of words) without running a shell. */
function guardCommands(text, depth) {
  if (depth > MAX_DEPTH) throw new Error("the command nests too deeply to check");
  const state = { commands: [], words: [], word: "", inWord: false, quote: "", heredocs: [] };
  for (let i = 0; i < text.length; i++) i = guardStep(text, i, state, depth);
  if (state.quote !== "") throw new Error("unterminated quote");
  if (state.heredocs.length > 0) throw new Error("unterminated here-document");
  guardEndCommand(state);
  return state.commands;
}

function guardEndWord(state) {
  if (state.inWord) state.words.push(state.word);
  state.word = "";
  state.inWord = false;
}

function guardEndCommand(state) {
  guardEndWord(state);
  if (state.words.length > 0) state.commands.push(state.words);
  state.words = [];
}

function guardAppend(state, text) {
  state.word += text;
  state.inWord = true;
}

/** Consume one character (or construct) at i; returns the index of its last character. */
function guardStep(text, i, state, depth) {
  const c = text[i];
  if (state.quote === "'") {
    if (c === "'") state.quote = "";
    else state.word += c;
    return i;
  }
  if (c === "\\") return guardEscape(text, i, state);
  if (c === "$" && text[i + 1] === "(") return guardSubstitution(text, i, i + 2, guardClose(text, i + 2), state, depth);
  if (c === "\x60") return guardSubstitution(text, i, i + 1, guardBacktick(text, i + 1), state, depth);
  if (state.quote === '"') {
    if (c === '"') state.quote = "";
    else state.word += c;
    return i;
  }
  if (c === "'" || c === '"') {
    state.quote = c;
    state.inWord = true;
    return i;
  }
  if (c === "#" && !state.inWord) {
    const end = text.indexOf("\n", i);
    return end < 0 ? text.length - 1 : end - 1;
  }
  if (c === " " || c === "\t") {
    guardEndWord(state);
    return i;
  }
  if (c === "<" && text[i + 1] === "<" && text[i + 2] !== "<") return guardHeredocStart(text, i, state);
  if (c === "\n") return guardNewline(text, i, state, depth);
  if (c === "&" && (/[<>]$/.test(state.word) || text[i + 1] === ">")) {
    guardAppend(state, c);
    return i;
  }
  if (";&|()".includes(c)) {
    guardEndCommand(state);
    return i;
  }
  guardAppend(state, c);
  return i;
}

function guardEscape(text, i, state) {
  const next = text[i + 1];
  if (next === undefined) return i;
  if (next === "\n") return i + 1;
  if (state.quote === '"' && !"$\x60\"\\".includes(next)) guardAppend(state, "\\" + next);
  else guardAppend(state, next);
  return i + 1;
}

/** $(...) or a backtick substitution runs its text: check it as a nested command line. */
function guardSubstitution(text, start, innerStart, end, state, depth) {
  state.commands.push(...guardCommands(text.slice(innerStart, end), depth + 1));
  guardAppend(state, text.slice(start, end + 1));
  return end;
}

function guardClose(text, start) {
  let level = 1;
  let quote = "";
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (quote !== "") {
      if (c === "\\" && quote === '"') i++;
      else if (c === quote) quote = "";
    } else if (c === "\\") i++;
    else if (c === "'" || c === '"') quote = c;
    else if (c === "(") level++;
    else if (c === ")" && --level === 0) return i;
  }
  throw new Error("unclosed command substitution");
}

function guardBacktick(text, start) {
  for (let i = start; i < text.length; i++) {
    if (text[i] === "\\") i++;
    else if (text[i] === "\x60") return i;
  }
  throw new Error("unclosed backtick substitution");
}

/** <<WORD, <<-WORD, <<'WORD': the body starts after the next newline. */
function guardHeredocStart(text, i, state) {
  let j = i + 2;
  const strip = text[j] === "-";
  if (strip) j++;
  while (text[j] === " " || text[j] === "\t") j++;
  const match = /^(?:'([^'\n]*)'|"([^"\n]*)"|([^\s;&|<>()]+))/.exec(text.slice(j));
  if (!match) throw new Error("here-document without a delimiter");
  const delimiter = match[1] ?? match[2] ?? match[3].replace(/\\/g, "");
  state.heredocs.push({ delimiter, strip, quoted: match[3] === undefined || match[3].includes("\\") });
  guardAppend(state, text.slice(i, j + match[0].length));
  return j + match[0].length - 1;
}

/** A newline ends the command; pending here-document bodies follow it. */
function guardNewline(text, i, state, depth) {
  const shell = state.words.length > 0 && SHELLS.includes(guardBase(guardUnwrap(state.words.concat(state.inWord ? [state.word] : []))[0] || ""));
  let position = i + 1;
  for (const heredoc of state.heredocs) {
    const lines = [];
    for (;;) {
      if (position >= text.length) throw new Error("unterminated here-document");
      const end = text.indexOf("\n", position);
      const line = text.slice(position, end < 0 ? text.length : end);
      position = end < 0 ? text.length : end + 1;
      if ((heredoc.strip ? line.replace(/^\t+/, "") : line) === heredoc.delimiter) break;
      lines.push(line);
    }
    const body = lines.join("\n");
    if (shell) state.commands.push(...guardCommands(body, depth + 1));
    else if (!heredoc.quoted) guardExpansions(body, state, depth);
  }
  state.heredocs = [];
  guardEndCommand(state);
  return position - 1;
}

/** Substitutions inside an unquoted here-document body still run. */
function guardExpansions(body, state, depth) {
  for (let i = 0; i < body.length; i++) {
    if (body[i] === "\\") i++;
    else if (body[i] === "$" && body[i + 1] === "(") {
      const end = guardClose(body, i + 2);
      state.commands.push(...guardCommands(body.slice(i + 2, end), depth + 1));
      i = end;
    } else if (body[i] === "\x60") {
      const end = guardBacktick(body, i + 1);
      state.commands.push(...guardCommands(body.slice(i + 1, end), depth + 1));
      i = end;
    }
  }
}

function guardBase(word) {
  return word.slice(word.lastIndexOf("/") + 1);
}

/** Drop variable assignments and wrappers (sudo, env, nohup, timeout 10, ...) before the real command. */
function guardUnwrap(words) {
  let i = 0;
  while (i < words.length) {
    const base = guardBase(words[i]);
    if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(words[i])) i++;
    else if (WRAPPERS.includes(base)) {
      i++;
      while (i < words.length && words[i].startsWith("-")) i++;
    } else if (base === "timeout") {
      i++;
      while (i < words.length && words[i].startsWith("-")) i++;
      i++;
    } else break;
  }
  return words.slice(i);
}

function guardWords(prefix) {
  return prefix.trim().split(/\s+/);
}

/** Whether words start with the prefix, or only contain its words in order (a form not checked). */
function guardMatch(words, prefix) {
  const wanted = guardWords(prefix);
  if (words.length === 0 || guardBase(words[0]) !== wanted[0]) return null;
  if (wanted.every((word, index) => index === 0 || words[index] === word)) return { exact: true, args: words.slice(wanted.length) };
  let at = 1;
  for (const word of words.slice(1)) if (at < wanted.length && word === wanted[at]) at++;
  return at === wanted.length ? { exact: false, args: [] } : null;
}

/** Every command a Bash call would run, nested shells and eval included. */
function guardExpand(command, depth) {
  const found = [];
  for (const raw of guardCommands(command, depth)) {
    const words = guardUnwrap(raw);
    if (words.length === 0) continue;
    const base = guardBase(words[0]);
    if (base === "eval") {
      found.push(...guardExpand(words.slice(1).join(" "), depth + 1));
      continue;
    }
    const flag = SHELLS.includes(base) ? words.findIndex((word, index) => index > 0 && /^-[A-Za-z]*c[A-Za-z]*$/.test(word)) : -1;
    if (flag > 0 && flag + 1 < words.length) found.push(...guardExpand(words[flag + 1], depth + 1));
    found.push(words);
  }
  return found;
}

/** The single value of a flag (--flag value or --flag=value) before a bare "--"; null when absent. */
function guardFlag(args, flag) {
  const values = [];
  for (let i = 0; i < args.length && args[i] !== "--"; i++) {
    if (args[i] === flag) {
      if (i + 1 >= args.length) guardBlock(flag + " has no value");
      values.push(args[++i]);
    } else if (args[i].startsWith(flag + "=")) values.push(args[i].slice(flag.length + 1));
  }
  if (new Set(values).size > 1) guardBlock(flag + " is given more than once with different values (" + values.join(", ") + "); pass it once");
  return values.length > 0 ? values[0] : null;
}

/** Price one job submission; every gap blocks. */
function guardJob(args) {
  const timeout = guardFlag(args, GUARD.timeoutFlag);
  if (timeout === null) {
    guardBlock("job without " + GUARD.timeoutFlag + ": the platform's 30-minute default kills training; pass " + GUARD.timeoutFlag + " sized to the model (for example 4h)");
  }
  const flavor = guardFlag(args, GUARD.flavorFlag) ?? GUARD.defaultFlavor;
  const hours = CORE.parseDuration(timeout);
  if (hours === null || !(hours > 0)) guardBlock("cannot read " + GUARD.timeoutFlag + " " + JSON.stringify(timeout) + ": use seconds or 30m, 2h, 1d");
  const estimateUsd = CORE.estimateJobCost({ flavor, timeoutHours: hours });
  if (estimateUsd === null) guardBlock("no known price for flavor " + JSON.stringify(flavor) + ": cannot cost the job, so it is blocked; use a listed flavor or ask a human");
  return { flavor, hours, estimateUsd, price: CORE.HARDWARE_PRICES_USD_PER_HOUR[flavor] };
}

/** Find the jobs a Bash command would submit; block scheduled jobs and forms the guard cannot read. */
function guardJobs(command) {
  const jobs = [];
  for (const words of guardExpand(command, 0)) {
    const matches = GUARD.scheduled
      .map((prefix) => ({ prefix, scheduled: true, match: guardMatch(words, prefix) }))
      .concat(GUARD.submit.map((prefix) => ({ prefix, scheduled: false, match: guardMatch(words, prefix) })))
      .filter((entry) => entry.match !== null);
    if (matches.length === 0) continue;
    // The longest exact prefix wins, so "hf jobs run IMAGE uv run x" is a plain run.
    const exact = matches.filter((entry) => entry.match.exact).sort((a, b) => guardWords(b.prefix).length - guardWords(a.prefix).length);
    const chosen = exact.length > 0 ? exact[0] : matches[0];
    if (chosen.scheduled && CORE.approvalClass({ kind: "scheduled-job" }) !== "auto") {
      guardBlock("scheduled or recurring jobs always need a human: run it yourself (" + chosen.prefix + ")");
    }
    if (!chosen.match.exact) guardBlock("cannot check this form of " + chosen.prefix + ": put " + chosen.prefix + " first, with its flags after it");
    if (CORE.approvalClass({ kind: "job" }) !== "auto") jobs.push(guardJob(chosen.match.args));
  }
  return jobs;
}

/** A command that does not parse is only blocked when it mentions a job command. */
function guardMentionsJob(command) {
  return GUARD.submit.concat(GUARD.scheduled).some((prefix) => {
    const words = guardWords(prefix).map((word) => word.replace(/[.]/g, "\\."));
    return new RegExp("(^|[^A-Za-z0-9._-])" + words.join("\\s+") + "($|[^A-Za-z0-9._-])").test(command);
  });
}

function guardCap() {
  const text = process.env[GUARD.capEnv];
  if (text === undefined || text.trim() === "") return GUARD.costCapUsd;
  const cap = Number(text);
  if (!Number.isFinite(cap) || cap < 0) guardBlock(GUARD.capEnv + "=" + JSON.stringify(text) + " is not a dollar amount");
  return cap;
}

function guardSleep(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Run fn holding an exclusive lock file next to the ledger, so parallel hooks cannot both spend. */
function guardLocked(ledgerFile, fn) {
  const lock = ledgerFile + ".lock";
  mkdirSync(dirname(ledgerFile), { recursive: true });
  for (let attempt = 0; ; attempt++) {
    try {
      closeSync(openSync(lock, "wx"));
      break;
    } catch (error) {
      if (error.code !== "EEXIST") throw error;
      let stale = false;
      try {
        stale = Date.now() - statSync(lock).mtimeMs > 60000;
      } catch {}
      if (stale) {
        try {
          unlinkSync(lock);
        } catch {}
      } else if (attempt >= 100) guardBlock("the spend ledger is locked by another check: retry, or remove " + lock + " if no check is running");
      else guardSleep(50);
    }
  }
  try {
    return fn();
  } finally {
    unlinkSync(lock);
  }
}

function guardReadLedger(ledgerFile, cap) {
  let text;
  try {
    text = readFileSync(ledgerFile, "utf8");
  } catch (error) {
    if (error.code === "ENOENT") return CORE.createLedger(cap);
    throw error;
  }
  const data = JSON.parse(text);
  const record = (value) => value !== null && typeof value === "object" && !Array.isArray(value) && Object.values(value).every((usd) => typeof usd === "number");
  if (!data || !record(data.reserved) || !record(data.settled)) guardBlock("the spend ledger " + GUARD.ledgerPath + " is malformed: fix it or ask a human");
  return { capUsd: CORE.createLedger(cap).capUsd, reserved: data.reserved, settled: data.settled };
}

function guardWriteLedger(ledgerFile, ledger) {
  const temporary = ledgerFile + "." + process.pid + ".tmp";
  writeFileSync(temporary, JSON.stringify(ledger, null, 2) + "\n");
  renameSync(temporary, ledgerFile);
}

function guardKey(ledger) {
  let index = Object.keys(ledger.reserved).length + Object.keys(ledger.settled).length + 1;
  while (Object.hasOwn(ledger.reserved, "job-" + index) || Object.hasOwn(ledger.settled, "job-" + index)) index++;
  return "job-" + index;
}

function guardMoney(usd) {
  return "$" + (Math.round(usd * 100) / 100).toFixed(2);
}

/** Reserve every job's worst case under the cap, all or nothing. */
function guardReserve(jobs) {
  const ledgerFile = join(process.env.CLAUDE_PROJECT_DIR || process.cwd(), GUARD.ledgerPath);
  const cap = guardCap();
  guardLocked(ledgerFile, () => {
    let ledger = guardReadLedger(ledgerFile, cap);
    for (const job of jobs) {
      const result = CORE.reserve(ledger, { key: guardKey(ledger), estimateUsd: job.estimateUsd });
      if (!result.ok) {
        guardBlock(
          "job on " + job.flavor + " for " + job.hours + "h could cost " + guardMoney(job.estimateUsd) + " (" + guardMoney(job.price) + "/h) but " +
            guardMoney(CORE.ledgerCommitted(ledger)) + " of the " + guardMoney(ledger.capUsd) + " cap is committed (" + result.reason +
            "); ask a human, use a smaller flavor or timeout, or raise " + GUARD.capEnv,
        );
      }
      ledger = result.ledger;
    }
    guardWriteLedger(ledgerFile, ledger);
  });
}

function guardMain() {
  const input = JSON.parse(readFileSync(0, "utf8"));
  if (!input || input.tool_name !== "Bash") return;
  const command = input.tool_input && input.tool_input.command;
  if (typeof command !== "string") throw new Error("the Bash call has no command");
  let jobs;
  try {
    jobs = guardJobs(command);
  } catch (error) {
    if (error && error.guardBlock) throw error;
    if (guardMentionsJob(command)) guardBlock("cannot parse a command that mentions a job submission (" + error.message + "); run the job command on its own");
    return;
  }
  if (jobs.length > 0) guardReserve(jobs);
}

try {
  guardMain();
  process.exitCode = 0;
} catch (error) {
  const message = String(error && error.message ? error.message : error).replace(/\s+/g, " ");
  process.stderr.write((error && error.guardBlock ? "specc spend guard: blocked: " : "specc spend guard: failed closed: ") + message + "\n");
  process.exitCode = 2;
}
`;
