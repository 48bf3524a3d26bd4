// Dead-code elimination of the inlined runtime (compiler/shake-runtime.ts): a generated script
// carries only the runtime its own code reaches, and only the drivers of the step kinds it runs.
import { spawnSync } from "node:child_process";
import { parse, type Program } from "acorn";
import { simple } from "acorn-walk";
import { describe, expect, it } from "vitest";
import { SpeccError } from "../compiler/errors.js";
import { inlineRuntime, parseShakeGraph, precomputedShakeGraph, runtimeStepKinds, shakeRuntime } from "../compiler/inline-runtime.js";
import { ROOT } from "./helpers/paths.js";

/** Parse as the generated script does: the runtime sits in the body of an async function. */
function parseAsScriptBody(code: string): Program {
  return parse(`(async function () {\n${code}\n})`, { ecmaVersion: "latest", sourceType: "script" });
}

/** The top-level names `code` declares. */
function declared(code: string): string[] {
  const program = parse(code, { ecmaVersion: "latest", sourceType: "script", allowReturnOutsideFunction: true });
  return program.body.flatMap((node) => {
    if (node.type === "FunctionDeclaration") return [node.id.name];
    if (node.type === "VariableDeclaration") return node.declarations.flatMap((item) => (item.id.type === "Identifier" ? [item.id.name] : []));
    return [];
  });
}

/** Every name `code` uses as a value (property names excluded). */
function used(code: string): Set<string> {
  const names = new Set<string>();
  simple(parse(code, { ecmaVersion: "latest", sourceType: "script", allowReturnOutsideFunction: true }), {
    Identifier(node) {
      names.add(node.name);
    },
  });
  return names;
}

const lines = (...text: string[]): string => text.join("\n");

const chains = lines(
  "// runtime/core/alpha.ts",
  "// Alpha header, line one",
  "// and line two.",
  "/** Doc of top. */",
  "function top(x) {",
  "    return middle(x) + LIMIT;",
  "}",
  "/** Doc of middle. */",
  "function middle(x) {",
  "    // a line comment inside the body mentions ghost()",
  '    return bottom(x) + "ghost" + `ghost`;',
  "}",
  "/**",
  " * Doc of bottom,",
  " * over three lines.",
  " */",
  "function bottom(x) {",
  "    const options = { ghost: 1, shorthand };",
  "    return options.ghost + x.ghost;",
  "}",
  "const LIMIT = 3; // trailing comment of LIMIT",
  "/** Doc of ghost: named only in a comment, a string, a property key and a member. */",
  "function ghost() {",
  "    return 0;",
  "}",
  "// A line comment above shorthand.",
  "const shorthand = 2;",
  "/** Doc of unused, which reaches top: reverse edges do not count. */",
  "function unused() {",
  "    return top(1);",
  "}",
  "// runtime/core/beta.ts",
  "// Beta header: nothing here is reachable from top.",
  "/** Doc of betaOne. */",
  "function betaOne() {",
  "    return betaTwo();",
  "}",
  "function betaTwo() {",
  "    return 2;",
  "}",
  "// runtime/core/gamma.ts",
  "// Gamma header.",
  "/** Mutual recursion: even. */",
  "function even(n) {",
  "    return n === 0 || odd(n - 1);",
  "}",
  "/** Mutual recursion: odd. */",
  "function odd(n) {",
  "    return n !== 0 && even(n - 1);",
  "}",
  "/** A table of functions, one behind a nested arrow. */",
  "const TABLE = {",
  "    direct: viaTable,",
  "    nested: (value) => [1].map(() => ({ deep: async () => await deepInArrow(value) })),",
  "};",
  "function viaTable() {",
  "    return 1;",
  "}",
  "function deepInArrow(value) {",
  "    return value;",
  "}",
  "/** Declared together, kept together. */",
  "const PAIR_A = 1, PAIR_B = helperOfPair();",
  "function helperOfPair() {",
  "    return 2;",
  "}",
);

