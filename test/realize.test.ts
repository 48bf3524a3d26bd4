// Realization (issue 8): domain-neutral by default, task-aware for ML, every rule in a prompt,
// every enforcement claim proven, every spec element accounted for.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { compile, type CompileResult } from "../compiler/compile.js";
import { boundProviders, loadProfile } from "../compiler/load-profile.js";
import { readSpec } from "../compiler/read-spec.js";
import { STEP_CONFIG_COMMON, STEP_KINDS } from "../runtime/workflow/index.js";
import { TARGETS } from "../targets/index.js";
import { ROOT } from "./helpers/paths.js";
import { corpusSpecs, expectationOf } from "./helpers/spec.js";
import { runWorkflow } from "./helpers/standin.js";
import { parse as parseYaml } from "yaml";
import { readFrontmatter, splitFrontmatter } from "../targets/claude-code/markdown.js";
import { cooperativeAnswer } from "../runtime/proof/answers.js";

/** Words an ML realization brings with it. A neutral output may use one only if the spec does. */
const ML_VOCABULARY = [
  "gpu", "cuda", "training", "fine-tun", "dataset", "hf jobs", "huggingface", "hugging face", "trackio", "arxiv",
  "oom", "out of memory", "flavor", "preflight", "sequence length", "sequence_length", "learning rate", "epoch",
  "checkpoint", "hf-skills", "model", "hub", "ml-intern",
];

function wordIn(text: string, word: string): boolean {
  return new RegExp(`(?<![a-z])${word.replace(/[-]/g, "\\-")}`, "i").test(text);
}

async function compileSpec(path: string, options: { profile?: string; withLoop?: boolean } = {}): Promise<CompileResult> {
  const profile = options.profile ? loadProfile(options.profile).profile : undefined;
  return compile(readSpec(join(ROOT, path), { displayPath: path }), { target: TARGETS["claude-code"], profile, sourcePath: path, speccVersion: "test", withLoop: options.withLoop });
}

const ALL = [...corpusSpecs(), "specs/ml-research.md", "specs/dataset-curation.md", "specs/eval-benchmark.md"];
const results = new Map<string, CompileResult>();
beforeAll(async () => {
  for (const spec of ALL) results.set(spec, await compileSpec(spec));
}, 60_000);

function compiled(spec: string): CompileResult {
  const result = results.get(spec)!;
  expect(result.problems, `${spec}: ${JSON.stringify(result.problems)}`).toEqual([]);
  expect(result.files.length, `${spec} compiles`).toBeGreaterThan(0);
  return result;
}

describe("profile choice", () => {
  test("a spec that binds no provider gets the neutral profile; one bound to hf-skills gets hf-skills", () => {
    for (const spec of ALL) {
      const result = compiled(spec);
      const bound = boundProviders(result.ir!).includes("hf-skills");
      expect(result.profile!.name, spec).toBe(bound ? "hf-skills" : "neutral");
    }
  });
});

