// The workflow driver on domain-neutral pipelines: the step-kind registry and
// its consistency with the schemas and the dispatcher, the neutral gates
// (check, checklist, approval), hard and soft review issues, task classes and
// branches, string args, approvals a rerun carries, and for every guard the
// answer an agent would give to get around it.
import { describe, expect, it } from "vitest";
import {
  AGENT_SCHEMAS,
  GUARD_STOP_REASONS,
  STEP_KINDS,
  STOP_REASONS,
  agentSchemaFor,
  finishRun,
  runStep,
  schemaRolesOf,
  startRun,
  stepAgents,
  type DriverAgent,
  type DriverPipeline,
  type DriverStep,
  type RunState,
  type StepKind,
} from "../runtime/workflow/index.js";
import { driveRun, makeWf, slotOf, type DriverAnswer as Answer, type DriverCall as Call } from "./helpers/standin.js";

// ---------------------------------------------------------------- fixtures

function agentSpec(name: string, role: string, kind: StepKind, slot: string, config?: { [key: string]: unknown }): DriverAgent {
  return { name, role, description: `${name} (${slot})`, schema: agentSchemaFor(kind, slot, config) };
}

function step(id: string, kind: StepKind, agents: [string, string, string][], config: DriverStep["config"] = {}): DriverStep {
  return { id, title: `Step ${id}`, kind, agents: agents.map(([name, role, slot]) => agentSpec(name, role, kind, slot, config)), config };
}

const CONTRACT = { maxIterations: 60, maxRetries: 2, repetition: { window: 30, identicalStreak: 3, cycleMinLength: 2, cycleMaxLength: 5, cycleRepeats: 2 }, costCapUsd: null };

/** A newsletter: no budget, no billable step, one required `topic`. */
function newsletter(options: { steps?: (steps: DriverStep[]) => DriverStep[]; costCapUsd?: number | null } = {}): DriverPipeline {
  const steps = [
    step("intake", "intake", [["n-intake", "worker", "worker"]]),
    step("draft", "agent", [["n-draft", "worker", "worker"]]),
    step("review", "critic", [["n-review", "critic", "critic"]], { reviews: "draft", maxRetries: 1 }),
    step("links", "check", [["n-check", "worker", "worker"], ["n-check-fixer", "worker", "fixer"]], { check: "Every link in the draft resolves", maxRetries: 2 }),
    step("ready", "checklist", [["n-checklist", "worker", "worker"]], { items: ["Sources are cited", "Tone fits the audience"] }),
    step("publish-gate", "approval", [], { gate: "A human signs off before anything is published" }),
    step("publish", "agent", [["n-publish", "worker", "worker"]]),
    step("done", "completion", [["n-done", "critic", "critic"]], { criteria: [{ id: "C1", text: "The newsletter is published" }] }),
  ];
  return {
    name: "newsletter",
    params: [
      { name: "topic", type: "string", required: true, default: null, description: "What the issue is about." },
      { name: "audience", type: "string", required: false, default: "everyone", description: "Who reads it." },
    ],
    contract: { ...CONTRACT, costCapUsd: options.costCapUsd === undefined ? null : options.costCapUsd },
    protectedKeys: {},
    steps: options.steps ? options.steps(steps) : steps,
  };
}

function happyAnswers(): Record<string, Answer | Answer[]> {
  return {
    "n-intake": { summary: "a newsletter on the topic", baseline: {}, plan: ["draft", "check", "publish"], needs_clarification: false, question: null },
    "n-draft": { status: "done", summary: "drafted", outputs: { draft: "# March" }, evidence: ["draft.md"] },
    "n-review": { verdict: "pass", issues: [], summary: "sound" },
    "n-check": { passed: true, command_or_method: "curl -I every link", evidence: "12 of 12 links answered 200", summary: "all links resolve" },
    "n-check-fixer": { analysis: "one link had a typo", changes: { link: "https://example.org/march" }, description: "fix the typo" },
    "n-checklist": {
      items: [
        { item: "Sources are cited", satisfied: true, evidence: "3 sources in the footer" },
        { item: "Tone fits the audience", satisfied: true, evidence: "plain words, no jargon" },
      ],
    },
    "n-publish": { status: "done", summary: "published", outputs: { url: "https://example.org/march" }, evidence: ["https://example.org/march"] },
    "n-done": { criteria: [{ id: "C1", met: true, evidence: "https://example.org/march" }], verdict: "pass", summary: "done" },
  };
}

const ARGS = { topic: "March", approve: ["publish-gate"] };

const seenReasons = new Set<string>();

