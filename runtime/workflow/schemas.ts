// Structured-output schemas of the driver's agents, and which agent of a step
// plays which part (the slots of the step-kind registry). The compiler copies
// these schemas into the pipeline, so the fields the driver reads are exactly
// the fields the agents must return.
import { STEP_KINDS } from "./kinds.js";
import type { DriverAgent, DriverSchema, DriverStep, StepSlot } from "./types.js";

/** The fixer's output of the smoke, preflight and job steps (a failure class from the taxonomy). */
export const FIXER_AGENT_SCHEMA = {
  type: "object",
  additionalProperties: true,
  required: ["analysis", "failure_class", "changes", "description"],
  properties: {
    analysis: { type: "string", minLength: 1, description: "What the log shows went wrong, and why." },
    failure_class: {
      type: "string",
      enum: ["oom", "wrong-argument", "import-error", "dataset-schema", "api-misuse", "timeout", "divergence", "unknown"],
    },
    changes: { type: "object", additionalProperties: true, description: "The config or code changes of the one minimal fix." },
    description: { type: "string", description: "The fix in one or two sentences." },
  },
};

/** Output schema per step kind and agent slot (the fixer is `FIXER_AGENT_SCHEMA`). */
export const AGENT_SCHEMAS = {
  intake: {
    worker: {
      type: "object",
      additionalProperties: true,
      required: ["summary", "baseline", "plan", "needs_clarification", "question"],
      properties: {
        summary: { type: "string" },
        baseline: { type: "object", additionalProperties: true, description: "The values the user stated, by key; null where they said nothing." },
        plan: { type: "array", items: { type: "string" } },
        needs_clarification: { type: "boolean" },
        question: { type: ["string", "null"] },
        task_class: { type: ["string", "null"], description: "The task's class, one of the step's classes." },
        answer: { type: ["string", "null"], description: "The answer itself, for a task that needs no further steps." },
      },
    },
  },
  agent: {
    worker: {
      type: "object",
      additionalProperties: true,
      required: ["status", "summary", "outputs", "evidence"],
      properties: {
        status: { type: "string", enum: ["done", "blocked"] },
        summary: { type: "string" },
        outputs: { type: "object", additionalProperties: true },
        proposed_changes: { type: "object", additionalProperties: true },
        evidence: { type: "array", items: { type: "string" } },
      },
    },
  },
  fanout: {
    finder: {
      type: "object",
      additionalProperties: true,
      required: ["findings", "notes"],
      properties: {
        findings: {
          type: "array",
          items: {
            type: "object",
            additionalProperties: true,
            required: ["title", "url", "summary"],
            properties: { title: { type: "string" }, url: { type: "string" }, summary: { type: "string" } },
          },
        },
        notes: { type: "string" },
      },
    },
    synthesis: {
      type: "object",
      additionalProperties: true,
      required: ["summary", "recipe", "sources"],
      properties: {
        summary: { type: "string" },
        recipe: { type: "object", additionalProperties: true },
        sources: {
          type: "array",
          items: {
            type: "object",
            additionalProperties: true,
            required: ["title", "url"],
            properties: { title: { type: "string" }, url: { type: "string" } },
          },
        },
      },
    },
  },
  critic: {
    critic: {
      type: "object",
      additionalProperties: true,
      required: ["verdict", "issues", "summary"],
      properties: {
        verdict: { type: "string", enum: ["pass", "fail"], description: "For the reader; only hard issues send the step back." },
        issues: {
          type: "array",
          items: {
            type: "object",
            additionalProperties: true,
            required: ["severity", "text"],
            properties: {
              severity: { type: "string", enum: ["hard", "soft"], description: "hard: the output is wrong or unsupported and the step must run again; soft: a note for later steps." },
              text: { type: "string" },
            },
          },
        },
        summary: { type: "string" },
      },
    },
  },
  resources: {
    checker: {
      type: "object",
      additionalProperties: true,
      required: ["resource", "kind", "exists", "id", "url", "params_b", "notes"],
      properties: {
        resource: { type: "string" },
        kind: { type: "string", enum: ["model", "dataset", "paper", "other"] },
        exists: { type: "boolean" },
        id: { type: ["string", "null"] },
        url: { type: ["string", "null"] },
        params_b: { type: ["number", "null"], description: "Parameter count in billions, for models." },
        notes: { type: "string" },
      },
    },
  },
  smoke: {
    worker: {
      type: "object",
      additionalProperties: true,
      required: ["passed", "command", "log_tail", "summary"],
      properties: {
        passed: { type: "boolean" },
        command: { type: "string" },
        log_tail: { type: "string" },
        summary: { type: "string" },
      },
    },
  },
  check: {
    worker: {
      type: "object",
      additionalProperties: true,
      required: ["passed", "command_or_method", "evidence", "summary"],
      properties: {
        passed: { type: "boolean" },
        command_or_method: { type: "string", description: "Exactly how the check was run." },
        evidence: { type: "string", description: "What the check produced that shows the result." },
        summary: { type: "string" },
      },
    },
    fixer: {
      type: "object",
      additionalProperties: true,
      required: ["analysis", "changes", "description"],
      properties: {
        analysis: { type: "string", minLength: 1, description: "What the evidence shows went wrong, and why." },
        changes: { type: "object", additionalProperties: true, description: "The changes of the one minimal fix." },
        description: { type: "string", description: "The fix in one or two sentences." },
      },
    },
  },
  preflight: {
    worker: {
      type: "object",
      additionalProperties: true,
      required: ["job_id", "status", "log_tail", "cost_usd", "flavor", "config", "code", "command"],
      properties: {
        job_id: { type: ["string", "null"] },
        code: {
          type: "object",
          additionalProperties: true,
          required: ["kind", "value"],
          description: "The code the job ran: inline code, or the http(s) URL or repo it was fetched from.",
          properties: { kind: { type: "string", enum: ["inline", "url", "path", "repo"] }, value: { type: "string" } },
        },
        command: { type: "string", description: "The exact submit command." },
        timeout_hours: { type: ["number", "string", "null"], description: "The timeout the job was submitted with." },
        status: { type: "string", enum: ["completed", "failed"] },
        log_tail: { type: "string" },
        cost_usd: { type: ["number", "null"] },
        flavor: { type: ["string", "null"] },
        config: {
          type: "object",
          additionalProperties: true,
          required: ["per_device_train_batch_size", "gradient_accumulation_steps", "gradient_checkpointing"],
          properties: {
            per_device_train_batch_size: { type: ["integer", "null"] },
            gradient_accumulation_steps: { type: ["integer", "null"] },
            gradient_checkpointing: { type: ["boolean", "null"] },
          },
        },
      },
    },
  },
  checklist: {
    worker: {
      type: "object",
      additionalProperties: true,
      required: ["items"],
      properties: {
        items: {
          type: "array",
          items: {
            type: "object",
            additionalProperties: true,
            required: ["item", "satisfied", "evidence"],
            properties: { item: { type: "string" }, satisfied: { type: "boolean" }, evidence: { type: "string", minLength: 1 } },
          },
        },
      },
    },
  },
  readiness: {
    worker: {
      type: "object",
      additionalProperties: true,
      required: ["items", "job"],
      properties: {
        items: {
          type: "array",
          items: {
            type: "object",
            additionalProperties: true,
            required: ["item", "satisfied", "evidence"],
            properties: { item: { type: "string" }, satisfied: { type: "boolean" }, evidence: { type: "string" } },
          },
        },
        job: {
          type: "object",
          additionalProperties: true,
          required: ["code", "timeout_hours", "work", "monitoring", "persistence", "flavor"],
          properties: {
            code: {
              type: "object",
              additionalProperties: true,
              required: ["kind", "value"],
              properties: { kind: { type: "string", enum: ["inline", "url", "path", "repo"] }, value: { type: "string" } },
            },
            timeout_hours: { type: ["number", "string"] },
            work: { type: "string", enum: ["training", "inference", "data", "eval"] },
            monitoring: {
              type: ["object", "null"],
              additionalProperties: true,
              required: ["kind", "target"],
              properties: { kind: { type: "string" }, target: { type: "string" } },
            },
            persistence: {
              type: ["object", "null"],
              additionalProperties: true,
              required: ["destination"],
              properties: { destination: { type: "string" } },
            },
            flavor: { type: "string" },
          },
        },
      },
    },
  },
  job: {
    submitter: {
      type: "object",
      additionalProperties: true,
      required: ["job_id", "status", "url", "submitted"],
      properties: {
        job_id: { type: "string" },
        status: { type: "string" },
        url: { type: ["string", "null"] },
        submitted: {
          type: "object",
          additionalProperties: true,
          required: ["code", "command", "flavor", "timeout_hours", "config"],
          description: "Exactly what was submitted; the runtime checks it against what was approved.",
          properties: {
            code: {
              type: "object",
              additionalProperties: true,
              required: ["kind", "value"],
              properties: { kind: { type: "string", enum: ["inline", "url", "path", "repo"] }, value: { type: "string" } },
            },
            command: { type: "string" },
            flavor: { type: "string" },
            timeout_hours: { type: ["number", "string"] },
            config: { type: "object", additionalProperties: true, description: "The training config the job runs with." },
          },
        },
      },
    },
    monitor: {
      type: "object",
      additionalProperties: true,
      required: ["status", "alerts", "log_tail", "metrics", "cost_usd"],
      properties: {
        status: { type: "string", enum: ["running", "completed", "failed", "cancelled"], description: "cancelled only when asked to cancel the job." },
        alerts: {
          type: "array",
          items: {
            type: "object",
            additionalProperties: true,
            required: ["kind", "text"],
            properties: { kind: { type: "string", enum: ["diverged", "overfitting", "early-stopping"] }, text: { type: "string" } },
          },
        },
        log_tail: { type: "string" },
        metrics: { type: "object", additionalProperties: true },
        cost_usd: { type: ["number", "null"] },
      },
    },
  },
  completion: {
    critic: {
      type: "object",
      additionalProperties: true,
      required: ["criteria", "verdict", "summary"],
      properties: {
        criteria: {
          type: "array",
          items: {
            type: "object",
            additionalProperties: true,
            required: ["id", "met", "evidence"],
            properties: { id: { type: "string" }, met: { type: "boolean" }, evidence: { type: "string" } },
          },
        },
        verdict: { type: "string", enum: ["pass", "fail"] },
        summary: { type: "string" },
      },
    },
  },
  loop: {
    worker: {
      type: "object",
      additionalProperties: true,
      required: ["improved", "summary", "continue", "cost_usd"],
      properties: {
        improved: { type: "boolean" },
        summary: { type: "string" },
        continue: { type: "boolean" },
        cost_usd: { type: ["number", "null"] },
      },
    },
  },
};

