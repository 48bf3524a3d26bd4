/**
 * Subagent files: one `.claude/agents/<name>.md` per agent of every step. The frontmatter holds
 * the agent's identity and least-privilege tools; the body is its system prompt, printed from
 * the spec's text as inert Markdown. The structured-output schema lives in the workflow script.
 */
import { leadingRuleId, splitInstructions } from "../../compiler/driver-pipeline.js";
import type { AgentSpec, Step } from "../../compiler/pipeline.js";
import type { Profile } from "../../compiler/profile.js";
import type { EmitContext, OutputFile, TargetProblem } from "../../compiler/target.js";
import { agentRoute } from "./workflow.js";
import { bullet, frontmatter, readFrontmatter, htmlComment, inlineCode, oneLine, provenanceText, splitFrontmatter, textLines, type FrontmatterValue } from "./markdown.js";

/** Tools that change files, run commands or spawn agents that could: never given to read-only agents. */
export const WRITE_TOOLS = ["Agent", "Bash", "Edit", "MultiEdit", "NotebookEdit", "Task", "Write"];

/** Turn cap for every agent that is not a finder (finders get the spec's research budget). */
export const DEFAULT_MAX_TURNS = 100;

const AGENT_NAME = /^[a-z0-9]+(-[a-z0-9]+)*$/;
// A tool name, optionally with one permission specifier; no comma, so the list splits cleanly.
const TOOL = /^[A-Za-z][A-Za-z0-9_]*(\([^(),\n]*\))?$/;
const COLORS: { [role in AgentSpec["role"]]: string } = { checker: "yellow", critic: "red", finder: "blue", synthesis: "purple", worker: "green" };

/** Where an agent's file goes. */
export function agentPath(name: string): string {
  return `.claude/agents/${name}.md`;
}

/** Every agent file, in step order. Throws on a realization bug (bad name, duplicate, unsafe tools). */
export function agentFiles(ctx: EmitContext): OutputFile[] {
  const names = new Set<string>();
  return ctx.pipeline.steps.flatMap((step) =>
    step.agents.map((agent) => {
      if (names.has(agent.name)) throw new Error(`Unexpected second agent named \`${agent.name}\``);
      names.add(agent.name);
      return agentFile(ctx, step, agent);
    }),
  );
}

/** One agent's file: frontmatter first, then the provenance comment and the prompt. */
export function agentFile(ctx: EmitContext, step: Step, agent: AgentSpec): OutputFile {
  assertAgent(ctx.profile, agent);
  const fields = agentFrontmatter(ctx, step, agent);
  const body = [htmlComment(provenanceText(ctx.provenance)), "", ...agentBody(ctx, step, agent)];
  return { path: agentPath(agent.name), content: `${frontmatter(fields)}${body.join("\n")}\n` };
}

/** The tool's name without its permission specifier (`Bash(hf jobs *)` → `Bash`). */
export function toolBase(tool: string): string {
  const open = tool.indexOf("(");
  return open < 0 ? tool : tool.slice(0, open);
}

/**
 * Tools a read-only agent must never hold: the fixed write tools, plus any tool the profile gives
 * writers but not readers.
 */
export function forbiddenReadOnlyTools(profile: Profile): Set<string> {
  const read = new Set(profile.tools.read.map(toolBase));
  return new Set([...WRITE_TOOLS, ...profile.tools.write.map(toolBase).filter((tool) => !read.has(tool))]);
}

