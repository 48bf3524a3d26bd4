import type { Capability, Phase, SpecIR } from "../ir.js";
import type { AgentSpec, StepKind } from "../pipeline.js";
import type { Profile } from "../profile.js";
import { agentSchemaFor } from "../../runtime/workflow/index.js";
import { knownSkills } from "./features.js";
import { capabilityInstruction, phaseInstructions, principleInstructions, ruleInstructions, rulesFor } from "./instructions.js";
import { slug } from "../slug.js";

export interface AgentContext {
  ir: SpecIR;
  profile: Profile;
  /** Pipeline name, the agent-name prefix. */
  prefix: string;
  stepId: string;
  stepTitle: string;
  kind: StepKind;
  phase: Phase | null;
  capabilities: Capability[];
  /** Extra phases folded into this step (monitoring into the job). */
  merged: Phase[];
  /** An agent step with its own critic. */
  critic?: boolean;
}

type Role = AgentSpec["role"];


function agent(context: AgentContext, options: { suffix: string; role: Role; purpose: string; description: string; instructions: string[]; capabilities: Capability[]; schemaRole: string }): AgentSpec {
  const readOnly = options.role !== "worker";
  const refs = [...(context.phase?.refs ?? []), ...context.merged.flatMap((phase) => phase.refs)];
  const rules = rulesFor(refs, context.ir);
  return {
    name: [context.prefix, context.stepId, options.suffix].filter(Boolean).join("-"),
    role: options.role,
    description: options.description,
    instructions: [options.purpose, ...options.instructions, ...principleInstructions(refs, context.ir)],
    rules: rules.map((rule) => rule.id),
    capabilities: options.capabilities.map((capability) => capability.id),
    // Read-only agents get only read skills: least privilege holds for knowledge as for tools.
    skills: knownSkills(options.capabilities, context.profile).filter((skill) => !readOnly || context.profile.skills[skill].access === "read"),
    tools: readOnly ? [...context.profile.tools.read] : [...context.profile.tools.write],
    readOnly,
    schema: agentSchemaFor(context.kind, options.schemaRole),
  };
}

function stepText(context: AgentContext): string[] {
  return [...(context.phase ? phaseInstructions(context.phase) : []), ...context.merged.flatMap(phaseInstructions)];
}

/** The rules of the step as instructions (added to every agent of the step). */
export function stepRules(context: AgentContext): string[] {
  const refs = [...(context.phase?.refs ?? []), ...context.merged.flatMap((phase) => phase.refs)];
  return ruleInstructions(rulesFor(refs, context.ir));
}

const PURPOSE: Record<string, string> = {
  intake: "Take the task in: classify it, restate it, record the user's baseline exactly as given (method, model, dataset, sequence length) and plan the run.",
  agent: "Carry out this step of the workflow and report what you did, with evidence.",
  critic: "Review the previous step's output adversarially: check every claim against evidence you can verify yourself, and fail it if anything is unsupported.",
  smoke: "Run the code on CPU with a tiny configuration and report whether it passed, with the command and the tail of the log.",
  preflight: "Submit a tiny GPU job with the same imports, model path and entry point as the full run, within the given hardware and timeout, and report its result.",
  checklist: "Fill in the readiness checklist: every item needs concrete evidence; describe the job exactly as it will be submitted.",
  job: "Submit the one full job exactly as planned, with the sized timeout, monitoring and persistence, and report its id.",
  completion: "Check every completion criterion against the evidence produced by the run; a criterion without evidence is not met.",
  loop: "Propose and run one bounded improvement over the current best result, then report whether it improved and whether another iteration is worth its cost.",
};

/** The agents of a step, by kind, with roles in the order the runtime driver expects. */
export function agentsFor(context: AgentContext): AgentSpec[] {
  const text = stepText(context);
  const rules = stepRules(context);
  const caps = context.capabilities;
  const title = context.stepTitle;
  const base = { capabilities: caps, instructions: [...text, ...rules] };
  switch (context.kind) {
    case "fanout":
      return [
        ...caps.map((capability) =>
          agent(context, {
            ...base,
            suffix: slug(capability.title),
            role: "finder",
            purpose: `Find evidence for this step using one capability only, and report findings with links. ${capabilityInstruction(capability)}`,
            description: `${title}: finder for ${capability.title}`,
            capabilities: [capability],
            schemaRole: "finder",
          }),
        ),
        agent(context, { ...base, suffix: "synthesis", role: "synthesis", purpose: "Synthesize the finders' findings into one recipe, every value with its source.", description: `${title}: synthesis of the findings`, schemaRole: "synthesis" }),
      ];
    case "resources":
      return caps.map((capability) =>
        agent(context, {
          ...base,
          suffix: slug(capability.title),
          role: "checker",
          purpose: `Check that every resource this capability concerns exists and report its facts; never substitute another. ${capabilityInstruction(capability)}`,
          description: `${title}: check with ${capability.title}`,
          capabilities: [capability],
          schemaRole: "checker",
        }),
      );
    case "critic":
    case "completion":
      return [agent(context, { ...base, suffix: "", role: "critic", purpose: PURPOSE[context.kind], description: `${title}: adversarial critic`, schemaRole: "critic" })];
    case "smoke":
    case "preflight":
      return [
        agent(context, { ...base, suffix: "", role: "worker", purpose: PURPOSE[context.kind], description: `${title}: run it and report`, schemaRole: "worker" }),
        agent(context, { ...base, suffix: "fixer", role: "worker", purpose: "Analyze the failure from its log, name its class and propose the one allowed minimal fix; never change the method, model, dataset or sequence length.", description: `${title}: failure analysis and minimal fix`, schemaRole: "fixer" }),
      ];
    case "job":
      return [
        agent(context, { ...base, suffix: "", role: "worker", purpose: PURPOSE.job, description: `${title}: submit the job`, schemaRole: "submitter" }),
        agent(context, { ...base, suffix: "monitor", role: "worker", purpose: "Check the job's status, logs, metrics and alerts once, and report them; do not wait or poll yourself.", description: `${title}: one monitoring check`, schemaRole: "monitor" }),
        agent(context, { ...base, suffix: "fixer", role: "worker", purpose: "Analyze the failure from its log, name its class and propose the one allowed minimal fix; never change the method, model, dataset or sequence length.", description: `${title}: failure analysis and minimal fix`, schemaRole: "fixer" }),
      ];
    default: {
      const worker = agent(context, { ...base, suffix: "", role: "worker", purpose: PURPOSE[context.kind] ?? PURPOSE.agent, description: `${title}`, schemaRole: "worker" });
      if (!context.critic) return [worker];
      return [worker, agent(context, { ...base, suffix: "critic", role: "critic", purpose: PURPOSE.critic.replace("the previous step's", "this step's"), description: `${title}: its own critic`, schemaRole: "critic" })];
    }
  }
}