/** Step kinds whose fixer answers with `FIXER_AGENT_SCHEMA`. */
export const FIXER_STEP_KINDS = ["smoke", "preflight", "job"];

/**
 * The JSON Schema an agent of `kind` in slot `role` must return (a fresh
 * copy). Every slot of every kind in `STEP_KINDS` has one; an agent step's
 * own critic answers like a critic step. `config` (the step's config)
 * specializes the intake schema: `baselineKeys` become the baseline's
 * required properties, and `classes` make `task_class` (one of them) and
 * `answer` required. Throws on a pair the driver never runs, so a compiler
 * bug cannot ship a pipeline with a missing schema.
 */
export function agentSchemaFor(kind: string, role: string, config?: { [key: string]: unknown }): DriverSchema {
  if (role === "fixer" && FIXER_STEP_KINDS.includes(kind)) return JSON.parse(JSON.stringify(FIXER_AGENT_SCHEMA));
  if (role === "critic" && kind === "agent") return agentSchemaFor("critic", "critic");
  const table: { [kind: string]: { [role: string]: DriverSchema } } = AGENT_SCHEMAS;
  if (!Object.hasOwn(table, kind) || !Object.hasOwn(table[kind], role)) {
    throw new Error("Unexpected agent role `" + role + "` for a `" + kind + "` step, expected one of " + schemaRolesOf(kind).join(", "));
  }
  const schema = JSON.parse(JSON.stringify(table[kind][role]));
  if (kind === "intake" && config) schemaSpecializeIntake(schema, config);
  return schema;
}