const kinds = lines(
  "// runtime/workflow/kinds.ts",
  "// The step kinds and their drivers.",
  "/** Used by the alpha and beta drivers. */",
  "function shared(x) {",
  "    return x;",
  "}",
  "/** Used by the beta driver only. */",
  "function betaOnly() {",
  "    return 2;",
  "}",
  "/** Used by the gamma driver only. */",
  "function gammaOnly() {",
  "    return 3;",
  "}",
  "/** Drives alpha. */",
  "async function runAlpha(wf, step) {",
  "    return shared(step.n);",
  "}",
  "/** Drives beta. */",
  "async function runBeta(wf, step) {",
  "    return shared(step.n) + betaOnly();",
  "}",
  "/** Drives gamma. */",
  "async function runGamma(wf, step) {",
  "    return gammaOnly();",
  "}",
  "/** Every step kind: its driver and its agent slots. */",
  "const STEP_KINDS = {",
  "    alpha: { run: runAlpha, slots: [{ role: \"worker\" }] },",
  "    /** Beta, with a comma, in its doc. */",
  "    beta: { run: runBeta, slots: [] },",
  '    "gamma": { run: (wf, step) => runGamma(wf, step), slots: [] }, // gamma, last',
  "};",
  "/** Run one step through its kind's driver. */",
  "async function runStep(wf, step) {",
  "    const kind = Object.hasOwn(STEP_KINDS, step.kind) ? STEP_KINDS[step.kind] : null;",
  '    return kind ? kind.run(wf, step) : "unknown kind, expected one of " + Object.keys(STEP_KINDS).join(", ");',
  "}",
);

describe("shakeRuntime", () => {
  it("keeps a chain of references and nothing else", () => {
    const out = shakeRuntime(chains, { roots: ["top"] });
    expect(declared(out)).toEqual(["top", "middle", "bottom", "LIMIT", "shorthand"]);
  });

  it("does not count a name in a comment, a string, a property key or a member as a use", () => {
    const out = shakeRuntime(chains, { roots: ["top"] });
    expect(out).not.toMatch(/function ghost/);
    expect(out).not.toContain("Doc of ghost");
    // …but the body that mentions it is copied verbatim.
    expect(out).toContain("// a line comment inside the body mentions ghost()");
  });

  it("follows references inside nested arrow functions of a const object", () => {
    const out = shakeRuntime(chains, { roots: ["TABLE"] });
    expect(declared(out)).toEqual(["TABLE", "viaTable", "deepInArrow"]);
  });

  it("keeps both sides of a mutual recursion and nothing that only points at them", () => {
    expect(declared(shakeRuntime(chains, { roots: ["odd"] }))).toEqual(["even", "odd"]);
    expect(declared(shakeRuntime(chains, { roots: ["unused"] }))).toEqual(["top", "middle", "bottom", "LIMIT", "shorthand", "unused"]);
  });

  it("keeps a multi-declarator const whole when any of its names is used", () => {
    const out = shakeRuntime(chains, { roots: ["PAIR_B"] });
    expect(declared(out)).toEqual(["PAIR_A", "PAIR_B", "helperOfPair"]);
    expect(out).toContain("/** Declared together, kept together. */\nconst PAIR_A = 1, PAIR_B = helperOfPair();");
  });

  it("keeps the comments of kept declarations and the markers and headers of kept files only", () => {
    const out = shakeRuntime(chains, { roots: ["top", "even"] });
    expect(out).toBe(
      lines(
        "// runtime/core/alpha.ts",
        "// Alpha header, line one",
        "// and line two.",
        "/** Doc of top. */",
        "function top(x) {",
        "    return middle(x) + LIMIT;",
        "}",
        "/** Doc of middle. */",
        "function middle(x) {",
        "    // a line comment inside the body mentions ghost()",
        '    return bottom(x) + "ghost" + `ghost`;',
        "}",
        "/**",
        " * Doc of bottom,",
        " * over three lines.",
        " */",
        "function bottom(x) {",
        "    const options = { ghost: 1, shorthand };",
        "    return options.ghost + x.ghost;",
        "}",
        "const LIMIT = 3; // trailing comment of LIMIT",
        "// A line comment above shorthand.",
        "const shorthand = 2;",
        "// runtime/core/gamma.ts",
        "// Gamma header.",
        "/** Mutual recursion: even. */",
        "function even(n) {",
        "    return n === 0 || odd(n - 1);",
        "}",
        "/** Mutual recursion: odd. */",
        "function odd(n) {",
        "    return n !== 0 && even(n - 1);",
        "}",
      ),
    );
    expect(out).not.toContain("Beta header");
    expect(out).not.toContain("runtime/core/beta.ts");
    expect(out).not.toContain("Doc of unused");
  });

  it("keeps a file's marker and header when only a later declaration of it is used", () => {
    expect(shakeRuntime(chains, { roots: ["betaTwo"] })).toBe(
      lines("// runtime/core/beta.ts", "// Beta header: nothing here is reachable from top.", "function betaTwo() {", "    return 2;", "}"),
    );
  });

  it("returns its input unchanged when every declaration is a root", () => {
    expect(shakeRuntime(chains, { roots: declared(chains) })).toBe(chains);
    expect(shakeRuntime(kinds, { roots: declared(kinds) })).toBe(kinds);
    expect(shakeRuntime(kinds, { roots: declared(kinds), kinds: ["alpha", "beta", "gamma"] })).toBe(kinds);
  });

  it("keeps a top-level statement that is not a declaration, and what it uses", () => {
    const out = shakeRuntime(lines("function a() {}", "function b() {}", "register(b);"), { roots: [] });
    expect(out).toBe(lines("function b() {}", "register(b);"));
  });

  it("writes LF line ends only", () => {
    expect(shakeRuntime("/** a */\r\nfunction a() {\r\n    return 1;\r\n}\r\nfunction b() {}\r\n", { roots: ["a"] })).toBe("/** a */\nfunction a() {\n    return 1;\n}");
  });

  it("rejects a root the runtime does not declare", () => {
    expect(() => shakeRuntime(chains, { roots: ["top", "nope"] })).toThrow(/declares no `nope`/);
  });

  it("is deterministic and independent of the order of roots and kinds", () => {
    const first = shakeRuntime(chains, { roots: ["top", "even", "TABLE"] });
    expect(shakeRuntime(chains, { roots: ["top", "even", "TABLE"] })).toBe(first);
    expect(shakeRuntime(chains, { roots: ["TABLE", "even", "top", "top"] })).toBe(first);
    expect(shakeRuntime(kinds, { roots: ["runStep"], kinds: ["gamma", "alpha"] })).toBe(shakeRuntime(kinds, { roots: ["runStep"], kinds: ["alpha", "gamma"] }));
    expect(first).not.toContain("\r");
  });

  it("produces code that parses as the body of an async function", () => {
    for (const out of [
      shakeRuntime(chains, { roots: ["top", "even", "TABLE", "PAIR_A"] }),
      shakeRuntime(kinds, { roots: ["runStep"], kinds: ["alpha"] }),
      shakeRuntime(kinds, { roots: ["runStep"], kinds: ["gamma"] }),
      shakeRuntime(kinds, { roots: ["runStep"], kinds: [] }),
    ]) {
      expect(() => parseAsScriptBody(out)).not.toThrow();
    }
  });
});