describe("neutral realization", () => {
  const neutral = () => ALL.filter((spec) => compiled(spec).profile!.name === "neutral");

  test("most of the corpus is neutral", () => {
    expect(neutral().length).toBeGreaterThanOrEqual(20);
  });

  test("no ML vocabulary the spec did not write, in any generated file", () => {
    for (const spec of neutral()) {
      const source = readFileSync(join(ROOT, spec), "utf8");
      for (const file of compiled(spec).files) {
        // `model: inherit` is Claude Code's subagent field (use the session's model), not ML.
        const content = file.content.replace(/^model: "?inherit"?$/m, "");
        const found = ML_VOCABULARY.filter((word) => wordIn(content, word) && !wordIn(source, word));
        expect(found, `${spec} → ${file.path}`).toEqual([]);
      }
    }
  });

  test("no provider permissions, no spend hook and no cost cap unless the spec states a budget", () => {
    for (const spec of neutral()) {
      const result = compiled(spec);
      const settings = JSON.parse(result.files.find((file) => file.path === ".claude/settings.json")!.content);
      expect(settings.permissions.allow, spec).toEqual(["Workflow"]);
      expect(settings.hooks, spec).toBeUndefined();
      expect(result.files.some((file) => file.path.startsWith(".claude/hooks/")), spec).toBe(false);
      if (result.pipeline!.contract.origin.costCapUsd === "default") expect(result.pipeline!.contract.costCapUsd, spec).toBeNull();
    }
  });

  test("each phase becomes its own step; gates become code; critics only for verification gates", () => {
    for (const spec of neutral()) {
      const { ir, pipeline } = compiled(spec);
      for (const phase of ir!.phases.filter((candidate) => candidate.kind === "phase")) {
        const steps = pipeline!.steps.filter((step) => step.trace.elements[0] === phase.id);
        expect(steps.length, `${spec} ${phase.id}`).toBeGreaterThan(0);
        const kinds = new Set(steps.map((step) => step.kind));
        for (const gate of phase.gates) {
          const expected = { mandatory: "critic", "smoke-test": "check", checklist: "checklist", approval: "approval" }[gate.kind];
          expect(kinds.has(expected as never), `${spec} ${phase.id} ${gate.kind}`).toBe(true);
        }
        if (!phase.gates.some((gate) => gate.kind === "mandatory")) expect(kinds.has("critic"), `${spec} ${phase.id}`).toBe(false);
      }
      expect(pipeline!.steps.some((step) => step.kind === "completion"), spec).toBe(ir!.completion.length > 0);
    }
  });

  test("every neutral script, with only the runtime it uses, runs to its end under the Workflow API stand-in", async () => {
    for (const spec of neutral()) {
      const { pipeline, files } = compiled(spec);
      const source = files.find((file) => file.path.startsWith(".claude/workflows/"))!.content;
      const args: { [key: string]: unknown } = { task: "the task", approve: pipeline!.steps.filter((step) => step.kind === "approval").map((step) => step.id) };
      for (const param of pipeline!.params) if (param.required) args[param.name] = param.type === "string" ? "value" : 1;
      const { result } = await runWorkflow(source, pipeline!, { args, answer: (_call, info) => cooperativeAnswer({ step: info.step, slot: info.slot, count: info.count, baseline: {} }) });
      expect(result, `${spec}: ${JSON.stringify(result.detail)}`).toMatchObject({ status: "completed", stoppedReason: "completed" });
    }
  });

  test("the post-mortem starts with its own first phase, not an intake that freezes a model", () => {
    const { pipeline } = compiled("test/corpus/postmortem.md");
    expect(pipeline!.steps[0]).toMatchObject({ kind: "agent", title: "Timeline" });
    expect(pipeline!.steps.map((step) => step.kind)).not.toContain("intake");
    expect(pipeline!.protectedKeys).toEqual({});
  });
});

