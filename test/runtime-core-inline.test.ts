// The compiler strips imports and `export ` from runtime/core and concatenates
// the files into one workflow-script scope. These checks keep that possible.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "acorn";
import { transformWithOxc } from "vite";
import { describe, expect, it } from "vitest";

const coreDir = join(import.meta.dirname, "..", "runtime", "core");
const files = readdirSync(coreDir)
  .filter((name) => name.endsWith(".ts") && name !== "index.ts")
  .sort();
const sources = files.map((name) => ({ name, text: readFileSync(join(coreDir, name), "utf8") }));

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
  ["async", /\basync\s+(function|\()/],
  ["await", /\bawait\s/],
  ["crypto", /\bcrypto\b/],
  ["timers", /\bset(Timeout|Interval|Immediate)\b/],
  ["fetch", /\bfetch\s*\(/],
  ["eval", /\beval\s*\(|\bnew\s+Function\b/],
];

// Globals a pure core must not reach: I/O, clocks, randomness, host objects.
const forbiddenIdentifiers = new Set([
  "Date", "process", "globalThis", "require", "eval", "Function", "crypto", "performance", "window", "self",
  "fetch", "setTimeout", "setInterval", "setImmediate", "queueMicrotask", "Promise", "Map", "Set", "WeakMap",
  "WeakSet", "WeakRef", "Proxy", "Reflect", "Symbol", "console", "Buffer", "module", "exports", "__dirname",
]);

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
  if (current.type === "Property" && !current.computed) return walk(current.value, visit);
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

/** Check one top-level statement and return the names it declares. */
function topLevelNames(statement: Node, problems: string[]): string[] {
  if (statement.type === "ImportDeclaration") {
    if (!/^\.\/[a-z-]+\.js$/.test(statement.source.value)) problems.push("import from " + statement.source.value);
    return [];
  }
  const declaration = statement.type === "ExportNamedDeclaration" ? statement.declaration : statement;
  if (!declaration) {
    problems.push("export list or re-export");
    return [];
  }
  if (declaration.type === "FunctionDeclaration") {
    if (declaration.async || declaration.generator) problems.push("async or generator function " + declaration.id.name);
    return [declaration.id.name];
  }
  if (declaration.type === "VariableDeclaration" && declaration.kind === "const") {
    return declaration.declarations.map((item: Node) => {
      if (!item.init || !isLiteralData(item.init)) problems.push("const " + item.id.name + " is not plain literal data");
      return item.id.name;
    });
  }
  problems.push("top-level " + declaration.type);
  return [];
}

/** Deep checks on the type-erased code of one file. */
function bodyProblems(program: Node): string[] {
  const problems: string[] = [];
  walk(program, (node) => {
    if (node.type === "Identifier" && forbiddenIdentifiers.has(node.name)) problems.push("identifier " + node.name);
    if (node.type === "ClassDeclaration" || node.type === "ClassExpression") problems.push("class");
    if (node.type === "ImportExpression") problems.push("import()");
    if (node.type === "ThisExpression") problems.push("this");
    if (node.type === "AwaitExpression") problems.push("await");
    if (node.type === "NewExpression" && !(node.callee.type === "Identifier" && ["RegExp", "Error"].includes(node.callee.name))) {
      problems.push("new " + (node.callee.name ?? "expression"));
    }
    if (node.type === "MemberExpression" && node.object.type === "Identifier" && node.object.name === "Math" && node.property.name === "random") {
      problems.push("Math.random");
    }
  });
  return problems;
}

async function erasedPrograms() {
  return Promise.all(
    sources.map(async ({ name, text }) => {
      const code = await eraseTypes(name, text);
      // ecmaVersion 2022 fails on any later syntax the workflow runtime may not accept.
      const program = parse(code, { ecmaVersion: 2022, sourceType: "module" }) as unknown as Node;
      return { name, code, program };
    }),
  );
}

/** What the compiler will do with the compiled files: drop imports and `export `, concatenate. */
function inlineCore(codes: string[]): string {
  return codes
    .map((code) =>
      code
        .split("\n")
        .filter((line) => !/^import\s/.test(line))
        .map((line) => line.replace(/^export\s+/, ""))
        .join("\n"),
    )
    .join("\n");
}

describe("runtime core stays inlinable", () => {
  it("has the expected core files", () => {
    expect(files).toEqual(
      expect.arrayContaining(["approval.ts", "failures.ts", "hash.ts", "ledger.ts", "oom.ts", "repetition.ts", "scope.ts", "sizing.ts", "submit.ts"]),
    );
  });

  for (const { name, text } of sources) {
    it(`${name} has no forbidden tokens in its source`, () => {
      const found = forbiddenSource.filter(([, pattern]) => pattern.test(text)).map(([label]) => label);
      expect(found).toEqual([]);
    });

    it(`${name} imports only siblings, on single lines`, () => {
      const imports = text.split("\n").filter((line) => /^import\b/.test(line));
      for (const line of imports) {
        expect(line).toMatch(/^import (type )?\{[^}]*\} from "\.\/[a-z-]+\.js";$/);
      }
      // An import continued on the next line would survive line-based stripping.
      expect(text).not.toMatch(/^import[^\n;]*\n/m);
    });
  }

  it("only declares functions and literal consts at the top level, with unique names", async () => {
    const owners = new Map<string, string>();
    const problems: string[] = [];
    for (const { name, program } of await erasedPrograms()) {
      for (const statement of program.body as Node[]) {
        for (const declared of topLevelNames(statement, problems)) {
          if (owners.has(declared)) problems.push(`${declared} in ${name} and ${owners.get(declared)}`);
          owners.set(declared, name);
        }
      }
      problems.push(...bodyProblems(program).map((problem) => `${name}: ${problem}`));
    }
    expect(problems).toEqual([]);
    expect(owners.size).toBeGreaterThan(40);
  });

  it("runs as one concatenated plain script with the clock and randomness poisoned", async () => {
    const programs = await erasedPrograms();
    const script = inlineCore(programs.map((entry) => entry.code));
    expect(script).not.toMatch(/^\s*(import|export)\s/m);
    const poisoned = () => {
      throw new Error("forbidden in workflow scripts");
    };
    const math = Object.create(Math, { random: { value: poisoned } });
    const names = ["hashString", "stableStringify", "checkRepetition", "nextOomRung", "reserveBatch", "decideApproval", "classifyFailureLog", "sizeHardware", "checkSubmitInvariant", "checkScopeChange", "planFailureFix"];
    const body = `"use strict";\n${script}\nreturn { ${names.join(", ")} };`;
    const core = new Function("Math", "Date", "process", "globalThis", body)(math, poisoned, undefined, undefined);
    expect(core.hashString("a")).toMatch(/^[0-9a-f]{14}$/);
    expect(core.checkRepetition(["x", "x", "x"]).kind).toBe("identical");
    expect(core.nextOomRung({ rung: 0, attempts: 0 }, { per_device_train_batch_size: 4, gradient_accumulation_steps: 2 }).changes).toEqual({
      per_device_train_batch_size: 2,
      gradient_accumulation_steps: 4,
    });
    expect(core.classifyFailureLog("torch.OutOfMemoryError: CUDA out of memory.")).toBe("oom");
    expect(core.sizeHardware({ paramsB: 7 }).flavor).toBeTypeOf("string");
    expect(core.planFailureFix("divergence", { rung: 0, attempts: 0 }, { learning_rate: 0.0002 }).changes).toEqual({ learning_rate: 0.00002 });
  });
});