/** Shape the intake schema from the step config (`baselineKeys`, `classes`). */
function schemaSpecializeIntake(schema: { [key: string]: any }, config: { [key: string]: unknown }): void {
  const keys = (Array.isArray(config.baselineKeys) ? config.baselineKeys : []).filter((key): key is string => typeof key === "string" && key !== "");
  if (keys.length > 0) {
    const baseline = schema.properties.baseline;
    baseline.required = keys;
    baseline.properties = {};
    for (const key of keys) baseline.properties[key] = { type: ["string", "number", "boolean", "null"] };
  }
  const classes = (Array.isArray(config.classes) ? config.classes : []).filter((item): item is string => typeof item === "string" && item !== "");
  if (classes.length > 0) {
    schema.properties.task_class = { type: "string", enum: classes };
    schema.required = schema.required.concat(["task_class", "answer"]);
  }
}

/** The slots of a step kind (empty for an unknown kind). */
export function kindSlots(kind: string): StepSlot[] {
  const table: { [kind: string]: { slots: StepSlot[] } } = STEP_KINDS;
  return typeof kind === "string" && Object.hasOwn(table, kind) ? table[kind].slots : [];
}

/** The slot names a step kind has (empty for an unknown kind). */
export function schemaRolesOf(kind: string): string[] {
  return kindSlots(kind).map((entry) => entry.slot);
}

