// Structured-output schemas of the driver's agents, and which agent of a step
// plays which part. The compiler copies these schemas into the pipeline, so the
// fields the driver reads are exactly the fields the agents must return.
import type { DriverAgent, DriverSchema, DriverStep } from "./types.js";

/**
 * The agent slots of each step kind, in the order the driver reads them. A
 * slot takes the agents whose `role` matches, in order: with two `worker`
 * slots the first worker is the `worker` and the second the `fixer`. `many`
 * slots take every agent of the role; `optional` slots may be missing.
 */
export const STEP_AGENT_SLOTS = {
  intake: [{ slot: "worker", role: "worker", many: false, optional: false }],
  agent: [
    { slot: "worker", role: "worker", many: false, optional: false },
    { slot: "critic", role: "critic", many: false, optional: true },
  ],
  fanout: [
    { slot: "finder", role: "finder", many: true, optional: false },
    { slot: "synthesis", role: "synthesis", many: false, optional: false },
  ],
  critic: [{ slot: "critic", role: "critic", many: false, optional: false }],
  resources: [{ slot: "checker", role: "checker", many: true, optional: false }],
  smoke: [
    { slot: "worker", role: "worker", many: false, optional: false },
    { slot: "fixer", role: "worker", many: false, optional: true },
  ],
  preflight: [
    { slot: "worker", role: "worker", many: false, optional: false },
    { slot: "fixer", role: "worker", many: false, optional: true },
  ],
  checklist: [{ slot: "worker", role: "worker", many: false, optional: false }],
  job: [
    { slot: "submitter", role: "worker", many: false, optional: false },
    { slot: "monitor", role: "worker", many: false, optional: false },
    { slot: "fixer", role: "worker", many: false, optional: true },
  ],
  completion: [{ slot: "critic", role: "critic", many: false, optional: false }],
  loop: [{ slot: "worker", role: "worker", many: false, optional: false }],
};

/** The fixer's output, shared by the smoke, preflight and job steps. */
export const FIXER_AGENT_SCHEMA = {
  type: "object",
  additionalProperties: true,
  required: ["analysis", "failure_class", "changes", "description"],
  properties: {
    analysis: { type: "string", minLength: 1, description: "What the log shows went wrong, and why." },
    failure_class: {
      type: "string",
      enum: ["oom", "wrong-argument", "import-error", "dataset-schema", "timeout", "divergence", "unknown"],
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
      required: ["summary", "task_type", "baseline", "plan", "needs_clarification", "question"],
      properties: {
        summary: { type: "string" },
        task_type: { type: "string" },
        baseline: {
          type: "object",
          additionalProperties: true,
          required: ["method", "model", "dataset", "sequence_length"],
          properties: {
            method: { type: ["string", "null"] },
            model: { type: ["string", "null"] },
            dataset: { type: ["string", "null"] },
            sequence_length: { type: ["number", "string", "null"] },
          },
        },
        plan: { type: "array", items: { type: "string" } },
        needs_clarification: { type: "boolean" },
        question: { type: ["string", "null"] },
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
        verdict: { type: "string", enum: ["pass", "fail"] },
        issues: {
          type: "array",
          items: {
            type: "object",
            additionalProperties: true,
            required: ["severity", "description"],
            properties: { severity: { type: "string" }, description: { type: "string" } },
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
  preflight: {
    worker: {
      type: "object",
      additionalProperties: true,
      required: ["job_id", "status", "log_tail", "cost_usd", "flavor", "config"],
      properties: {
        job_id: { type: ["string", "null"] },
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
      required: ["job_id", "status", "url"],
      properties: { job_id: { type: "string" }, status: { type: "string" }, url: { type: ["string", "null"] } },
    },
    monitor: {
      type: "object",
      additionalProperties: true,
      required: ["status", "alerts", "log_tail", "metrics", "cost_usd"],
      properties: {
        status: { type: "string", enum: ["running", "completed", "failed"] },
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

/** Step kinds that have a fixer slot. */
export const FIXER_STEP_KINDS = ["smoke", "preflight", "job"];

/**
 * The JSON Schema an agent of `kind` in slot `role` must return (a fresh
 * copy). Roles: `worker` (intake, agent, smoke, preflight, checklist, loop),
 * `finder`/`synthesis` (fanout), `critic` (critic, completion), `checker`
 * (resources), `fixer` (smoke, preflight, job), `submitter`/`monitor` (job).
 * Throws on a pair the driver never runs, so a compiler bug cannot ship a
 * pipeline with a missing schema.
 */
export function agentSchemaFor(kind: string, role: string): DriverSchema {
  if (role === "fixer" && FIXER_STEP_KINDS.includes(kind)) return JSON.parse(JSON.stringify(FIXER_AGENT_SCHEMA));
  // An agent step may carry its own critic (a format check): it answers like a critic step.
  if (role === "critic" && kind === "agent") return agentSchemaFor("critic", "critic");
  const table: { [kind: string]: { [role: string]: DriverSchema } } = AGENT_SCHEMAS;
  if (!Object.hasOwn(table, kind) || !Object.hasOwn(table[kind], role)) {
    throw new Error("Unexpected agent role `" + role + "` for a `" + kind + "` step, expected one of " + schemaRolesOf(kind).join(", "));
  }
  return JSON.parse(JSON.stringify(table[kind][role]));
}

/** The slot names a step kind has (empty for an unknown kind). */
export function schemaRolesOf(kind: string): string[] {
  const slots: { [kind: string]: { slot: string }[] } = STEP_AGENT_SLOTS;
  return Object.hasOwn(slots, kind) ? slots[kind].map((entry) => entry.slot) : [];
}

/** The agents of a step that fill `slot` (see `STEP_AGENT_SLOTS`), in order. */
export function stepAgents(step: DriverStep, slot: string): DriverAgent[] {
  const table: { [kind: string]: { slot: string; role: string; many: boolean }[] } = STEP_AGENT_SLOTS;
  if (!Object.hasOwn(table, step.kind)) return [];
  const slots = table[step.kind];
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