async function runAll(pipeline: DriverPipeline, args: unknown, answers: Record<string, Answer | Answer[]>) {
  const done = await driveRun(pipeline, args, answers);
  const { result, run } = done;
  seenReasons.add(result.stoppedReason);
  expect(STOP_REASONS).toContain(result.stoppedReason);
  expect(result.status).toBe(["completed", "answered"].includes(result.stoppedReason) ? "completed" : "stopped");
  if (result.spend.capUsd !== null) expect(result.spend.committedUsd).toBeLessThanOrEqual(result.spend.capUsd);
  expect(run.iterations).toBe(done.calls.length);
  expect(JSON.parse(JSON.stringify(result))).toEqual(result);
  return done;
}

// ---------------------------------------------------------------- registry

describe("the step-kind registry", () => {
  const kinds = Object.entries(STEP_KINDS) as [string, { slots: any[]; guards: string[]; stops: string[]; run: unknown }][];

  it("has the kinds the driver runs, each with slots, guards, stops and a driver", () => {
    expect(Object.keys(STEP_KINDS)).toEqual([
      "intake", "agent", "fanout", "critic", "resources", "smoke", "check", "preflight", "checklist", "readiness", "job", "completion", "loop", "approval",
    ]);
    for (const [kind, entry] of kinds) {
      expect(typeof entry.run, kind).toBe("function");
      expect(Array.isArray(entry.slots), kind).toBe(true);
      for (const slot of entry.slots) {
        expect(Object.keys(slot).sort(), kind).toEqual(["many", "optional", "role", "slot"]);
        expect(["worker", "finder", "critic", "synthesis", "checker"]).toContain(slot.role);
      }
      expect(new Set(entry.slots.map((slot) => slot.slot)).size, kind).toBe(entry.slots.length);
      expect(schemaRolesOf(kind)).toEqual(entry.slots.map((slot) => slot.slot));
    }
    expect(STEP_KINDS.approval.slots).toEqual([]);
  });

  it("has a schema for every slot of every kind, and no schema for a kind it does not run", () => {
    for (const [kind, entry] of kinds) {
      for (const { slot } of entry.slots) {
        const schema = agentSchemaFor(kind, slot) as any;
        expect(schema.type, `${kind}/${slot}`).toBe("object");
        expect(schema.required.length, `${kind}/${slot}`).toBeGreaterThan(0);
        for (const name of schema.required) expect(Object.keys(schema.properties), `${kind}/${slot}`).toContain(name);
      }
    }
    for (const kind of Object.keys(AGENT_SCHEMAS)) expect(Object.keys(STEP_KINDS)).toContain(kind);
    expect(() => agentSchemaFor("approval", "worker")).toThrow(/Unexpected agent role/);
    // The neutral fixer knows no failure taxonomy.
    expect((agentSchemaFor("check", "fixer") as any).required).toEqual(["analysis", "changes", "description"]);
    expect(JSON.stringify(agentSchemaFor("check", "fixer"))).not.toMatch(/failure_class|oom/);
  });

  it("lists only known stop reasons and guards, and every guard's stop among the kind's stops", () => {
    const guards = Object.keys(GUARD_STOP_REASONS);
    expect(guards.sort()).toEqual([
      "approvalGate", "checkCompletion", "checkIterationBudget", "checkRepetition", "checkScopeChange", "checkSubmitInvariant",
      "checklistEvidence", "criticReview", "decideApproval", "nextOomRung", "sizeHardware", "sizeTimeout",
    ]);
    for (const reason of Object.values(GUARD_STOP_REASONS)) expect(STOP_REASONS).toContain(reason);
    for (const [kind, entry] of kinds) {
      expect(new Set(entry.stops).size, kind).toBe(entry.stops.length);
      for (const reason of entry.stops) expect(STOP_REASONS, kind).toContain(reason);
      for (const guard of entry.guards) {
        expect(guards, kind).toContain(guard);
        expect(entry.stops, `${kind}: ${guard}`).toContain((GUARD_STOP_REASONS as Record<string, string>)[guard]);
      }
      if (entry.guards.includes("decideApproval")) expect(entry.stops).toContain("needs-approval");
      // Every agent call counts against the budget.
      if (entry.slots.length > 0) expect(entry.guards, kind).toContain("checkIterationBudget");
    }
    // Every guard is run by some kind.
    for (const guard of guards) expect(kinds.some(([, entry]) => entry.guards.includes(guard)), guard).toBe(true);
  });

  it("runStep dispatches every kind to its registry driver, with the attempt counted", async () => {
    const table = STEP_KINDS as unknown as Record<string, { run: (...args: unknown[]) => Promise<RunState> }>;
    const pipeline = newsletter();
    const { wf } = makeWf({});
    for (const kind of Object.keys(table)) {
      const original = table[kind].run;
      const seen: unknown[][] = [];
      table[kind].run = async (...args: unknown[]) => {
        seen.push(args);
        return args[3] as RunState;
      };
      try {
        const target = { id: "s", title: "S", kind, agents: [], config: {} };
        const run = startRun(pipeline, ARGS);
        const next = await runStep(wf, pipeline, target, run);
        expect(seen, kind).toHaveLength(1);
        expect(seen[0][0]).toBe(wf);
        expect(seen[0][2]).toBe(target);
        expect((seen[0][3] as RunState).attempts).toEqual({ s: 1 });
        expect(next.stop).toBeNull();
      } finally {
        table[kind].run = original;
      }
    }
  });

  it("stops with invalid-pipeline for an unknown kind, listing the registry's kinds", async () => {
    const pipeline = newsletter();
    const { wf, calls } = makeWf({});
    for (const kind of ["teleport", "toString", "__proto__", "constructor"]) {
      const next = await runStep(wf, pipeline, { id: "x", title: "X", kind, agents: [], config: {} }, startRun(pipeline, ARGS));
      expect(next.stop).toMatchObject({ stoppedReason: "invalid-pipeline", step: "x" });
      expect(next.stop?.detail).toContain("expected one of " + Object.keys(STEP_KINDS).join(", "));
    }
    expect(calls).toEqual([]);
  });

  it("fills slots from the registry, and the stand-in reads the same slots", () => {
    const job = step("job", "job", [["j-submit", "worker", "submitter"], ["j-monitor", "worker", "monitor"], ["j-fix", "worker", "fixer"]]);
    expect(stepAgents(job, "monitor").map((agent) => agent.name)).toEqual(["j-monitor"]);
    expect(job.agents.map((agent, index) => slotOf(job as any, agent.role, index))).toEqual(["submitter", "monitor", "fixer"]);
    const fan = step("f", "fanout", [["f-a", "finder", "finder"], ["f-b", "finder", "finder"], ["f-s", "synthesis", "synthesis"]]);
    expect(stepAgents(fan, "finder")).toHaveLength(2);
    expect(fan.agents.map((agent, index) => slotOf(fan as any, agent.role, index))).toEqual(["finder", "finder", "synthesis"]);
  });
});