describe("shakeRuntime with step kinds", () => {
  it("keeps the drivers of the kept kinds and the helpers they share, and drops the rest", () => {
    const out = shakeRuntime(kinds, { roots: ["runStep"], kinds: ["alpha"] });
    expect(declared(out)).toEqual(["shared", "runAlpha", "STEP_KINDS", "runStep"]);
    expect(out).toContain(lines("const STEP_KINDS = {", '    alpha: { run: runAlpha, slots: [{ role: "worker" }] },', "};"));
    expect(out).not.toContain("Beta, with a comma");
  });

  it("keeps a helper used by one kept driver even when another user is dropped", () => {
    const out = shakeRuntime(kinds, { roots: ["runStep"], kinds: ["beta"] });
    expect(declared(out)).toEqual(["shared", "betaOnly", "runBeta", "STEP_KINDS", "runStep"]);
    expect(out).toContain(lines("const STEP_KINDS = {", "    /** Beta, with a comma, in its doc. */", "    beta: { run: runBeta, slots: [] },", "};"));
  });

  it("keeps a kind reached through a nested arrow, its comment and the literal key", () => {
    const out = shakeRuntime(kinds, { roots: ["runStep"], kinds: ["gamma"] });
    expect(declared(out)).toEqual(["gammaOnly", "runGamma", "STEP_KINDS", "runStep"]);
    expect(out).toContain(lines("const STEP_KINDS = {", '    "gamma": { run: (wf, step) => runGamma(wf, step), slots: [] }, // gamma, last', "};"));
  });

  it("keeps the kinds in their declared order, whatever order they are asked in", () => {
    const out = shakeRuntime(kinds, { roots: ["runStep"], kinds: ["gamma", "alpha"] });
    expect(declared(out)).toEqual(["shared", "gammaOnly", "runAlpha", "runGamma", "STEP_KINDS", "runStep"]);
    const literal = out.slice(out.indexOf("const STEP_KINDS"), out.indexOf("};") + 2);
    expect(literal).toBe(
      lines(
        "const STEP_KINDS = {",
        '    alpha: { run: runAlpha, slots: [{ role: "worker" }] },',
        '    "gamma": { run: (wf, step) => runGamma(wf, step), slots: [] }, // gamma, last',
        "};",
      ),
    );
  });

  it("with no kinds, keeps an empty table that still runs", async () => {
    const out = shakeRuntime(kinds, { roots: ["runStep"], kinds: [] });
    expect(declared(out)).toEqual(["STEP_KINDS", "runStep"]);
    const runStep = new Function(`${out}\nreturn runStep;`)();
    await expect(runStep({}, { kind: "alpha" })).resolves.toBe("unknown kind, expected one of ");
  });

  it("the specialized table runs the kept kinds", async () => {
    const out = shakeRuntime(kinds, { roots: ["runStep"], kinds: ["beta"] });
    const runStep = new Function(`${out}\nreturn runStep;`)();
    await expect(runStep({}, { kind: "beta", n: 1 })).resolves.toBe(3);
    await expect(runStep({}, { kind: "alpha" })).resolves.toBe("unknown kind, expected one of beta");
  });

  it("leaves the table whole without kinds", () => {
    expect(declared(shakeRuntime(kinds, { roots: ["runStep"] }))).toEqual(["shared", "betaOnly", "gammaOnly", "runAlpha", "runBeta", "runGamma", "STEP_KINDS", "runStep"]);
  });

  it("drops the whole table when nothing reaches it, kinds or not", () => {
    expect(declared(shakeRuntime(kinds, { roots: ["betaOnly"], kinds: ["alpha"] }))).toEqual(["betaOnly"]);
  });

  it("rejects an unknown kind, listing the known ones", () => {
    expect(() => shakeRuntime(kinds, { roots: ["runStep"], kinds: ["alpha", "delta", "epsilon"] })).toThrow(SpeccError);
    expect(() => shakeRuntime(kinds, { roots: ["runStep"], kinds: ["alpha", "delta", "epsilon"] })).toThrow(
      'the workflow runtime has no driver for step kinds "delta", "epsilon"; known kinds: alpha, beta, gamma',
    );
    expect(runtimeStepKinds(kinds)).toEqual(["alpha", "beta", "gamma"]);
  });

  it("ignores kinds when the runtime has no STEP_KINDS object", () => {
    expect(shakeRuntime(chains, { roots: ["top"], kinds: ["anything"] })).toBe(shakeRuntime(chains, { roots: ["top"] }));
    expect(runtimeStepKinds(chains)).toEqual([]);
  });
});