/**
 * The slot each agent of a step fills, the inverse of `stepAgents`: the n-th agent of a role fills
 * the n-th slot of that role (a `many` slot takes them all); an agent no slot takes keeps its role.
 */
export function stepSlots(step: Pick<DriverStep, "kind" | "agents">): string[] {
  const slots = kindSlots(step.kind);
  const seen: { [role: string]: number } = Object.create(null);
  return (Array.isArray(step.agents) ? step.agents : []).map((agentSpec) => {
    const position = seen[agentSpec.role] ?? 0;
    seen[agentSpec.role] = position + 1;
    const ofRole = slots.filter((entry) => entry.role === agentSpec.role);
    if (ofRole.length === 0) return agentSpec.role;
    if (ofRole[0].many) return ofRole[0].slot;
    return position < ofRole.length ? ofRole[position].slot : agentSpec.role;
  });
}

/** The agents of a step that fill `slot` (see `STEP_KINDS`), in order. */
export function stepAgents(step: DriverStep, slot: string): DriverAgent[] {
  const slots = kindSlots(step.kind);
  const entry = slots.find((candidate) => candidate.slot === slot);
  if (!entry) return [];
  const agents = (Array.isArray(step.agents) ? step.agents : []).filter((agentSpec) => agentSpec.role === entry.role);
  if (entry.many) return agents;
  const position = slots.filter((candidate) => candidate.role === entry.role).indexOf(entry);
  return position < agents.length ? [agents[position]] : [];
}

/** The one agent that fills `slot`, or null. */
export function stepAgent(step: DriverStep, slot: string): DriverAgent | null {
  const agents = stepAgents(step, slot);
  return agents.length > 0 ? agents[0] : null;
}

/**
 * The agents whose calls spend: the workers of step kinds whose driver approves billable work
 * (`decideApproval` in the registry), except their fixers and monitors — the rule the Claude Code
 * spend guard, the node runner and the Actions secrets all follow.
 */
export function billableAgents(pipeline: { steps: Pick<DriverStep, "kind" | "agents">[] }): string[] {
  const names: string[] = [];
  for (const step of pipeline.steps) {
    const entry = Object.hasOwn(STEP_KINDS, step.kind) ? (STEP_KINDS as { [kind: string]: { guards: readonly string[] } })[step.kind] : null;
    if (!entry || !entry.guards.includes("decideApproval")) continue;
    const slots = stepSlots(step);
    step.agents.forEach((spec, index) => {
      if (spec.role === "worker" && !["fixer", "monitor"].includes(slots[index]) && !names.includes(spec.name)) names.push(spec.name);
    });
  }
  return names.sort();
}