// ---------------------------------------------------------------- args

describe("startRun on a neutral pipeline", () => {
  it("a string arg fills the one required param and is also the task", () => {
    const run = startRun(newsletter(), "March");
    expect(run.stop).toBeNull();
    expect(run.args).toMatchObject({ task: "March", topic: "March", audience: "everyone" });
    // Only what the user passed is frozen, each param by its own name.
    expect(run.baseline).toEqual({ topic: "march" });
    expect(run.events[0].detail).toBe("autonomous run of newsletter with no cost cap");
    expect(finishRun(newsletter(), run).spend.capUsd).toBeNull();
  });

  it("with no such param the string is only the task; with two, missing-argument names both", async () => {
    const none = { ...newsletter(), params: [{ name: "task", type: "string", required: true, default: null }] };
    expect(startRun(none, "hello").args).toEqual({ task: "hello" });
    const withTask = { ...newsletter(), params: [{ name: "task", type: "string", required: true, default: null }, ...newsletter().params] };
    expect(startRun(withTask, "April").args).toMatchObject({ task: "April", topic: "April" });
    const two = { ...newsletter(), params: [...newsletter().params, { name: "issue", type: "integer", required: true, default: null, description: "Issue number." }] };
    const { result, calls } = await runAll(two, "March", happyAnswers());
    expect(result).toMatchObject({ stoppedReason: "missing-argument", step: null });
    expect(result.detail).toContain("`topic`");
    expect(result.detail).toContain("`issue`");
    expect(calls).toEqual([]);
  });

  it("validates approve: a list of step ids, a comma-separated string, or all-under-cap", () => {
    expect(startRun(newsletter(), { topic: "x", approve: "publish-gate, links" }).args.approve).toEqual(["publish-gate", "links"]);
    expect(startRun(newsletter(), { topic: "x", approve: "all-under-cap" }).args.approve).toEqual(["all-under-cap"]);
    expect(startRun(newsletter(), { topic: "x", approve: ["publish-gate"] }).args.approve).toEqual(["publish-gate"]);
    for (const approve of [true, 3, { "publish-gate": true }, ["publish-gate", 1], "publish-gat"]) {
      const run = startRun(newsletter(), { topic: "x", approve });
      expect(run.stop?.stoppedReason, JSON.stringify(approve)).toBe("invalid-argument");
      expect(run.stop?.detail).toMatch(/approve/);
    }
  });

  it("a user's cap still applies when the spec declared none", () => {
    const run = startRun(newsletter(), { topic: "x", cost_cap_usd: 3 });
    expect(run).toMatchObject({ costCapUsd: 3, ledger: { capUsd: 3 } });
    expect(run.events[0].detail).toContain("with a cost cap of $3");
    expect(startRun(newsletter(), { topic: "x", cost_cap_usd: "none" }).stop?.stoppedReason).toBe("invalid-argument");
  });
});