describe("inlineRuntime with roots (the real runtime, after the build)", () => {
  const full = inlineRuntime(["core", "workflow"]);
  const roots = ["startRun", "runStep", "finishRun"];

  it("without roots, is the whole runtime as before", () => {
    expect(inlineRuntime()).toBe(full);
    expect(inlineRuntime(["core"])).toBe(full.slice(0, full.indexOf("// runtime/workflow/")).replace(/\n$/, ""));
  });

  it("is smaller than the whole runtime, declares the roots and everything they use", () => {
    const out = inlineRuntime(["core", "workflow"], { roots });
    expect(out.length).toBeLessThan(full.length);
    const names = declared(out);
    expect(names).toEqual(expect.arrayContaining(roots));
    // Closed: every runtime name the kept code uses is declared in it.
    const runtimeNames = new Set(declared(full));
    const missing = [...used(out)].filter((name) => runtimeNames.has(name) && !names.includes(name));
    expect(missing).toEqual([]);
    expect(() => parseAsScriptBody(out)).not.toThrow();
    expect(out).not.toMatch(/^\s*(import|export)\s/m);
  });

  it("with every name as a root, is the whole runtime but for empty files", () => {
    const out = inlineRuntime(["core", "workflow"], { roots: declared(full) });
    const files = full.split(/\n(?=\/\/ runtime\/)/);
    expect(files.length).toBeGreaterThan(10);
    expect(out).toBe(files.filter((file) => file.slice(file.indexOf("\n") + 1).trim() !== "").join("\n"));
  });

  it("caches by roots and kinds, whatever their order", () => {
    const out = inlineRuntime(["core", "workflow"], { roots });
    expect(inlineRuntime(["core", "workflow"], { roots: [...roots].reverse() })).toBe(out);
    expect(inlineRuntime(["core", "workflow"], { roots: ["startRun"] })).not.toBe(out);
  });

  it("needs roots for kinds", () => {
    expect(() => inlineRuntime(["core", "workflow"], { kinds: ["agent"] })).toThrow(/kinds without roots/);
  });

  const stepKinds = runtimeStepKinds(full);
  it.skipIf(stepKinds.length < 2)("specializes the real STEP_KINDS to one kind", () => {
    const all = inlineRuntime(["core", "workflow"], { roots, kinds: stepKinds });
    const one = inlineRuntime(["core", "workflow"], { roots, kinds: [stepKinds[0]] });
    expect(one.length).toBeLessThan(all.length);
    expect(runtimeStepKinds(one)).toEqual([stepKinds[0]]);
    expect(() => inlineRuntime(["core", "workflow"], { roots, kinds: ["no-such-kind"] })).toThrow(/known kinds/);
  });
});

