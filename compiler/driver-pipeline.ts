// The realized pipeline as the runtime driver reads it (its `DriverPipeline`), shared by every
// target and by `specc run`: rule texts named once by id, schemas named once by key, and per step
// only what the driver executes. Targets add their own routing (models) and printing.
import { sortKeys } from "./json.js";
import type { AgentSpec, JsonSchema, Pipeline, Step } from "./pipeline.js";
import { stepSlots } from "../runtime/workflow/schemas.js";
import type { DriverPipeline } from "../runtime/workflow/types.js";

/** The driver's view of a pipeline, as plain data (schemas may be keys into a table). */
export type DriverPipelineData = {
  name: string;
  params: Pipeline["params"];
  contract: { costCapUsd: number | null; maxIterations: number; maxRetries: number; repetition: Pipeline["contract"]["repetition"] };
  protectedKeys: Pipeline["protectedKeys"];
  scopeStripPrefixes: Pipeline["scopeStripPrefixes"];
  taskClasses: Pipeline["taskClasses"];
  steps: { id: string; index: number; title: string; kind: string; config: Step["config"]; agents: { name: string; role: string; schema: JsonSchema | string; rules?: string[]; route?: { [option: string]: string } }[] }[];
};

/**
 * Separate rule texts from the other instructions. The realization writes a rule's text as an
 * instruction starting with its id (`R7: …`); rule ids without such an instruction are still listed.
 */
export function splitInstructions(agent: AgentSpec): { rules: string[]; tasks: string[] } {
  const rules: string[] = [];
  const tasks: string[] = [];
  const matched = new Set<string>();
  const ids = new Set(agent.rules);
  for (const instruction of agent.instructions) {
    const id = leadingRuleId(instruction, ids);
    if (id === undefined) tasks.push(instruction);
    else {
      rules.push(instruction);
      matched.add(id);
    }
  }
  for (const id of agent.rules) if (!matched.has(id)) rules.push(`${id} (see the spec for its text)`);
  return { rules, tasks };
}

/**
 * The rule id an instruction starts with, if it is one of `ids`: its leading token, looked up
 * once, so splitting is linear in instructions rather than instructions × rules.
 */
export function leadingRuleId(text: string, ids: Set<string>): string | undefined {
  const lead = /^\s*([^\s(:,;]+)/.exec(text)?.[1] ?? "";
  return [lead, lead.replace(/[.:]+$/, "")].find((candidate) => ids.has(candidate) && startsWithId(text, candidate));
}

function startsWithId(text: string, id: string): boolean {
  const trimmed = text.trimStart();
  return id !== "" && trimmed.startsWith(id) && !/^[A-Za-z0-9_]/.test(trimmed.slice(id.length));
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
    const slots = stepSlots(step);
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
 * What the runtime driver reads of the pipeline. Agent instructions and the trace live elsewhere
 * (the target's agent files, the manifest), so a script carries only what it executes; with
 * `schemaKeys`, schemas are referenced by their key in the script's `SCHEMAS` (rules always by id).
 */
export function driverPipeline(pipeline: Pipeline, options: { schemaKeys?: Map<AgentSpec, string>; route?: (step: Step, agent: AgentSpec) => { [option: string]: string } | null } = {}): DriverPipelineData {
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
        schema: options.schemaKeys?.get(agent) ?? agent.schema,
        rules: agent.rules.length > 0 ? agent.rules : undefined,
        route: options.route?.(step, agent) ?? undefined,
      })),
    })),
  };
}

/** The pipeline as the runtime driver takes it, schemas and rule texts inline (`specc run`, the node target's tests). */
export function runnablePipeline(pipeline: Pipeline): DriverPipeline {
  return { ...(driverPipeline(pipeline) as unknown as DriverPipeline), rules: pipelineRules(pipeline) };
}