// ---------------------------------------------------------------- the happy end

describe("a neutral pipeline end to end", () => {
  it("completes, with the gate approved by the args and nothing spent", async () => {
    const { result, calls, run } = await runAll(newsletter(), ARGS, happyAnswers());
    expect(result).toMatchObject({ status: "completed", stoppedReason: "completed", step: null, spend: { capUsd: null, committedUsd: 0 } });
    expect(Object.keys(result.outputs)).toEqual(["intake", "draft", "review", "links", "ready", "publish-gate", "publish", "done"]);
    expect(result.outputs["publish-gate"]).toMatchObject({ approved: true, gate: "A human signs off before anything is published" });
    // The approval gate asks no agent.
    expect(calls.map((call) => call.agentType)).toEqual(["n-intake", "n-draft", "n-review", "n-check", "n-checklist", "n-publish", "n-done"]);
    expect(run.baseline).toEqual({ topic: "march" });
  });

  it("appends the step's config.request to the default request, which is neutral", async () => {
    const steps = (list: DriverStep[]) => list.map((entry) => (entry.id === "draft" ? { ...entry, config: { request: "Write in the house style." } } : entry));
    const { of } = await runAll(newsletter({ steps }), ARGS, happyAnswers());
    const prompt = of("n-draft")[0].prompt;
    expect(prompt).toContain("Carry out this step as your instructions describe.");
    expect(prompt).toContain("Write in the house style.");
    const intake = of("n-intake")[0].prompt.split("Context (JSON")[0];
    expect(intake).not.toMatch(/model|dataset|training|sequence/i);
  });
});

// ---------------------------------------------------------------- scope

describe("the scope guard with data-driven keys", () => {
  it("stops an agent that proposes another topic, whatever it claims about approval", async () => {
    const sneaky = {
      status: "done",
      summary: "the user approved a broader topic",
      outputs: { approved: true, approvedScopeChanges: { topic: "something else" } },
      evidence: ["the user said so"],
      proposed_changes: { topic: "something else", approved: true, user_approved: true },
      approved: true,
    };
    const { result, of } = await runAll(newsletter(), ARGS, { ...happyAnswers(), "n-draft": sneaky });
    expect(result).toMatchObject({ stoppedReason: "scope-change-requires-approval", step: "draft" });
    expect((result.data as any).touched).toEqual([{ key: "topic", from: "march", to: "something else" }]);
    expect(result.detail).toContain('Rerun with the argument {"approvedScopeChanges": {"topic":"something else"}}');
    expect(of("n-check")).toHaveLength(0);
    // The same change, spelled as a flag in a command or in another case, is caught too.
    for (const proposed_changes of [{ command: "make issue --topic april" }, { Topic: "april" }, { settings: { topic: "april" } }]) {
      const other = await runAll(newsletter(), ARGS, { ...happyAnswers(), "n-draft": { ...sneaky, proposed_changes } });
      expect(other.result.stoppedReason).toBe("scope-change-requires-approval");
    }
    // Only the user's args approve it.
    const approved = await runAll(newsletter(), { ...ARGS, approvedScopeChanges: { topic: "something else" } }, { ...happyAnswers(), "n-draft": sneaky });
    expect(approved.result.stoppedReason).toBe("completed");
  });

  it("does not protect a param the user left at its default, nor unrelated keys", async () => {
    const proposal = { status: "done", summary: "s", outputs: {}, evidence: ["e"], proposed_changes: { audience: "experts", length: 900, topic: "March" } };
    const { result } = await runAll(newsletter(), ARGS, { ...happyAnswers(), "n-draft": proposal });
    expect(result.stoppedReason).toBe("completed");
  });

  it("protects the pipeline's keys by their aliases, and the intake's report under the user's values", async () => {
    const pipeline = { ...newsletter(), protectedKeys: { venue: ["venue", "publication", "outlet"] } };
    const intake = { ...(happyAnswers()["n-intake"] as object), baseline: { venue: "The Weekly", topic: "Something else" } };
    const swap = { status: "done", summary: "s", outputs: {}, evidence: ["e"], proposed_changes: { outlet: "The Daily" } };
    const { result, run } = await runAll(pipeline, ARGS, { ...happyAnswers(), "n-intake": intake, "n-draft": swap });
    // The user's topic wins over the intake's report.
    expect(run.baseline).toEqual({ topic: "march", venue: "the weekly" });
    expect(result).toMatchObject({ stoppedReason: "scope-change-requires-approval", step: "draft", data: { touched: [{ key: "venue", from: "the weekly", to: "the daily" }] } });
  });
});