describe("gates written by other authors (third blind round)", () => {
  const third = () => ALL.filter((spec) => spec.startsWith("test/corpus3/"));

  test("every gate the author wrote is found and checked as code", () => {
    expect(third().length).toBe(3);
    for (const spec of third()) {
      const { ir } = compiled(spec);
      const found = ir!.phases.flatMap((phase) => phase.gates.map((gate) => ({ phase: phase.number, kind: gate.kind })));
      expect(found, spec).toEqual(expectationOf(spec).gates);
    }
  });

  test("completion criteria written as one paragraph are read, and checked by a final verification", () => {
    const { ir, pipeline } = compiled("test/corpus3/db-migration.md");
    expect(ir!.completion.map((criterion) => criterion.id)).toEqual(["D1"]);
    expect(ir!.completion[0].text).toMatch(/^The run is complete when all forward scripts are applied/);
    expect(pipeline!.steps.at(-1)).toMatchObject({ kind: "completion", title: "Final verification" });
  });

  test("what the author wrote after an approval gate is told only to a step after the approval step", () => {
    for (const spec of third()) {
      const { pipeline } = compiled(spec);
      const steps = pipeline!.steps;
      for (const quote of expectationOf(spec).afterApproval ?? []) {
        const words = quote.replace(/[`…]/g, "").replace(/\s+/g, " ").trim().slice(0, 40);
        const telling = steps.filter((step) => step.agents.some((agent) => agent.instructions.some((text) => text.replace(/\s+/g, " ").includes(words) && !text.startsWith("Not in this step"))));
        expect(telling.length, `${spec}: ${words}`).toBeGreaterThan(0);
        for (const step of telling) {
          const approval = steps.findIndex((candidate) => candidate.kind === "approval" && candidate.trace.elements[0] === step.trace.elements[0]);
          expect(approval, `${spec}: ${step.id} has no approval step in its phase`).toBeGreaterThanOrEqual(0);
          expect(step.index, `${spec}: ${step.id} runs before its approval`).toBeGreaterThan(approval);
        }
      }
    }
  });
});

describe("every rule reaches a prompt", () => {
  test("each rule id is in at least one generated agent file, with its text", () => {
    for (const spec of ALL) {
      const { ir, files } = compiled(spec);
      const prompts = files.filter((file) => file.path.startsWith(".claude/agents/")).map((file) => file.content).join("\n");
      for (const rule of ir!.rules) expect(prompts.includes(`${rule.id}`), `${spec} ${rule.id}`).toBe(true);
    }
  });

  test("a rule that only names a phase reaches that phase's steps", () => {
    const { pipeline } = compiled("test/corpus/postmortem.md");
    const r2 = pipeline!.enforcement.find((entry) => entry.rule === "R2")!;
    expect(r2.where).toBe("prompt");
    expect(r2.steps).toEqual(["timeline"]);
  });
});

describe("enforcement", () => {
  test("guard claims come only from profile bindings on rule structure, never from words", () => {
    const { pipeline } = compiled("specs/ml-research.md");
    const where = Object.fromEntries(pipeline!.enforcement.map((entry) => [entry.rule, `${entry.where}:${entry.by.join("+")}`]));
    expect(where.R2).toBe("guard:checkScopeChange");
    expect(where.R7).toBe("guard:nextOomRung");
    expect(where.R8).toBe("guard:checkRepetition");
    expect(where.R5).toBe("guard:sizeTimeout+checkSubmitInvariant");
    expect(where.R6).toBe("guard:sizeHardware");
    expect(where.R15).toBe("guard:decideApproval+spend-guard");
    // Rules no guard checks say so.
    expect(where.R3).toBe("prompt:");
    expect(where.R16).toBe("prompt:");
  });

  test("a claim no stand-in run can prove fails the build with SPC404", async () => {
    // The spec protects a value it never takes as a parameter: nothing is frozen, so nothing can stop a change.
    const spec = "test/fixtures/realize/unprovable-claim.md";
    const result = await compileSpec(spec);
    expect(result.files).toEqual([]);
    expect(result.problems).toEqual([
      expect.objectContaining({ code: "SPC404", line: 17, message: expect.stringMatching(/^Unexpected enforcement claim `R1` → `checkScopeChange` without a passing violation run, expected the guard to stop a stand-in run that breaks it: the run ended `completed`/) }),
    ]);
  });

  test("every guard claim carries a passing violation run with that guard's stop reason", () => {
    for (const spec of ALL) {
      const { pipeline } = compiled(spec);
      for (const entry of pipeline!.enforcement.filter((candidate) => candidate.where === "guard")) {
        const guards = entry.by.filter((name) => name !== "spend-guard");
        expect(entry.proofs.map((proof) => proof.guard).sort(), `${spec} ${entry.rule}`).toEqual([...guards].sort());
      }
    }
  });
});

describe("accounting", () => {
  test("every spec element appears in the manifest, with a label and a reason", () => {
    for (const spec of ALL) {
      const { ir, pipeline, files } = compiled(spec);
      const manifest = JSON.parse(files.find((file) => file.path.endsWith(".manifest.json"))!.content);
      const seen = new Set(manifest.accounting.map((entry: { kind: string; element: string }) => `${entry.kind}:${entry.element}`));
      const expected = [
        ...ir!.phases.map((phase) => `phase:${phase.id}`),
        ...ir!.rules.map((rule) => `rule:${rule.id}`),
        ...ir!.contract.guards.map((guard) => `guard:${guard.id}`),
        ...ir!.params.map((param) => `parameter:${param.name}`),
        ...ir!.principles.map((principle) => `principle:${principle.id}`),
        ...ir!.completion.map((criterion) => `criterion:${criterion.id}`),
        ...ir!.capabilities.map((capability) => `capability:${capability.id}`),
        ...ir!.phases.flatMap((phase) => phase.gates.map((gate) => `gate:${phase.id} ${gate.kind} gate`)),
      ];
      for (const key of expected) expect(seen.has(key), `${spec} ${key}`).toBe(true);
      expect(manifest.accounting.filter((entry: { kind: string }) => entry.kind === "section").length, spec).toBe(ir!.sections.length);
      for (const entry of pipeline!.accounting) expect(entry.reason.length, `${spec} ${entry.element}`).toBeGreaterThan(10);
    }
  });

  test("an approval gate that no step checks is never traced kept", () => {
    for (const spec of ALL) {
      for (const entry of compiled(spec).pipeline!.accounting.filter((candidate) => candidate.kind === "gate")) {
        if (entry.label !== "omitted") expect(entry.reason, `${spec} ${entry.element}`).toMatch(/^Checked as code by/);
      }
    }
  });

  test("no reason names a step the pipeline does not have", () => {
    const titles = ["Final verification", "GPU preflight", "CPU smoke test", "Code review", "Full job", "Job readiness"];
    for (const spec of ALL) {
      const { pipeline } = compiled(spec);
      const have = new Set(pipeline!.steps.map((step) => step.title.toLowerCase()));
      const texts = [...pipeline!.steps.map((step) => step.trace.reason), ...pipeline!.accounting.map((entry) => entry.reason)];
      for (const title of titles) {
        if (texts.some((text) => text.toLowerCase().includes(title.toLowerCase()))) expect(have.has(title.toLowerCase()), `${spec}: ${title}`).toBe(true);
      }
    }
  });
});

describe("the canonical spec with the Hugging Face profile", () => {
  test("still the 13 steps, plus the intake's task classes", () => {
    const { pipeline } = compiled("specs/ml-research.md");
    expect(pipeline!.steps.map((step) => `${step.kind}:${step.title}`)).toEqual([
      "intake:Intake and planning",
      "fanout:Research",
      "critic:Verify research",
      "resources:Resources",
      "agent:Data audit",
      "agent:Implement",
      "critic:Code review",
      "smoke:CPU smoke test",
      "preflight:GPU preflight",
      "readiness:Job readiness",
      "job:Full job",
      "agent:Evaluation and persistence",
      "completion:Final verification",
    ]);
    expect(pipeline!.taskClasses).toEqual(["trivial", "training", "evaluation", "inference", "data"]);
    const byTitle = Object.fromEntries(pipeline!.steps.map((step) => [step.title, step.config]));
    expect(byTitle["GPU preflight"].branches).toEqual(["training"]);
    expect(byTitle["CPU smoke test"].branches).not.toContain("evaluation");
    expect(byTitle["Full job"].branches).toBeUndefined();
  });

  test("the implement agent is not told to run the GPU preflight; the preflight agent is", () => {
    const { pipeline } = compiled("specs/ml-research.md");
    const agent = (name: string) => pipeline!.steps.flatMap((step) => step.agents).find((candidate) => candidate.name === name)!;
    const preflight = /MUST run a GPU preflight/;
    expect(agent("ml-research-implement").instructions.filter((text) => preflight.test(text)).every((text) => text.startsWith("Not in this step"))).toBe(true);
    expect(agent("ml-research-gpu-preflight").instructions.some((text) => preflight.test(text) && !text.startsWith("Not in this step"))).toBe(true);
  });

  test("the job monitor is told one check, not to follow the job to the end", () => {
    const { pipeline } = compiled("specs/ml-research.md");
    const monitor = pipeline!.steps.flatMap((step) => step.agents).find((candidate) => candidate.name === "ml-research-full-job-monitor")!;
    expect(monitor.instructions.join("\n")).not.toMatch(/MUST follow the job until it completes/);
  });

  test("a spec's own smoke-test gate runs for every task class; only training code's smoke test is a training branch", () => {
    const { pipeline } = compiled("specs/eval-benchmark.md");
    expect(pipeline!.steps.map((step) => step.title)).toEqual(["Intake", "Resources", "Implement", "Code review", "CPU smoke test", "Job readiness", "Full job", "Analysis and report", "Final verification"]);
    expect(pipeline!.steps.find((step) => step.kind === "smoke")!.config.branches).toBeUndefined();
  });

  test("dataset curation gets no GPU preflight, and its approval and checklist gates are steps", () => {
    const { pipeline } = compiled("specs/dataset-curation.md");
    const kinds = pipeline!.steps.map((step) => step.kind);
    expect(kinds).not.toContain("preflight");
    expect(kinds).toContain("approval");
    expect(kinds).toContain("checklist");
  });
});

describe("agent frontmatter", () => {
  test("compile's strict reader and a full YAML parser read every generated agent file alike", () => {
    let files = 0;
    for (const spec of ALL) {
      for (const file of compiled(spec).files.filter((candidate) => candidate.path.startsWith(".claude/agents/"))) {
        const parts = splitFrontmatter(file.content)!;
        const read = readFrontmatter(parts.yaml);
        expect("fields" in read, `${spec} ${file.path}`).toBe(true);
        expect({ ...(read as { fields: object }).fields }, `${spec} ${file.path}`).toEqual(parseYaml(parts.yaml));
        files++;
      }
    }
    expect(files).toBeGreaterThan(200);
  });

  test("the strict reader refuses what the printer never writes", () => {
    expect(readFrontmatter('name: "a"\nname: "b"\n')).toMatchObject({ line: 3 });
    expect(readFrontmatter("name: a plain scalar\n")).toMatchObject({ line: 2 });
    expect(readFrontmatter('tools: "x"\n  - "y"\n')).toMatchObject({ line: 3 });
    expect(readFrontmatter('name: "\u2028"\n')).toMatchObject({ line: 2 });
    expect(readFrontmatter('skills:\n  - "a"\nmaxTurns: 3\n')).toEqual({ fields: { skills: ["a"], maxTurns: 3 } });
  });
});

describe("one registry of step kinds", () => {
  test("the profile schema's kinds are the registry's", () => {
    const schema = JSON.parse(readFileSync(join(ROOT, "compiler/schema/profile.schema.json"), "utf8"));
    expect([...schema.$defs.stepKind.enum].sort()).toEqual(Object.keys(STEP_KINDS).sort());
  });

  test("every step's config is what its kind's driver reads, with the registry's types", () => {
    const typeOf = (value: unknown): string =>
      Array.isArray(value) ? `${value.length > 0 && typeof value[0] === "object" ? "object" : "string"}[]` : Number.isInteger(value) ? "integer" : value === null ? "null" : typeof value;
    const fits = (declared: string, actual: string) => declared === actual || (declared === "number" && actual === "integer") || (declared.endsWith("[]") && actual.endsWith("[]")) || actual === "null";
    for (const spec of ALL) {
      for (const step of compiled(spec).pipeline!.steps) {
        const declared: { [key: string]: string } = { ...STEP_CONFIG_COMMON, ...(STEP_KINDS[step.kind] as { config: { [key: string]: string } }).config };
        for (const [key, value] of Object.entries(step.config)) {
          expect(Object.hasOwn(declared, key), `${spec} ${step.id}: ${key}`).toBe(true);
          expect(fits(declared[key], typeOf(value)), `${spec} ${step.id}: ${key} is ${typeOf(value)}, declared ${declared[key]}`).toBe(true);
        }
      }
    }
  });

  test("every step kind a bundled profile uses is in the registry", () => {
    for (const name of ["neutral", "hf-skills"]) {
      const { profile } = loadProfile(name);
      for (const pattern of profile.patterns) for (const step of pattern.steps) expect(Object.hasOwn(STEP_KINDS, step.kind), `${name} ${step.kind}`).toBe(true);
    }
  });
});