/** What is wrong with an agent the realization produced, as messages (empty when it is fine). */
export function agentProblems(profile: Profile, agent: AgentSpec): string[] {
  const problems: string[] = [];
  if (!AGENT_NAME.test(agent.name)) problems.push(`Unexpected agent name \`${agent.name}\`, expected lowercase letters, digits and hyphens`);
  if (agent.tools.length === 0) problems.push(`Unexpected agent \`${agent.name}\` without tools, expected an explicit list (none would inherit every tool)`);
  const bad = agent.tools.filter((tool) => !TOOL.test(tool));
  if (bad.length > 0) problems.push(`Unexpected malformed tools ${JSON.stringify(bad)} on agent \`${agent.name}\`, expected \`Name\` or \`Name(specifier)\``);
  const unknown = agent.skills.filter((skill) => !Object.hasOwn(profile.skills, skill));
  if (unknown.length > 0) problems.push(`Unexpected skills ${JSON.stringify(unknown)} on agent \`${agent.name}\`, expected skills of profile \`${profile.name}\``);
  if (!agent.readOnly) return problems;
  const forbidden = forbiddenReadOnlyTools(profile);
  const writes = agent.tools.filter((tool) => forbidden.has(toolBase(tool)));
  if (writes.length > 0) problems.push(`Unexpected write tools ${JSON.stringify(writes)} on read-only agent \`${agent.name}\``);
  const writeSkills = agent.skills.filter((skill) => Object.hasOwn(profile.skills, skill) && profile.skills[skill].access !== "read");
  if (writeSkills.length > 0) problems.push(`Unexpected write skills ${JSON.stringify(writeSkills)} on read-only agent \`${agent.name}\``);
  return problems;
}

/** Input checks before printing: every agent is well-formed and least-privilege, and names are unique. */
export function validateAgents(ctx: EmitContext): TargetProblem[] {
  const seen = new Set<string>();
  const problems: TargetProblem[] = [];
  for (const agent of ctx.pipeline.steps.flatMap((step) => step.agents)) {
    const path = agentPath(agent.name);
    if (seen.has(agent.name)) problems.push({ path, line: null, message: `Unexpected second agent named \`${agent.name}\`` });
    seen.add(agent.name);
    problems.push(...agentProblems(ctx.profile, agent).map((message) => ({ path, line: null, message })));
  }
  return problems;
}

/** The realization's promises; a broken one is a compiler bug, so it throws. */
function assertAgent(profile: Profile, agent: AgentSpec): void {
  const problems = agentProblems(profile, agent);
  if (problems.length > 0) throw new Error(problems.join("; "));
}

/** The turn cap: finders get the spec's research budget, everyone else the default. */
export function maxTurnsFor(ctx: EmitContext, agent: AgentSpec): number {
  return agent.role === "finder" ? ctx.pipeline.contract.researchMaxSteps : DEFAULT_MAX_TURNS;
}

/** The description's lead: these agents belong to the workflow's gates, not to ordinary sessions. */
export function workflowOnlyNote(pipelineName: string): string {
  return `Used only by the /${pipelineName} workflow; do not call directly.`;
}

function agentFrontmatter(ctx: EmitContext, step: Step, agent: AgentSpec): { [key: string]: FrontmatterValue } {
  const own = oneLine(agent.description) || oneLine(`${step.title}: ${agent.role}`);
  const description = `${workflowOnlyNote(ctx.pipeline.name)} ${own}`;
  const fields: { [key: string]: FrontmatterValue } = { name: agent.name, description, tools: agent.tools.join(", ") };
  if (agent.readOnly) fields.disallowedTools = [...forbiddenReadOnlyTools(ctx.profile)].sort().join(", ");
  if (agent.skills.length > 0) fields.skills = [...agent.skills];
  const route = agentRoute(step, agent);
  fields.model = route ? route.model : "inherit";
  if (route?.effort) fields.effort = route.effort;
  fields.maxTurns = maxTurnsFor(ctx, agent);
  fields.color = COLORS[agent.role];
  return fields;
}

function agentBody(ctx: EmitContext, step: Step, agent: AgentSpec): string[] {
  const { rules, tasks } = splitInstructions(agent);
  return [
    `# ${oneLine(step.title) || step.id}: ${agent.role}`,
    "",
    "## What you do",
    "",
    ...(tasks.length > 0 ? tasks.flatMap(bullet) : ["- Do the work of this step as the workflow describes it in your task."]),
    "",
    "## Rules you must follow",
    "",
    ...ruleLines(agent, rules),
    ...fixedRules(ctx.profile, agent).map((rule) => `- ${rule}`),
    "",
    ...answerSection(agent),
    "",
    ...traceSection(ctx, step),
  ];
}

/**
 * The spec rules by id only: their text is written once, in the workflow's `RULES`, and each task
 * the workflow gives the agent carries it, so a rule's edit changes one line of one file.
 */