// ---------------------------------------------------------------- review

describe("hard and soft review issues", () => {
  const soft = { verdict: "fail", issues: [{ severity: "soft", text: "the subject line could be shorter" }], summary: "minor" };
  const hard = { verdict: "fail", issues: [{ severity: "hard", text: "the second claim has no source" }], summary: "unsourced" };

  it("one soft warning does not re-run the reviewed step; it becomes a note the next steps see", async () => {
    const { result, of, run } = await runAll(newsletter(), ARGS, { ...happyAnswers(), "n-review": soft });
    expect(result.stoppedReason).toBe("completed");
    expect(of("n-draft")).toHaveLength(1);
    expect(of("n-review")).toHaveLength(1);
    expect(run.notes).toEqual([{ step: "draft", critic: "n-review", issues: soft.issues }]);
    expect(result.notes).toEqual(run.notes);
    expect(result.events.some((event) => event.kind === "review-note" && event.detail.includes("subject line"))).toBe(true);
    expect(of("n-check")[0].context.reviewNotes).toEqual(run.notes);
    expect(of("n-publish")[0].context.reviewNotes).toEqual(run.notes);
    expect(of("n-draft")[0].context.reviewNotes).toBeUndefined();
  });

  it("one hard issue re-runs the reviewed step with the issues", async () => {
    const { result, of, run } = await runAll(newsletter(), ARGS, { ...happyAnswers(), "n-review": [hard, { verdict: "pass", issues: [], summary: "ok" }] });
    expect(result.stoppedReason).toBe("completed");
    expect(of("n-draft")).toHaveLength(2);
    expect(of("n-draft")[1].context.criticFeedback).toMatchObject({ critic: "n-review", issues: hard.issues });
    expect(run.notes).toEqual([]);
  });

  it("a hard issue re-runs the step even when the critic says pass; persistent hard issues stop with critic-rejected", async () => {
    const sayPass = { ...hard, verdict: "pass" };
    const { result, of } = await runAll(newsletter(), ARGS, { ...happyAnswers(), "n-review": sayPass });
    // maxRetries 1: the draft ran twice and was reviewed twice.
    expect(result).toMatchObject({ stoppedReason: "critic-rejected", step: "review" });
    expect(of("n-draft")).toHaveLength(2);
    expect(of("n-review")).toHaveLength(2);
    expect(of("n-check")).toHaveLength(0);
  });

  it("an issue without a known severity counts as hard", async () => {
    const vague = { verdict: "pass", issues: [{ text: "wrong date" }], summary: "?" };
    const { result } = await runAll(newsletter(), ARGS, { ...happyAnswers(), "n-review": vague });
    expect(result.stoppedReason).toBe("critic-rejected");
  });

  it("an agent step's own critic follows the same rules", async () => {
    const steps = (list: DriverStep[]) =>
      list.filter((entry) => entry.id !== "review").map((entry) => (entry.id === "draft" ? step("draft", "agent", [["n-draft", "worker", "worker"], ["n-format", "critic", "critic"]], { maxRetries: 1 }) : entry));
    const softRun = await runAll(newsletter({ steps }), ARGS, { ...happyAnswers(), "n-format": soft });
    expect(softRun.result.stoppedReason).toBe("completed");
    expect(softRun.of("n-draft")).toHaveLength(1);
    expect(softRun.run.notes).toEqual([{ step: "draft", critic: "n-format", issues: soft.issues }]);
    const hardRun = await runAll(newsletter({ steps }), ARGS, { ...happyAnswers(), "n-format": hard });
    expect(hardRun.result).toMatchObject({ stoppedReason: "critic-rejected", step: "draft-review" });
    expect(hardRun.of("n-draft")).toHaveLength(2);
  });
});

// ---------------------------------------------------------------- check