describe("the declaration graph: precomputed by the build, parsed otherwise", () => {
  const full = inlineRuntime(["core", "workflow"]);
  const roots = ["startRun", "runStep", "finishRun"];
  const stepKinds = runtimeStepKinds(full);

  it("parses a text the build did not see (the fallback), and a graph survives JSON unchanged", () => {
    expect(precomputedShakeGraph(chains)).toBeNull();
    expect(precomputedShakeGraph(kinds)).toBeNull();
    for (const [code, options] of [
      [chains, { roots: ["top", "even", "TABLE"] }],
      [kinds, { roots: ["runStep"], kinds: ["beta"] }],
      [kinds, { roots: ["runStep"], kinds: ["gamma", "alpha"] }],
    ] as const) {
      const graph = JSON.parse(JSON.stringify(parseShakeGraph(code)));
      expect(shakeRuntime(code, { ...options, graph })).toBe(shakeRuntime(code, options));
    }
  });

  it("has the real runtime's graph from the build, equal to parsing it", () => {
    const precomputed = precomputedShakeGraph(full);
    expect(precomputed).not.toBeNull();
    const { parts, length, ...graph } = precomputed as ReturnType<typeof parseShakeGraph> & { parts: string[]; length: number };
    expect(parts).toEqual(["core", "workflow"]);
    expect(length).toBe(full.length);
    expect(graph).toEqual(parseShakeGraph(full));
  });

  it("shakes the real runtime byte for byte alike from the precomputed graph and from a parse", () => {
    const parsed = parseShakeGraph(full);
    const cases = [{ roots }, { roots, kinds: [] }, { roots, kinds: stepKinds }, ...stepKinds.map((kind) => ({ roots, kinds: [kind] })), { roots: declared(full) }];
    for (const options of cases) {
      const fallback = shakeRuntime(full, { ...options, graph: parsed });
      expect(shakeRuntime(full, options)).toBe(fallback);
      expect(inlineRuntime(["core", "workflow"], options)).toBe(fallback);
    }
  });

  it("never uses the graph of another text: an edited runtime is parsed", () => {
    const edited = `${full}\n/** Added after the build. */\nfunction addedAfterTheBuild() {\n    return startRun;\n}`;
    expect(precomputedShakeGraph(edited)).toBeNull();
    const out = shakeRuntime(edited, { roots: ["addedAfterTheBuild"] });
    expect(out).toContain("function addedAfterTheBuild()");
    expect(declared(out)).toEqual(expect.arrayContaining(["startRun", "addedAfterTheBuild"]));
  });

  it("a fresh process shakes the built runtime without loading acorn, and loads it to parse anything else", () => {
    const script = `
      import { createRequire } from "node:module";
      const require = createRequire(${JSON.stringify(ROOT)});
      const modules = ["acorn", "acorn-walk"].map((name) => require.resolve(name));
      const loaded = () => modules.filter((path) => path in require.cache).length;
      const { inlineRuntime, shakeRuntime } = await import("./dist/compiler/inline-runtime.js");
      const before = loaded();
      const out = inlineRuntime(["core", "workflow"], { roots: ${JSON.stringify(roots)}, kinds: ${JSON.stringify(stepKinds.slice(0, 1))} });
      const fast = loaded();
      shakeRuntime("function a() {}\\nfunction b() {}", { roots: ["a"] });
      console.log(JSON.stringify({ before, fast, fallback: loaded(), size: out.length }));`;
    const result = spawnSync(process.execPath, ["--input-type=module", "-e", script], { cwd: ROOT, encoding: "utf8" });
    expect(result.stderr).toBe("");
    const report = JSON.parse(result.stdout);
    expect(report).toEqual({ before: 0, fast: 0, fallback: 2, size: expect.any(Number) });
    expect(report.size).toBeGreaterThan(0);
  });
});
