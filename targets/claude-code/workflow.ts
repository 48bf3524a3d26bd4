import { sortKeys, stableJson } from "../../compiler/json.js";
import type { AgentSpec, JsonSchema, Pipeline, Step } from "../../compiler/pipeline.js";
import { stepSlots } from "../../runtime/workflow/index.js";
import { leadingRuleId, splitInstructions } from "./agents.js";
import { jsLineComment } from "./markdown.js";

/** The lines that fence the inlined runtime in a workflow script. */
export const RUNTIME_START = "// ---- specc runtime: inlined from runtime/ (one source, see package specc/runtime) ----";
export const RUNTIME_END = "// ---- end of specc runtime ----";

/** The runtime functions the script's own code calls: everything else is kept only if they reach it. */
export const WORKFLOW_ROOTS = ["startRun", "runStep", "finishRun", "pipelineWithSchemas"] as const;

export interface WorkflowInput {
  pipeline: Pipeline;
  provenance: { source: string; sha256: string; specc: string };
  /** Plain JavaScript of the runtime (core + workflow driver). */
  runtime: string;
}

/** A JavaScript string literal: spec text stays data (JSON escapes quotes, newlines, controls). */
export function literal(text: string): string {
  return JSON.stringify(text);
}

/** The `agent()` model and effort per slot (claude-code-formats §1.4): pollers and finders run on a cheaper model. */
export const SLOT_ROUTES: { [slot: string]: { model: string; effort?: string } } = {
  monitor: { model: "haiku", effort: "low" },
  finder: { model: "haiku" },
};

/** The slot each agent of a step fills (the runtime's `stepSlots`, the inverse of what the driver reads). */
export function agentSlots(step: Step): string[] {
  return stepSlots(step);
}

/** The model and effort an agent is routed to, or null when it inherits the session's. */
export function agentRoute(step: Step, agent: AgentSpec): { model: string; effort?: string } | null {
  const slot = agentSlots(step)[step.agents.indexOf(agent)] ?? agent.role;
  return Object.hasOwn(SLOT_ROUTES, slot) ? SLOT_ROUTES[slot] : null;
}

/**
 * Rule id → rule text, once for the whole pipeline. The realization writes a rule's text as an
 * instruction starting with its id; the first such text of each id is the rule's.
 */
export function pipelineRules(pipeline: Pipeline): { [id: string]: string } {
  const rules: { [id: string]: string } = Object.create(null) as { [id: string]: string };
  for (const agent of pipeline.steps.flatMap((step) => step.agents)) {
    const ids = new Set(agent.rules);
    for (const text of splitInstructions(agent).rules) {
      const id = leadingRuleId(text, ids);
      if (id !== undefined && !Object.hasOwn(rules, id)) rules[id] = text;
    }
  }
  return rules;
}

/**
 * Every agent's schema under one key (`kind/slot`, with the step id added when two steps of a kind
 * differ), so each schema is written once in the script and agents name it.
 */
export function pipelineSchemas(pipeline: Pipeline): { schemas: { [key: string]: JsonSchema }; keys: Map<AgentSpec, string> } {
  const schemas: { [key: string]: JsonSchema } = Object.create(null) as { [key: string]: JsonSchema };
  const keys = new Map<AgentSpec, string>();
  for (const step of pipeline.steps) {
    const slots = agentSlots(step);
    step.agents.forEach((agent, index) => {
      const text = JSON.stringify(sortKeys(agent.schema));
      const candidates = [`${step.kind}/${slots[index]}`, `${step.kind}/${slots[index]}/${step.id}`, `${step.kind}/${slots[index]}/${step.id}/${index}`];
      const key = candidates.find((candidate) => !Object.hasOwn(schemas, candidate) || JSON.stringify(sortKeys(schemas[candidate])) === text) ?? `${agent.name}`;
      if (!Object.hasOwn(schemas, key)) schemas[key] = agent.schema;
      keys.set(agent, key);
    });
  }
  return { schemas, keys };
}

/**
 * What the runtime driver reads of the pipeline. Agent instructions live in the subagent files and
 * the trace in the manifest, so the script carries only what it executes; schemas are referenced
 * by their key in `SCHEMAS`, rules by their id in `RULES`.
 */