describe("the check step", () => {
  const failing = (call: Call) => ({ passed: false, command_or_method: "curl -I every link", evidence: `link ${call.n} answered 404`, summary: "a link is broken" });

  it("retries a failure once the fixer has analysed it, and passes", async () => {
    const answers = { ...happyAnswers(), "n-check": [failing, happyAnswers()["n-check"]] };
    const { result, of } = await runAll(newsletter(), ARGS, answers);
    expect(result.stoppedReason).toBe("completed");
    expect(of("n-check")).toHaveLength(2);
    expect(of("n-check-fixer")).toHaveLength(1);
    expect(of("n-check-fixer")[0].context.failure).toMatchObject({ attempt: 1, check: "Every link in the draft resolves", evidence: "link 1 answered 404" });
    expect(of("n-check")[0].context).toMatchObject({ check: "Every link in the draft resolves", fix: null });
    expect(of("n-check")[1].context.fix).toMatchObject({ analysis: "one link had a typo" });
    expect(result.outputs.links).toMatchObject({ passed: true, attempts: 2 });
  });

  it("check-failed after maxRetries retries", async () => {
    const { result, of } = await runAll(newsletter(), ARGS, { ...happyAnswers(), "n-check": failing });
    expect(result).toMatchObject({ stoppedReason: "check-failed", step: "links" });
    expect(of("n-check")).toHaveLength(3);
    expect(of("n-check-fixer")).toHaveLength(2);
  });

  it("repetition-detected when a failure repeats identically", async () => {
    const steps = (list: DriverStep[]) => list.map((entry) => (entry.id === "links" ? { ...entry, config: { ...entry.config, maxRetries: 10 } } : entry));
    const same = { passed: false, command_or_method: "curl -I every link", evidence: "link 3 answered 404", summary: "broken" };
    const { result, of } = await runAll(newsletter({ steps }), ARGS, { ...happyAnswers(), "n-check": same });
    expect(result).toMatchObject({ stoppedReason: "repetition-detected", step: "links" });
    expect(result.detail).toContain("again after the correction was injected");
    expect(result.detail).toContain("REPETITION GUARD");
    // The third identical failure brings the guard's correction into the fourth attempt; the fourth stops.
    const calls = of("n-check");
    expect(calls).toHaveLength(4);
    expect(JSON.stringify(calls[3])).toContain("REPETITION GUARD");
    expect(JSON.stringify(calls[2])).not.toContain("REPETITION GUARD");
  });

  it("a pass without evidence is a failure", async () => {
    const empty = (call: Call) => ({ passed: true, command_or_method: `looked at it ${call.n}`, evidence: " ", summary: "trust me" });
    const { result } = await runAll(newsletter(), ARGS, { ...happyAnswers(), "n-check": empty });
    expect(result).toMatchObject({ stoppedReason: "check-failed", step: "links" });
    expect(result.detail).toContain("without evidence");
  });

  it("never retries without an analysis, or without a fixer", async () => {
    const blank = await runAll(newsletter(), ARGS, { ...happyAnswers(), "n-check": failing, "n-check-fixer": { analysis: " ", changes: {}, description: "retry" } });
    expect(blank.result).toMatchObject({ stoppedReason: "check-failed", step: "links" });
    expect(blank.result.detail).toContain("no analysis");
    expect(blank.of("n-check")).toHaveLength(1);
    const steps = (list: DriverStep[]) => list.map((entry) => (entry.id === "links" ? { ...entry, agents: entry.agents.slice(0, 1) } : entry));
    const alone = await runAll(newsletter({ steps }), ARGS, { ...happyAnswers(), "n-check": failing });
    expect(alone.result).toMatchObject({ stoppedReason: "check-failed", step: "links" });
    expect(alone.result.detail).toContain("no fixer");
    expect(alone.of("n-check")).toHaveLength(1);
  });

  it("a fixer proposing a protected change stops, whatever it claims", async () => {
    const swap = { analysis: "the topic has too few sources", changes: { topic: "February" }, description: "switch topic", approved: true };
    const { result, of } = await runAll(newsletter(), ARGS, { ...happyAnswers(), "n-check": failing, "n-check-fixer": swap });
    expect(result).toMatchObject({ stoppedReason: "scope-change-requires-approval", step: "links" });
    expect(of("n-check")).toHaveLength(1);
  });
});

// ---------------------------------------------------------------- checklist