function ruleLines(agent: AgentSpec, rules: string[]): string[] {
  if (agent.rules.length === 0) return rules.length > 0 ? rules.flatMap(bullet) : [];
  return [`- The spec's rules ${agent.rules.map(inlineCode).join(", ")}: the workflow gives you their text with every task.`];
}

/** Rules the profile adds to every read-only agent, and to every agent that can run commands. */
function fixedRules(profile: Profile, agent: AgentSpec): string[] {
  const rules: string[] = [];
  if (agent.readOnly) rules.push(profile.agentRules.readOnly);
  if (profile.agentRules.commands && agent.tools.some((tool) => toolBase(tool) === "Bash")) rules.push(profile.agentRules.commands);
  return rules;
}

function answerSection(agent: AgentSpec): string[] {
  const required = Array.isArray(agent.schema.required) ? agent.schema.required.filter((key): key is string => typeof key === "string") : [];
  const lines = ["## Your answer", "", "Return the structured output the workflow asks for, matching its JSON schema exactly."];
  if (required.length === 0) return lines;
  return [...lines, "It must include these fields:", "", ...required.map((key) => `- ${inlineCode(key)}`)];
}

function traceSection(ctx: EmitContext, step: Step): string[] {
  const { trace } = step;
  const where = trace.source ? ` (line ${trace.source.start.line} of ${oneLine(ctx.provenance.source)})` : "";
  const elements = trace.elements.map(oneLine).filter((id) => id !== "");
  return [
    "## Where this comes from",
    "",
    `- Step ${step.index}, ${inlineCode(step.id)} (kind ${inlineCode(step.kind)}), ${trace.label}${where}.`,
    ...bullet(`Why: ${trace.reason}`),
    `- Spec elements: ${elements.length > 0 ? textLines(elements.join(", ")).join(" ") : "none"}.`,
  ];
}

/**
 * Re-read emitted agent files: frontmatter parses and comes first, names match their paths,
 * read-only agents hold no write tools, and no body line could close the frontmatter.
 */
export function verifyAgentFiles(files: OutputFile[], ctx: EmitContext): TargetProblem[] {
  const agents = new Map(ctx.pipeline.steps.flatMap((step) => step.agents).map((agent) => [agentPath(agent.name), agent]));
  return files.filter((file) => agents.has(file.path)).flatMap((file) => validateAgentFile(file, agents.get(file.path) as AgentSpec, ctx.profile));
}

function validateAgentFile(file: OutputFile, agent: AgentSpec, profile: Profile): TargetProblem[] {
  const parts = splitFrontmatter(file.content);
  if (!parts) return [{ path: file.path, line: 1, message: "Unexpected agent file without frontmatter, expected `---` first" }];
  const problems: TargetProblem[] = [];
  const read = readFrontmatter(parts.yaml);
  if ("error" in read) return [{ path: file.path, line: read.line, message: `Unexpected frontmatter line: ${read.error}, expected what specc prints` }];
  const fields: { [key: string]: unknown } = read.fields;
  if (fields.name !== agent.name) problems.push({ path: file.path, line: 2, message: `Unexpected name ${JSON.stringify(fields.name)}, expected \`${agent.name}\`` });
  if (typeof fields.description !== "string" || fields.description === "") problems.push({ path: file.path, line: 2, message: "Unexpected empty description" });
  const tools = typeof fields.tools === "string" ? fields.tools.split(", ") : [];
  const forbidden = forbiddenReadOnlyTools(profile);
  const writes = agent.readOnly ? tools.filter((tool) => forbidden.has(toolBase(tool))) : [];
  if (writes.length > 0) problems.push({ path: file.path, line: 2, message: `Unexpected write tools ${writes.join(", ")} on a read-only agent` });
  parts.body.split("\n").forEach((line, index) => {
    if (/^(---|\.\.\.)\s*$/.test(line)) problems.push({ path: file.path, line: parts.bodyLine + index, message: "Unexpected document marker in the body" });
  });
  return problems;
}

export { leadingRuleId, splitInstructions };