export function scriptPipeline(pipeline: Pipeline, schemaKeys?: Map<AgentSpec, string>): object {
  return {
    name: pipeline.name,
    params: pipeline.params,
    // Only the numbers the driver enforces; the rest of the contract is in the manifest.
    contract: { costCapUsd: pipeline.contract.costCapUsd, maxIterations: pipeline.contract.maxIterations, maxRetries: pipeline.contract.maxRetries, repetition: pipeline.contract.repetition },
    protectedKeys: pipeline.protectedKeys,
    scopeStripPrefixes: pipeline.scopeStripPrefixes,
    taskClasses: pipeline.taskClasses,
    steps: pipeline.steps.map((step) => ({
      id: step.id,
      index: step.index,
      title: step.title,
      kind: step.kind,
      config: step.config,
      agents: step.agents.map((agent) => ({
        name: agent.name,
        role: agent.role,
        schema: schemaKeys?.get(agent) ?? agent.schema,
        rules: agent.rules.length > 0 ? agent.rules : undefined,
        route: agentRoute(step, agent) ?? undefined,
      })),
    })),
  };
}

/** A table printed one entry a line, so a change to one entry is a one-line diff. */
function tableLiteral(name: string, table: { [key: string]: unknown }): string {
  const keys = Object.keys(table).sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
  if (keys.length === 0) return `const ${name} = {};`;
  return [`const ${name} = {`, ...keys.map((key) => `  ${literal(key)}: ${JSON.stringify(sortKeys(table[key]))},`), "};"].join("\n");
}

/** `meta` as a pure literal: no variables, calls, spreads or template interpolation. */
function metaLiteral(pipeline: Pipeline): string {
  const phases = pipeline.steps
    .map((step) => `    { title: ${literal(step.title)}, detail: ${literal(`${step.kind} step, ${step.trace.label} (${step.trace.elements.join(", ")})`)} },`)
    .join("\n");
  const required = pipeline.params.filter((param) => param.required).map((param) => `<${param.name}>`);
  const usage = `/${pipeline.name}${required.length > 0 ? ` ${required.join(" ")}` : ""}`;
  return [
    "export const meta = {",
    `  name: ${literal(pipeline.name)},`,
    `  description: ${literal(pipeline.description)},`,
    `  whenToUse: ${literal(`Run as ${usage}, or pass an object with ${pipeline.params.map((param) => param.name).join(", ") || "no parameters"}. Stops with a machine-readable stoppedReason.`)},`,
    "  phases: [",
    phases,
    "  ],",
    "};",
  ].join("\n");
}

function stepCall(step: Step): string {
  return [
    `  // Step ${step.index}: ${step.id} (${step.kind}, ${step.trace.label} from ${step.trace.elements.join(", ").replace(/[^\w ,.§-]/g, "")})`,
    `  phase(${literal(step.title)});`,
    `  run = await runStep(wf, pipeline, pipeline.steps[${step.index}], run);`,
    "  if (run.stop) return finishRun(pipeline, run);",
  ].join("\n");
}

/**
 * `.claude/workflows/<name>.js`, in reading order: meta; the rules, schemas and pipeline realized
 * from the spec; the steps in order (an async function, so it runs only once the runtime below is
 * defined: the runtime's top-level consts are not hoisted); the inlined runtime; the call.
 */
export function emitWorkflow(input: WorkflowInput): { path: string; content: string } {
  const { pipeline, provenance } = input;
  const header = [
    jsLineComment(`Generated by specc ${provenance.specc} from ${provenance.source} (its sha256 is in the manifest).`),
    "// Do not edit: change the spec and recompile. Review the rules, schemas, pipeline and steps below; the runtime after them is specc's own.",
    `// Run in Claude Code as /${pipeline.name} <task>. Args: a string (the task) or an object with the params.`,
  ].join("\n");
  const { schemas, keys } = pipelineSchemas(pipeline);
  const body = [
    metaLiteral(pipeline),
    header,
    "",
    "// The spec's rules, one a line: each agent's prompt carries the text of the rules it lists. Spec text is data here, never code.",
    tableLiteral("RULES", pipelineRules(pipeline)),
    "",
    "// Structured-output schemas, each named once (kind/slot); agents name theirs.",
    tableLiteral("SCHEMAS", schemas),
    "",
    "// The pipeline realized from the spec: what the driver executes.",
    `const PIPELINE = ${stableJson(scriptPipeline(pipeline, keys)).trimEnd()};`,
    "",
    "// The steps in order.",
    "async function main(wf, input) {",
    "  const pipeline = pipelineWithSchemas({ ...PIPELINE, rules: RULES }, SCHEMAS);",
    "  let run = startRun(pipeline, input);",
    "  if (run.stop) return finishRun(pipeline, run);",
    "",
    pipeline.steps.map(stepCall).join("\n\n"),
    "",
    "  return finishRun(pipeline, run);",
    "}",
    "",
    RUNTIME_START,
    input.runtime,
    RUNTIME_END,
    "",
    'return main({ agent, parallel, log, budget: typeof budget === "undefined" ? null : budget }, args);',
    "",
  ].join("\n");
  return { path: `.claude/workflows/${pipeline.name}.js`, content: body };
}