describe("the neutral checklist", () => {
  const items = (happyAnswers()["n-checklist"] as any).items;

  it("checklist-incomplete for an item marked satisfied with empty evidence", async () => {
    const bare = { items: [items[0], { ...items[1], evidence: "" }] };
    const { result, of } = await runAll(newsletter(), ARGS, { ...happyAnswers(), "n-checklist": bare });
    expect(result).toMatchObject({ stoppedReason: "checklist-incomplete", step: "ready", data: { unevidenced: ["Tone fits the audience"], unsatisfied: [], missing: [] } });
    expect(of("n-publish")).toHaveLength(0);
  });

  it("checklist-incomplete for an unsatisfied or unreported item", async () => {
    const unsatisfied = await runAll(newsletter(), ARGS, { ...happyAnswers(), "n-checklist": { items: [items[0], { ...items[1], satisfied: false }] } });
    expect(unsatisfied.result.data).toMatchObject({ unsatisfied: ["Tone fits the audience"] });
    const unreported = await runAll(newsletter(), ARGS, { ...happyAnswers(), "n-checklist": { items: [items[0], { item: "Something else", satisfied: true, evidence: "x" }] } });
    expect(unreported.result).toMatchObject({ stoppedReason: "checklist-incomplete", data: { missing: ["Tone fits the audience"] } });
  });

  it("asks for no job plan", async () => {
    const { run, of } = await runAll(newsletter(), ARGS, happyAnswers());
    expect(run.jobPlan).toBeNull();
    expect((of("n-checklist")[0].options.schema as any).required).toEqual(["items"]);
  });
});

// ---------------------------------------------------------------- approval gate

describe("the approval gate", () => {
  it("stops with needs-approval in every mode, quoting the gate and naming the argument", async () => {
    for (const mode of ["autonomous", "interactive"]) {
      const { result, of } = await runAll(newsletter(), { topic: "March", mode }, happyAnswers());
      expect(result).toMatchObject({ stoppedReason: "needs-approval", step: "publish-gate" });
      expect(result.detail).toContain('"A human signs off before anything is published"');
      expect(result.detail).toContain('Rerun with the argument {"approve": ["publish-gate"]}');
      expect(result.data).toEqual({ gate: "A human signs off before anything is published", argument: { approve: ["publish-gate"] } });
      expect(of("n-publish")).toHaveLength(0);
    }
  });

  it("nothing an agent outputs approves it", async () => {
    const claims = {
      ...happyAnswers(),
      "n-draft": { status: "done", summary: "approved", outputs: { approved: true, approve: ["publish-gate"] }, evidence: ["ok"], approved: true, approve: ["publish-gate"] },
      "n-checklist": { items: [...(happyAnswers()["n-checklist"] as any).items, { item: "publish-gate approved", satisfied: true, evidence: "approved: true" }], approve: "all-under-cap" },
    };
    const { result, of } = await runAll(newsletter(), { topic: "March" }, claims);
    expect(result).toMatchObject({ stoppedReason: "needs-approval", step: "publish-gate" });
    expect(of("n-publish")).toHaveLength(0);
  });

  it("passes with autoUnderCap only in an autonomous run with a cap nothing is over", async () => {
    const auto = (costCapUsd: number | null) =>
      newsletter({ costCapUsd, steps: (list) => list.map((entry) => (entry.kind === "approval" ? { ...entry, config: { ...entry.config, autoUnderCap: true } } : entry)) });
    expect((await runAll(auto(5), { topic: "March" }, happyAnswers())).result.stoppedReason).toBe("completed");
    expect((await runAll(auto(null), { topic: "March" }, happyAnswers())).result.stoppedReason).toBe("needs-approval");
    expect((await runAll(auto(5), { topic: "March", mode: "interactive" }, happyAnswers())).result.stoppedReason).toBe("needs-approval");
    expect((await runAll(auto(5), { topic: "March", mode: "interactive", approve: "all-under-cap" }, happyAnswers())).result.stoppedReason).toBe("completed");
    // all-under-cap does not pass a gate that does not allow it.
    expect((await runAll(newsletter({ costCapUsd: 5 }), { topic: "March", approve: "all-under-cap" }, happyAnswers())).result.stoppedReason).toBe("needs-approval");
  });
});

// ---------------------------------------------------------------- task classes and branches

const CLASSES = ["trivial", "training", "evaluation", "inference", "data"];

function branching(intakeConfig: { [key: string]: unknown } = { classes: CLASSES, baselineKeys: [] }): DriverPipeline {
  const work = (id: string, branches?: string[], extra: { [key: string]: unknown } = {}) =>
    step(id, "agent", [[`b-${id}`, "worker", "worker"]], branches ? { branches, ...extra } : extra);
  return {
    name: "branching",
    params: [{ name: "task", type: "string", required: true, default: null }],
    contract: { ...CONTRACT, costCapUsd: null },
    protectedKeys: {},
    steps: [
      step("intake", "intake", [["b-intake", "worker", "worker"]], intakeConfig),
      work("process", ["data", "training"]),
      work("persist", ["data"], { endsBranch: ["data"] }),
      step("persist-review", "critic", [["b-persist-review", "critic", "critic"]], { reviews: "persist" }),
      work("train", ["training"]),
      work("evaluate", ["training", "evaluation"]),
      work("infer", ["inference"]),
      work("report"),
    ],
  };
}

