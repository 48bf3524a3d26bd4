// The compiler inlines runtime/core and runtime/workflow into one workflow-script
// scope (imports and `export ` stripped, files concatenated). These checks keep
// the driver inlinable under the same rules as the core, plus the driver's own:
// async functions are allowed, the workflow globals are reached only through `wf`.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "acorn";
import { transformWithOxc } from "vite";
import { describe, expect, it } from "vitest";

const runtimeDir = join(import.meta.dirname, "..", "runtime");

function folderSources(folder: "core" | "workflow") {
  return readdirSync(join(runtimeDir, folder))
    .filter((name) => name.endsWith(".ts") && name !== "index.ts")
    .sort()
    .map((name) => ({ folder, name, path: `${folder}/${name}`, text: readFileSync(join(runtimeDir, folder, name), "utf8") }));
}

const core = folderSources("core");
const workflow = folderSources("workflow");

// Checked on the source text, comments included: the workflow validator
// rejects even a mention of the clock or randomness.
const forbiddenSource: [string, RegExp][] = [
  ["Date", /\bDate\b/],
  ["Math.random", /Math\s*\.\s*random/],
  ["process", /\bprocess\s*\./],
  ["globalThis", /\bglobalThis\b/],
  ["require", /\brequire\s*\(/],
  ["dynamic import", /\bimport\s*\(/],
  ["node: module", /["']node:/],
  ["class", /^\s*(export\s+)?(abstract\s+)?class\s/m],
  ["enum", /^\s*(export\s+)?(const\s+)?enum\s/m],
  ["namespace", /^\s*(export\s+)?(declare\s+)?(namespace|module)\s/m],
  ["default export", /\bexport\s+default\b/],
  ["export list", /^\s*export\s*(type\s*)?\{/m],
  ["export star", /^\s*export\s*\*/m],
  ["export let/var", /^\s*export\s+(let|var)\s/m],
  ["crypto", /\bcrypto\b/],
  ["timers", /\bset(Timeout|Interval|Immediate)\b/],
  ["fetch", /\bfetch\s*\(/],
  ["eval", /\beval\s*\(|\bnew\s+Function\b/],
];

// Globals a pure driver must not reach: I/O, clocks, randomness, host objects.
const forbiddenIdentifiers = new Set([
  "Date", "process", "globalThis", "require", "eval", "Function", "crypto", "performance", "window", "self",
  "fetch", "setTimeout", "setInterval", "setImmediate", "queueMicrotask", "Promise", "Map", "Set", "WeakMap",
  "WeakSet", "WeakRef", "Proxy", "Reflect", "Symbol", "console", "Buffer", "module", "exports", "__dirname",
]);

// The workflow script's own globals: the driver reaches agent/parallel/log only through `wf`,
// and never names (or shadows) any of them, so a stray global use cannot hide. (`pipeline` is
// the driver's parameter name for the pipeline IR; it is always bound, and the script test
// below poisons the global anyway.)
const workflowGlobals = new Set(["agent", "parallel", "phase", "log", "args", "budget", "workflow"]);

// Names the generated script declares next to the inlined runtime, and its globals.
const scriptNames = new Set(["meta", "PIPELINE", "wf", "run", "pipeline", ...workflowGlobals]);

type Node = { type: string; [key: string]: any };

async function eraseTypes(name: string, text: string): Promise<string> {
  const result = await transformWithOxc(text, name, { lang: "ts" });
  return result.code;
}

function walk(node: unknown, visit: (node: Node) => void): void {
  if (!node || typeof node !== "object") return;
  if (Array.isArray(node)) return node.forEach((child) => walk(child, visit));
  const current = node as Node;
  if (typeof current.type === "string") visit(current);
  // A non-computed property name is not a reference to a global.
  if (current.type === "Property" && !current.computed && !current.shorthand) return walk(current.value, visit);
  if (current.type === "MemberExpression" && !current.computed) return walk(current.object, visit);
  for (const [key, value] of Object.entries(current)) {
    if (key !== "type" && key !== "start" && key !== "end") walk(value, visit);
  }
}

/** Literal data only: no calls, no identifiers, no functions. */
function isLiteralData(node: Node): boolean {
  switch (node.type) {
    case "Literal":
      return !(node as any).regex;
    case "TemplateLiteral":
      return node.expressions.length === 0;
    case "UnaryExpression":
      return node.operator === "-" && isLiteralData(node.argument);
    case "ArrayExpression":
      return node.elements.every((element: Node | null) => element !== null && isLiteralData(element));
    case "ObjectExpression":
      return node.properties.every(
        (property: Node) =>
          property.type === "Property" && !property.computed && property.kind === "init" && !property.method && isLiteralData(property.value),
      );
    default:
      return false;
  }
}

/**
 * The step-kind registry: an object of kinds, each an object of literal data
 * whose `run` names a driver function (an identifier, checked below to be a
 * top-level async function). Nothing else in it may be code.
 */
function isKindRegistry(node: Node): boolean {
  if (node.type !== "ObjectExpression") return false;
  return node.properties.every(
    (kind: Node) =>
      kind.type === "Property" && !kind.computed && kind.kind === "init" && kind.value.type === "ObjectExpression" &&
      kind.value.properties.every((field: Node) =>
        field.type === "Property" && !field.computed && field.kind === "init" &&
        ((field.key.name === "run" && field.value.type === "Identifier") || (field.key.name !== "run" && isLiteralData(field.value)))),
  );
}

/** The driver names `STEP_KINDS` refers to, by kind. */
function registryDrivers(program: Node): { [kind: string]: string } {
  const drivers: { [kind: string]: string } = {};
  for (const statement of program.body as Node[]) {
    const declaration = statement.type === "ExportNamedDeclaration" ? statement.declaration : statement;
    if (declaration?.type !== "VariableDeclaration") continue;
    for (const item of declaration.declarations) {
      if (item.id.name !== "STEP_KINDS") continue;
      for (const kind of item.init.properties) {
        const run = kind.value.properties.find((field: Node) => field.key.name === "run");
        drivers[kind.key.name ?? kind.key.value] = run ? run.value.name : "";
      }
    }
  }
  return drivers;
}

/** Check one top-level statement and return the names it declares. */
function topLevelNames(folder: "core" | "workflow", statement: Node, problems: string[]): string[] {
  if (statement.type === "ImportDeclaration") {
    const allowed = folder === "core" ? /^\.\/[a-z-]+\.js$/ : /^(\.\/[a-z-]+|\.\.\/core\/[a-z-]+)\.js$/;
    if (!allowed.test(statement.source.value)) problems.push("import from " + statement.source.value);
    return [];
  }
  // A types-only file erases to `export {};`, which the inliner drops.
  if (statement.type === "ExportNamedDeclaration" && !statement.declaration && !statement.source && statement.specifiers.length === 0) return [];
  const declaration = statement.type === "ExportNamedDeclaration" ? statement.declaration : statement;
  if (!declaration) {
    problems.push("export list or re-export");
    return [];
  }
  if (declaration.type === "FunctionDeclaration") {
    if (declaration.generator) problems.push("generator function " + declaration.id.name);
    if (declaration.async && folder === "core") problems.push("async function in the core " + declaration.id.name);
    return [declaration.id.name];
  }
  if (declaration.type === "VariableDeclaration" && declaration.kind === "const") {
    return declaration.declarations.map((item: Node) => {
      const registry = folder === "workflow" && item.id.name === "STEP_KINDS" && item.init && isKindRegistry(item.init);
      if (!registry && (!item.init || !isLiteralData(item.init))) problems.push("const " + item.id.name + " is not plain literal data");
      return item.id.name;
    });
  }
  problems.push("top-level " + declaration.type);
  return [];
}

/** Deep checks on the type-erased code of one driver file. */
function bodyProblems(program: Node): string[] {
  const problems: string[] = [];
  walk(program, (node) => {
    if (node.type === "Identifier" && forbiddenIdentifiers.has(node.name)) problems.push("identifier " + node.name);
    if (node.type === "Identifier" && workflowGlobals.has(node.name)) problems.push("workflow global " + node.name + " (use wf.*)");
    if (node.type === "ClassDeclaration" || node.type === "ClassExpression") problems.push("class");
    if (node.type === "ImportExpression") problems.push("import()");
    if (node.type === "ThisExpression") problems.push("this");
    if (node.type === "NewExpression" && !(node.callee.type === "Identifier" && ["RegExp", "Error"].includes(node.callee.name))) {
      problems.push("new " + (node.callee.name ?? "expression"));
    }
    if (node.type === "MemberExpression" && node.object.type === "Identifier" && node.object.name === "Math" && node.property.name === "random") {
      problems.push("Math.random");
    }
  });
  return problems;
}

async function erasedPrograms(sources: { folder: "core" | "workflow"; name: string; path: string; text: string }[]) {
  return Promise.all(
    sources.map(async ({ folder, name, path, text }) => {
      const code = await eraseTypes(name, text);
      // ecmaVersion 2022 fails on any later syntax the workflow runtime may not accept.
      const program = parse(code, { ecmaVersion: 2022, sourceType: "module" }) as unknown as Node;
      return { folder, name, path, code, program };
    }),
  );
}

/** What the compiler does with the compiled files: drop imports and `export `, concatenate core then workflow. */
function inlineRuntime(codes: string[]): string {
  return codes
    .map((code) =>
      code
        .split("\n")
        .filter((line) => !/^import\s/.test(line) && !/^export \{\s*\};?$/.test(line))
        .map((line) => line.replace(/^export\s+/, ""))
        .join("\n"),
    )
    .join("\n");
}

const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor as new (...args: string[]) => (...values: unknown[]) => Promise<any>;

const poisoned = () => {
  throw new Error("forbidden in workflow scripts");
};
const math = Object.create(Math, { random: { value: poisoned } });

/** A tiny pipeline: intake, one agent step, a checklist and a completion critic. */
function tinyPipeline() {
  const agentSchema = { type: "object", required: [] };
  return {
    pipelineVersion: 1,
    name: "tiny",
    params: [{ name: "task", type: "string", required: true, default: null, description: "the task" }],
    contract: { maxIterations: 20, maxRetries: 1, repetition: { window: 30, identicalStreak: 3, cycleMinLength: 2, cycleMaxLength: 5, cycleRepeats: 2 }, costCapUsd: 5 },
    steps: [
      { id: "intake", index: 0, title: "Intake", kind: "intake", config: {}, agents: [{ name: "tiny-intake", role: "worker", schema: agentSchema }] },
      { id: "work", index: 1, title: "Work", kind: "agent", config: {}, agents: [{ name: "tiny-work", role: "worker", schema: agentSchema }] },
      { id: "done", index: 2, title: "Done", kind: "completion", config: { criteria: [{ id: "C1", text: "it worked" }] }, agents: [{ name: "tiny-done", role: "critic", schema: agentSchema }] },
    ],
  };
}

const answers: Record<string, unknown> = {
  "tiny-intake": { summary: "s", task_type: "training", baseline: { method: "sft", model: "m", dataset: "d", sequence_length: 512 }, plan: ["x"], needs_clarification: false, question: "" },
  "tiny-work": { status: "done", summary: "ok", outputs: {}, evidence: ["e"] },
  "tiny-done": { criteria: [{ id: "C1", met: true, evidence: "e" }], verdict: "pass", summary: "ok" },
};

describe("runtime workflow driver stays inlinable", () => {
  it("has the driver files", () => {
    expect(workflow.map((entry) => entry.name)).toEqual(expect.arrayContaining(["run.ts", "state.ts", "agents.ts", "schemas.ts"]));
  });

  for (const { path, text } of workflow) {
    it(`${path} has no forbidden tokens in its source`, () => {
      const found = forbiddenSource.filter(([, pattern]) => pattern.test(text)).map(([label]) => label);
      expect(found).toEqual([]);
    });

    it(`${path} imports only the core and siblings, on single lines`, () => {
      const imports = text.split("\n").filter((line) => /^import\b/.test(line));
      for (const line of imports) {
        expect(line).toMatch(/^import (type )?\{[^}]*\} from "(\.\/[a-z-]+|\.\.\/core\/[a-z-]+)\.js";$/);
      }
      expect(text).not.toMatch(/^import[^\n;]*\n/m);
    });
  }

  it("declares only functions and literal consts, with names unique across core and workflow", async () => {
    const owners = new Map<string, string>();
    const problems: string[] = [];
    for (const { folder, path, program } of await erasedPrograms([...core, ...workflow])) {
      for (const statement of program.body as Node[]) {
        for (const declared of topLevelNames(folder, statement, problems)) {
          if (owners.has(declared)) problems.push(`${declared} in ${path} and ${owners.get(declared)}`);
          if (scriptNames.has(declared)) problems.push(`${declared} in ${path} collides with a name of the generated script`);
          owners.set(declared, path);
        }
      }
      if (folder === "workflow") problems.push(...bodyProblems(program).map((problem) => `${path}: ${problem}`));
    }
    expect(problems).toEqual([]);
    expect([...owners.keys()]).toEqual(expect.arrayContaining(["startRun", "runStep", "finishRun", "callAgent", "agentSchemaFor", "STOP_REASONS", "STEP_KINDS", "GUARD_STOP_REASONS"]));
  });

  it("STEP_KINDS names a top-level async driver function for every kind", async () => {
    const programs = await erasedPrograms(workflow);
    const kinds = programs.find((entry) => entry.name === "kinds.ts")!;
    const drivers = registryDrivers(kinds.program);
    expect(Object.keys(drivers).length).toBeGreaterThan(10);
    const asyncFunctions = new Set<string>();
    for (const { program } of programs) {
      for (const statement of program.body as Node[]) {
        const declaration = statement.type === "ExportNamedDeclaration" ? statement.declaration : statement;
        if (declaration?.type === "FunctionDeclaration" && declaration.async) asyncFunctions.add(declaration.id.name);
      }
    }
    for (const [kind, driver] of Object.entries(drivers)) expect(asyncFunctions.has(driver), kind + " -> " + driver).toBe(true);
  });

  it("the checks catch what they are for", async () => {
    const [bad] = await erasedPrograms([
      { folder: "workflow", name: "bad.ts", path: "workflow/bad.ts", text: "export async function f(x: number) { log('x'); await agent('p'); return new Date(); }\nexport const N = [1, f];\n" },
    ]);
    const problems: string[] = [];
    for (const statement of bad.program.body as Node[]) topLevelNames("workflow", statement, problems);
    problems.push(...bodyProblems(bad.program));
    expect(problems).toEqual(expect.arrayContaining(["const N is not plain literal data", "workflow global log (use wf.*)", "workflow global agent (use wf.*)", "identifier Date", "new Date"]));
  });

  it("runs as the generated script does, with the clock and randomness poisoned", async () => {
    const programs = await erasedPrograms([...core, ...workflow]);
    const runtime = inlineRuntime(programs.map((entry) => entry.code));
    expect(runtime).not.toMatch(/^\s*(import|export)\s/m);
    // Exactly the step sequence the compiler generates after the inlined runtime.
    const script = [
      '"use strict";',
      runtime,
      `const PIPELINE = ${JSON.stringify(tinyPipeline())};`,
      "const wf = { agent, parallel, log };",
      "let run = startRun(PIPELINE, args);",
      "if (run.stop) return finishRun(PIPELINE, run);",
      'phase("Intake");',
      "run = await runStep(wf, PIPELINE, PIPELINE.steps[0], run);",
      "if (run.stop) return finishRun(PIPELINE, run);",
      'phase("Work");',
      "run = await runStep(wf, PIPELINE, PIPELINE.steps[1], run);",
      "if (run.stop) return finishRun(PIPELINE, run);",
      'phase("Done");',
      "run = await runStep(wf, PIPELINE, PIPELINE.steps[2], run);",
      "if (run.stop) return finishRun(PIPELINE, run);",
      "return finishRun(PIPELINE, run);",
    ].join("\n");
    const calls: { prompt: string; options: any }[] = [];
    const logs: string[] = [];
    const phases: string[] = [];
    const agent = async (prompt: string, options: any) => {
      calls.push({ prompt, options });
      return answers[options.agentType] ?? null;
    };
    const parallel = async (thunks: (() => Promise<unknown>)[]) => Promise.all(thunks.map((thunk) => thunk().catch(() => null)));
    const names = ["Math", "Date", "process", "globalThis", "agent", "parallel", "log", "phase", "args"];
    const body = new AsyncFunction(...names, script);
    const result = await body(math, poisoned, undefined, undefined, agent, parallel, (line: string) => logs.push(line), (title: string) => phases.push(title), "train a tiny model, cost cap: $3");
    expect(result.status).toBe("completed");
    expect(result.stoppedReason).toBe("completed");
    expect(result.spend.capUsd).toBe(3);
    expect(phases).toEqual(["Intake", "Work", "Done"]);
    expect(calls.map((call) => call.options.agentType)).toEqual(["tiny-intake", "tiny-work", "tiny-done"]);
    expect(calls[1].options).toMatchObject({ label: "work · tiny-work · attempt 1 · call 2", phase: "Work", agentType: "tiny-work" });
    expect(JSON.parse(JSON.stringify(result))).toEqual(result);

    // A failing agent stops the run through the same script, with the reason returned.
    const failing = async (prompt: string, options: any) => (options.agentType === "tiny-work" ? null : agent(prompt, options));
    const stopped = await body(math, poisoned, undefined, undefined, failing, parallel, (line: string) => logs.push(line), () => undefined, { task: "x" });
    expect(stopped).toMatchObject({ status: "stopped", stoppedReason: "agent-failed", step: "work" });
    expect(logs.some((line) => line.includes("agent-failed"))).toBe(true);
  });

  it("runs a neutral pipeline (task class, check, checklist, approval gate) as the generated script does", async () => {
    const programs = await erasedPrograms([...core, ...workflow]);
    const runtime = inlineRuntime(programs.map((entry) => entry.code));
    const schema = { type: "object", required: [] };
    const pipeline = {
      name: "neutral",
      params: [{ name: "topic", type: "string", required: true, default: null }],
      contract: { maxIterations: 20, maxRetries: 1, repetition: { window: 30, identicalStreak: 3, cycleMinLength: 2, cycleMaxLength: 5, cycleRepeats: 2 }, costCapUsd: null },
      protectedKeys: {},
      steps: [
        { id: "intake", title: "Intake", kind: "intake", config: { classes: ["trivial", "writing"] }, agents: [{ name: "n-intake", role: "worker", schema }] },
        { id: "links", title: "Links", kind: "check", config: { check: "links resolve" }, agents: [{ name: "n-check", role: "worker", schema }] },
        { id: "ready", title: "Ready", kind: "checklist", config: { items: ["cited"] }, agents: [{ name: "n-list", role: "worker", schema }] },
        { id: "gate", title: "Gate", kind: "approval", config: { gate: "a human signs off" }, agents: [] },
      ],
    };
    const replies: Record<string, unknown> = {
      "n-intake": { summary: "s", baseline: {}, plan: [], needs_clarification: false, question: null, task_class: "writing", answer: null },
      "n-check": { passed: true, command_or_method: "curl", evidence: "200", summary: "ok" },
      "n-list": { items: [{ item: "cited", satisfied: true, evidence: "footer" }] },
    };
    const script = [
      '"use strict";',
      runtime,
      `const PIPELINE = ${JSON.stringify(pipeline)};`,
      "const wf = { agent, parallel, log };",
      "let run = startRun(PIPELINE, args);",
      "for (const step of PIPELINE.steps) { if (run.stop) break; run = await runStep(wf, PIPELINE, step, run); }",
      "return finishRun(PIPELINE, run);",
    ].join("\n");
    const names = ["Math", "Date", "process", "globalThis", "agent", "parallel", "log", "phase", "args"];
    const body = new AsyncFunction(...names, script);
    const agent = async (_prompt: string, options: any) => replies[options.agentType] ?? null;
    const parallel = async (thunks: (() => Promise<unknown>)[]) => Promise.all(thunks.map((thunk) => thunk()));
    const asked = await body(math, poisoned, undefined, undefined, agent, parallel, () => undefined, () => undefined, "March");
    expect(asked).toMatchObject({ status: "stopped", stoppedReason: "needs-approval", step: "gate", taskClass: "writing", spend: { capUsd: null } });
    expect(asked.detail).toContain('{"approve": ["gate"]}');
    const approved = await body(math, poisoned, undefined, undefined, agent, parallel, () => undefined, () => undefined, { topic: "March", approve: "gate" });
    expect(approved).toMatchObject({ status: "completed", stoppedReason: "completed" });
  });

  it("the driver never reaches the agent, parallel or log globals (only wf)", async () => {
    const programs = await erasedPrograms([...core, ...workflow]);
    const runtime = inlineRuntime(programs.map((entry) => entry.code));
    const script = `"use strict";\n${runtime}\nreturn { startRun, runStep, finishRun };`;
    const names = ["Math", "Date", "process", "globalThis", "agent", "parallel", "log", "phase", "args", "pipeline", "budget", "workflow"];
    const driver = new Function(...names, script)(math, poisoned, undefined, undefined, poisoned, poisoned, poisoned, poisoned, undefined, poisoned, undefined, poisoned);
    const pipeline = tinyPipeline();
    const wf = {
      agent: async (_prompt: string, options: any) => answers[options.agentType] ?? null,
      parallel: async (thunks: (() => Promise<unknown>)[]) => Promise.all(thunks.map((thunk) => thunk())),
      log: () => undefined,
    };
    let run = driver.startRun(pipeline, { task: "t" });
    for (const step of pipeline.steps) run = await driver.runStep(wf, pipeline, step, run);
    expect(driver.finishRun(pipeline, run).stoppedReason).toBe("completed");
  });

  it("the code every neutral pipeline keeps mentions no machine-learning words", async () => {
    const all = [...core, ...workflow];
    const programs = await erasedPrograms(all);
    // Top-level declarations and the names they mention (STEP_KINDS: per kind).
    const decls = new Map<string, { path: string; refs: Set<string>; kinds?: Map<string, Set<string>> }>();
    for (const { path, program } of programs) {
      for (const statement of program.body as Node[]) {
        const declaration = statement.type === "ExportNamedDeclaration" ? statement.declaration : statement;
        if (!declaration) continue;
        const items: [string, Node][] =
          declaration.type === "FunctionDeclaration" ? [[declaration.id.name, declaration]] : declaration.type === "VariableDeclaration" ? declaration.declarations.map((item: Node) => [item.id.name, item.init]) : [];
        for (const [name, node] of items) {
          const names = (target: Node) => {
            const found = new Set<string>();
            walk(target, (child) => {
              if (child.type === "Identifier") found.add(child.name);
            });
            return found;
          };
          if (name === "STEP_KINDS") {
            const kinds = new Map<string, Set<string>>();
            for (const property of node.properties) kinds.set(property.key.name, names(property.value));
            decls.set(name, { path, refs: new Set(), kinds });
          } else {
            decls.set(name, { path, refs: names(node) });
          }
        }
      }
    }
    const neutralKinds = ["intake", "agent", "fanout", "critic", "check", "checklist", "approval", "completion"];
    const reached = new Set<string>();
    const queue = ["startRun", "runStep", "finishRun"];
    while (queue.length > 0) {
      const name = queue.pop()!;
      if (reached.has(name) || !decls.has(name)) continue;
      reached.add(name);
      const entry = decls.get(name)!;
      for (const ref of entry.refs) queue.push(ref);
      if (entry.kinds) for (const kind of neutralKinds) for (const ref of entry.kinds.get(kind) ?? []) queue.push(ref);
    }
    expect(reached.has("STEP_KINDS")).toBe(true);
    expect(reached.has("runCheckStep")).toBe(true);
    expect(reached.has("runPreflightStep")).toBe(false);
    // Each kept declaration's source (with its doc comment), and the header of each file that keeps one.
    const sourceOf = new Map(all.map((entry) => [entry.path, entry.text]));
    const texts: [string, string][] = [];
    const files = new Set<string>();
    for (const name of reached) {
      const { path } = decls.get(name)!;
      files.add(path);
      let text = declarationSource(sourceOf.get(path)!, name);
      if (name === "STEP_KINDS") {
        for (const kind of Object.keys((await import("../runtime/workflow/kinds.js")).STEP_KINDS)) {
          if (!neutralKinds.includes(kind)) text = text.replace(new RegExp("^  " + kind + ": \\{[\\s\\S]*?^  \\},\\n", "m"), "");
        }
      }
      texts.push([path + " " + name, text]);
    }
    for (const path of files) texts.push([path + " header", sourceOf.get(path)!.split(/\n(?=import |export |function |const |async )/)[0]]);
    const words: [string, RegExp][] = [
      ["training", /training/i], ["model", /model/i], ["dataset", /dataset/i], ["GPU", /gpu/i], ["OOM", /(?<![A-Za-z])oom|[a-z]Oom/],
      ["flavor", /flavou?r/i], ["fine-tune", /fine[-_ ]?tun/i], ["epoch", /epoch/i], ["learning rate", /learning[-_ ]?rate/i],
      ["sequence length", /sequence[-_ ]?length/i], ["preflight", /preflight/i], ["Hugging Face", /hugging[-_ ]?face/i],
      ["hf", /(?<![A-Za-z])hf(?![A-Za-z])/i], ["trackio", /trackio/i], ["checkpoint", /checkpoint/i],
    ];
    const found = texts.flatMap(([where, text]) => words.filter(([, pattern]) => pattern.test(text)).map(([word]) => where + ": " + word));
    expect(found).toEqual([]);
    expect(texts.length).toBeGreaterThan(40);
  });
});

/** The source of one top-level declaration: its doc comment, then up to the next top-level statement. */
function declarationSource(text: string, name: string): string {
  const lines = text.split("\n");
  const start = lines.findIndex((line) => new RegExp("^(export )?(async )?(function|const) " + name + "\\b").test(line));
  if (start === -1) throw new Error("no declaration of " + name);
  let first = start;
  while (first > 0 && /^(\/\*\*| \*|\/\/)/.test(lines[first - 1])) first--;
  let end = start + 1;
  while (end < lines.length && !/^(export |function |async function |const |interface |type |\/\*\*|\/\/)/.test(lines[end])) end++;
  return lines.slice(first, end).join("\n");
}