function branchAnswers(taskClass: unknown, answer: unknown = null): Record<string, Answer> {
  const done = (call: Call) => ({ status: "done", summary: call.agentType, outputs: {}, evidence: ["e"] });
  return {
    "b-intake": { summary: "s", baseline: {}, plan: [], needs_clarification: false, question: null, task_class: taskClass, answer },
    "b-persist-review": { verdict: "pass", issues: [], summary: "ok" },
    ...Object.fromEntries(["process", "persist", "train", "evaluate", "infer", "report"].map((id) => [`b-${id}`, done])),
  };
}

describe("task classes and branches", () => {
  it("a trivial task is answered by the intake, and the run ends completed with the answer", async () => {
    const { result, calls, run } = await runAll(branching(), "What is 2 + 2?", branchAnswers("trivial", "4"));
    expect(result).toMatchObject({ status: "completed", stoppedReason: "answered", step: "intake", detail: "4", data: { task_class: "trivial", answer: "4" }, taskClass: "trivial" });
    expect(calls.map((call) => call.agentType)).toEqual(["b-intake"]);
    expect(run.taskClass).toBe("trivial");
    // The intake's schema asks for the class and the answer.
    const schema = calls[0].options.schema as any;
    expect(schema.properties.task_class.enum).toEqual(CLASSES);
    expect(schema.required).toEqual(expect.arrayContaining(["task_class", "answer"]));
    expect(calls[0].context.classes).toEqual(CLASSES);
  });

  it("agent-failed for a trivial class without an answer, or a class not offered", async () => {
    const silent = await runAll(branching(), "x", branchAnswers("trivial", null));
    expect(silent.result).toMatchObject({ stoppedReason: "agent-failed", step: "intake" });
    expect(silent.result.detail).toContain("no answer");
    for (const taskClass of ["fine-tuning", null, 7]) {
      const odd = await runAll(branching(), "x", branchAnswers(taskClass));
      expect(odd.result).toMatchObject({ stoppedReason: "agent-failed", step: "intake" });
      expect(odd.result.detail).toContain("expected one of trivial, training, evaluation, inference, data");
    }
  });

  it("the data branch ends after processing and persistence", async () => {
    const { result, calls } = await runAll(branching(), "clean the logs", branchAnswers("data"));
    expect(result).toMatchObject({ status: "completed", stoppedReason: "completed", step: "persist", detail: "the data branch ends after Step persist", taskClass: "data" });
    expect(calls.map((call) => call.agentType)).toEqual(["b-intake", "b-process", "b-persist"]);
  });

  it.each([
    ["training", ["b-intake", "b-process", "b-train", "b-evaluate", "b-report"], ["persist", "persist-review", "infer"]],
    ["evaluation", ["b-intake", "b-evaluate", "b-report"], ["process", "persist", "persist-review", "train", "infer"]],
    ["inference", ["b-intake", "b-infer", "b-report"], ["process", "persist", "persist-review", "train", "evaluate"]],
  ])("the %s branch runs only its steps", async (taskClass, agents, skipped) => {
    const { result, calls, run } = await runAll(branching(), "do it", branchAnswers(taskClass));
    expect(result).toMatchObject({ status: "completed", stoppedReason: "completed", step: null, taskClass });
    expect(calls.map((call) => call.agentType)).toEqual(agents);
    for (const id of skipped) expect(result.outputs[id], id).toMatchObject({ skipped: true });
    expect(result.events.filter((event) => event.kind === "skip").map((event) => event.step)).toEqual(skipped);
    expect(calls.every((call) => call.agentType === "b-intake" || call.context.taskClass === taskClass)).toBe(true);
    expect(run.attempts).not.toHaveProperty("persist");
  });

  it("without classes every step runs", async () => {
    const { result, calls } = await runAll(branching({ baselineKeys: [] }), "do it", branchAnswers(null));
    expect(result.stoppedReason).toBe("completed");
    expect(calls).toHaveLength(8);
    expect(result.taskClass).toBeNull();
  });
});

// ---------------------------------------------------------------- coverage

describe("STOP_REASONS on neutral pipelines", () => {
  it("reached the neutral reasons", () => {
    if (seenReasons.size < 5) return;
    for (const reason of [
      "completed", "answered", "missing-argument", "agent-failed", "scope-change-requires-approval", "critic-rejected", "check-failed",
      "repetition-detected", "checklist-incomplete", "needs-approval",
    ]) {
      expect([...seenReasons]).toContain(reason);
    }
  });
});
