import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { describe, expect, test } from "vitest";
import { graphCommand } from "../cli/commands/graph.js";
import { realizeSpec } from "../compiler/compile.js";
import { GRAPH_FORMATS, GRAPH_VIEWS, renderGraph, type GraphFormat, type ViewName } from "../compiler/graph.js";
import { mermaidText } from "../compiler/graph/text.js";
import { readSpec } from "../compiler/read-spec.js";
import { bundledSpecs, ROOT } from "./helpers/paths.js";

const BIN = join(ROOT, "dist/bin/specc.mjs");
const GOLDEN = join(ROOT, "golden/graph");
const UPDATE = "run npm run golden:update";
const UPDATING = process.env.SPECC_UPDATE_GOLDEN === "1";
const HOSTILE = "test/fixtures/compile/hostile.md";

/** The graph of a spec through the compiler's API, as `specc graph` renders it. */
function graph(spec: string, view: ViewName, format: GraphFormat, options: { target?: string; withLoop?: boolean; path?: string } = {}): string {
  const shown = options.path ?? spec;
  const realized = realizeSpec(readSpec(spec.startsWith("/") ? spec : join(ROOT, spec), { displayPath: shown }), { sourcePath: shown, withLoop: options.withLoop });
  if (!realized.ok) throw new Error(`${spec} does not realize`);
  return renderGraph(realized.ir, realized.pipeline, { view, format, path: shown, sha256: realized.sha256, profile: realized.profile, target: options.target ?? null });
}

function specc(args: string[], cwd = ROOT) {
  const result = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The hostile fixture with more markup in its titles and texts: an image with an onerror, an svg with an onload. */
function hostileVariant(): string {
  const dir = mkdtempSync(join(tmpdir(), "specc-graph-"));
  const text = readFileSync(join(ROOT, HOSTILE), "utf8").replace(
    "## Control contract",
    [
      "### Phase 2: <img src=x onerror=alert(1)> [x](javascript:alert(2)) {{y}} |z|",
      "",
      'Markup: <svg onload="globalThis.__pwned = 15"><script>globalThis.__pwned = 16</script> & &amp; --> <!-- (R1).',
      "",
      "- The agent MUST keep <b onclick=alert(3)>this</b> as text (R1).",
      "",
      "**Gate (mandatory):** <iframe src=javascript:alert(4)></iframe> `x` \"q\" ]] [[ ))",
      "",
      "## Control contract",
    ].join("\n"),
  );
  const path = join(dir, "hostile-markup.md");
  writeFileSync(path, text);
  return path;
}

/**
 * Every line of a chart printed by renderMermaid, checked against the grammar it prints: ids are
 * generated words, and labels are quoted strings free of quotes, backticks, brackets, pipes and
 * angle brackets (only the `<b>` and `<br>` specc puts between label lines).
 */
function mermaidProblems(text: string): string[] {
  const problems: string[] = [];
  const label = String.raw`"([^"\n]*)"`;
  const shapes = [String.raw`\[${label}\]`, String.raw`\(${label}\)`, String.raw`\(\[${label}\]\)`, String.raw`\{\{${label}\}\}`].join("|");
  const patterns = [
    /^%% [^\n]*$/,
    /^flowchart (TB|LR)$/,
    new RegExp(String.raw`^  subgraph [A-Za-z0-9_]+\[${label}\]$`),
    /^    direction (TB|LR)$/,
    /^  end$/,
    new RegExp(String.raw`^ {2,4}[A-Za-z][A-Za-z0-9_]*(?:${shapes})$`),
    new RegExp(String.raw`^  [A-Za-z][A-Za-z0-9_]* (?:-->|-\.->)(?:\|${label}\|)? [A-Za-z][A-Za-z0-9_]*$`),
    /^  classDef [a-z]+ [a-z0-9#:,. -]+$/,
    /^  class [A-Za-z0-9_,]+ [a-z]+$/,
    /^  linkStyle [0-9,]+ stroke:#[0-9a-f]{6}$/,
  ];
  const ids = new Set<string>();
  for (const line of text.trimEnd().split("\n")) {
    if (!patterns.some((pattern) => pattern.test(line))) problems.push(`unexpected line: ${line}`);
    for (const match of line.matchAll(/"([^"]*)"/g)) {
      const inside = match[1].replace(/<\/?b>|<br>/g, "");
      if (/[`"[\]{}()|<>\n]/.test(inside)) problems.push(`unescaped character in label: ${match[1]}`);
    }
    const node = /^ {2,4}([A-Za-z][A-Za-z0-9_]*)[[({]/.exec(line);
    if (node && !line.trimStart().startsWith("subgraph")) {
      if (ids.has(node[1])) problems.push(`node ${node[1]} declared twice`);
      ids.add(node[1]);
    }
  }
  for (const line of text.split("\n")) {
    const edge = /^  ([A-Za-z][A-Za-z0-9_]*) -\.?->(?:\|"[^"]*"\|)? ([A-Za-z][A-Za-z0-9_]*)$/.exec(line);
    if (edge) for (const id of [edge[1], edge[2]]) if (!ids.has(id)) problems.push(`edge to undeclared node ${id}`);
  }
  if (/^\s+end[[({]/m.test(text)) problems.push("a node named end");
  return problems;
}

/** Markup problems in a page: tags specc does not write, event-handler attributes, scripts beyond its own. */
function htmlProblems(html: string): string[] {
  const problems: string[] = [];
  const allowed = new Set(["!doctype", "html", "head", "meta", "title", "style", "body", "header", "h1", "h2", "h3", "p", "code", "div", "button", "main", "section", "span", "aside", "i", "ul", "li", "svg", "defs", "marker", "path", "dl", "dt", "dd", "table", "caption", "thead", "tbody", "tr", "th", "td", "script"]);
  for (const match of html.matchAll(/<\/?([!A-Za-z][A-Za-z0-9-]*)([^>]*)>/g)) {
    const name = match[1].toLowerCase();
    if (!allowed.has(name)) problems.push(`unexpected tag <${name}>`);
    if (/\son[a-z]+\s*=/i.test(match[2])) problems.push(`event handler attribute in <${name}${match[2]}>`);
  }
  const scripts = html.match(/<script/gi) ?? [];
  if (scripts.length !== 1) problems.push(`expected one <script, found ${scripts.length}`);
  if ((html.match(/<\/script/gi) ?? []).length !== 1) problems.push("a </script> beyond the page's own");
  if (/onerror=|onload=|onclick=/i.test(html)) problems.push("an event-handler name followed by = survives escaping");
  if (/\b(src|href|action|formaction)=/i.test(html)) problems.push("an attribute that loads or links something");
  return problems;
}

describe("specc graph: golden Mermaid", () => {
  test.each([...GRAPH_VIEWS])("ml-research %s view", (view) => {
    const actual = graph("specs/ml-research.md", view, "mermaid");
    const path = join(GOLDEN, `ml-research.${view}.mmd`);
    if (UPDATING) {
      mkdirSync(GOLDEN, { recursive: true });
      if (!existsSync(path) || readFileSync(path, "utf8") !== actual) writeFileSync(path, actual);
      return;
    }
    expect(existsSync(path), `golden/graph/ml-research.${view}.mmd is missing: ${UPDATE} if the new output is correct`).toBe(true);
    const expected = readFileSync(path, "utf8");
    if (expected !== actual) {
      const a = expected.split("\n");
      const b = actual.split("\n");
      const line = a.findIndex((text, index) => text !== b[index]);
      expect.fail(`golden/graph/ml-research.${view}.mmd differs from the output (first difference on line ${line + 1}: expected ${JSON.stringify(a[line])}, got ${JSON.stringify(b[line])}): ${UPDATE} if the new output is correct`);
    }
  });

  test("no stale golden graphs", () => {
    const produced = new Set(GRAPH_VIEWS.map((view) => `ml-research.${view}.mmd`));
    const stale = existsSync(GOLDEN) ? readdirSync(GOLDEN).filter((name) => !produced.has(name)) : [];
    expect(stale, `stale files in golden/graph: ${stale.join(", ")}`).toEqual([]);
  });

  test("the CLI prints the same chart: mermaid and the pipeline view by default", () => {
    const { code, stdout, stderr } = specc(["graph", "specs/ml-research.md"]);
    expect(code, stderr).toBe(0);
    expect(stderr).toBe("");
    expect(stdout).toBe(graph("specs/ml-research.md", "pipeline", "mermaid"));
  });
});

describe("specc graph: every bundled spec in every view", () => {
  const cases = bundledSpecs().flatMap((spec) => GRAPH_VIEWS.map((view) => [spec, view] as const));
  test.each(cases)("%s, %s view", (spec, view) => {
    const text = graph(spec, view, "mermaid");
    expect(mermaidProblems(text)).toEqual([]);
    const realized = realizeSpec(readSpec(join(ROOT, spec), { displayPath: spec }), { sourcePath: spec });
    if (!realized.ok) throw new Error("unreachable");
    // Each view shows what it promises: every phase, every step, every rule.
    if (view === "spec") for (const phase of realized.ir.phases) expect(text).toContain(mermaidText(phase.title));
    if (view === "pipeline") for (const step of realized.pipeline.steps) expect(text).toContain(`<b>${mermaidText(step.title)}</b>`);
    if (view === "mapping") for (const rule of realized.ir.rules) expect(text).toContain(`<b>${mermaidText(rule.id)}`);
  });

  test.each(bundledSpecs())("%s as HTML, with and without the loop, for each target", (spec) => {
    for (const withLoop of [false, true]) {
      for (const target of [undefined, "claude-code", "node", "github-actions"]) {
        const html = graph(spec, "pipeline", "html", { withLoop, target });
        expect(htmlProblems(html)).toEqual([]);
        for (const view of GRAPH_VIEWS) expect(html).toContain(`id="view-${view}"`);
      }
    }
    expect(mermaidProblems(graph(spec, "pipeline", "mermaid", { withLoop: true }))).toEqual([]);
  });

  test("--with-loop draws the loop step; without it the pipeline notes it is not there", () => {
    expect(graph("specs/ml-research.md", "pipeline", "mermaid", { withLoop: true })).toContain("<b>Autonomous improvement loop</b>");
    expect(graph("specs/ml-research.md", "pipeline", "mermaid")).not.toContain("<b>Autonomous improvement loop</b>");
    expect(graph("specs/ml-research.md", "pipeline", "html")).toContain("Not in the pipeline: loop.");
  });

  test("the mapping shows where each rule is enforced; a target without hooks drops the hook", () => {
    const asRealized = graph("specs/ml-research.md", "mapping", "mermaid");
    expect(asRealized).toContain("<b>guard checkScopeChange</b>");
    expect(asRealized).toContain("<b>hook spend-guard</b>");
    expect(asRealized).toContain("<b>Prompts only</b>");
    expect(graph("specs/ml-research.md", "mapping", "mermaid", { target: "claude-code" })).toContain("<b>hook spend-guard</b>");
    const node = graph("specs/ml-research.md", "mapping", "mermaid", { target: "node" });
    expect(node).not.toContain("hook spend-guard");
    expect(node).toContain("<b>guard decideApproval</b>");
    expect(graph("specs/ml-research.md", "mapping", "html", { target: "node" })).toContain("spend-guard (the node target emits no hooks)");
  });

  test("labels: kept, adapted, added and omitted all appear in the mapping", () => {
    const text = graph("specs/ml-research.md", "mapping", "mermaid");
    for (const label of ["kept", "adapted", "added", "omitted"]) expect(text).toMatch(new RegExp(`class [A-Za-z0-9_,]+ ${label}$`, "m"));
  });
});

describe("specc graph: spec text stays data", () => {
  test.each([...GRAPH_VIEWS])("hostile spec, %s view as Mermaid", (view) => {
    for (const spec of [HOSTILE, hostileVariant()]) {
      const text = graph(spec, view, "mermaid", { path: basename(spec) });
      expect(mermaidProblems(text)).toEqual([]);
      expect(text).not.toContain("`");
    }
  });

  test("hostile spec as HTML: no live markup from spec text", () => {
    for (const spec of [HOSTILE, hostileVariant()]) {
      const html = graph(spec, "spec", "html", { path: basename(spec) });
      expect(htmlProblems(html)).toEqual([]);
      // The text is there, escaped.
      expect(html).toContain("Run */ &#60;/script&#62;");
    }
    const html = graph(hostileVariant(), "spec", "html", { path: "hostile-markup.md" });
    expect(html).toContain("&#60;img src&#61;x onerror&#61;alert(1)&#62;");
    expect(html).toContain("&#60;svg onload&#61;&#34;globalThis.__pwned &#61; 15&#34;&#62;");
    expect(html).not.toMatch(/<img|<svg onload|<iframe|<b onclick/i);
  });

  test("the page's script is the only one allowed to run (its hash is in the Content-Security-Policy)", async () => {
    const html = graph("specs/ml-research.md", "pipeline", "html");
    const { createHash } = await import("node:crypto");
    const script = /<script>([\s\S]*?)<\/script>/.exec(html)![1];
    const hash = createHash("sha256").update(script).digest("base64");
    expect(html).toContain(`script-src 'sha256-${hash}'`);
    expect(html).toContain("default-src 'none'");
  });
});

describe("specc graph: HTML file", () => {
  test("self-contained, deterministic and under 500 KB for the canonical spec", () => {
    const html = graph("specs/ml-research.md", "pipeline", "html");
    expect(Buffer.byteLength(html)).toBeLessThan(500 * 1024);
    expect(html).toBe(graph("specs/ml-research.md", "pipeline", "html"));
    expect(html).not.toMatch(/\b(src|href)=/i); // nothing loaded or linked
    expect(html).not.toContain(ROOT);
    expect(html).not.toMatch(/\b20\d\d-\d\d-\d\dT/); // no timestamp
    expect(html.endsWith("</html>\n")).toBe(true);
  });

  test("--view chooses the tab that is open first; every view is in the file", () => {
    for (const view of GRAPH_VIEWS) {
      const html = graph("specs/ml-research.md", view, "html");
      expect(html).toContain(`aria-controls="view-${view}" aria-selected="true"`);
      for (const other of GRAPH_VIEWS.filter((name) => name !== view)) expect(html).toMatch(new RegExp(`id="view-${other}" aria-labelledby="tab-${other}" hidden>`));
    }
  });

  test("nodes are buttons with aria labels, each pointing at its detail", () => {
    const html = graph("specs/ml-research.md", "pipeline", "html");
    const buttons = [...html.matchAll(/<button type="button" class="node [^"]*" data-detail="(d\d+)" aria-controls="detail" aria-label="([^"]+)"/g)];
    expect(buttons.length).toBeGreaterThan(60);
    for (const [, detail] of buttons) expect(html).toContain(`<section class="d" id="${detail}" hidden>`);
    expect(html).toContain("Written at <code>specs/ml-research.md:125:1–148:67</code>");
  });
});

describe("specc graph: command line", () => {
  const scratch = mkdtempSync(join(tmpdir(), "specc-graph-cli-"));

  test("the CLI's lists of views and formats are the compiler's", () => {
    expect(graphCommand.flags.view.help).toContain(GRAPH_VIEWS.join(", "));
    for (const format of GRAPH_FORMATS) expect(graphCommand.flags.format.help).toContain(`${format}:`);
  });

  test("--format html --out writes all views to a file", () => {
    const out = join(scratch, "nested", "ml.html");
    const { code, stdout, stderr } = specc(["graph", "specs/ml-research.md", "--format", "html", "--out", out]);
    expect(code, stderr).toBe(0);
    expect(stdout).toBe("");
    expect(stderr).toMatch(/^wrote .*ml\.html \(all views, \d+ bytes\)\n$/);
    expect(readFileSync(out, "utf8")).toBe(graph("specs/ml-research.md", "pipeline", "html"));
  });

  test("--format html goes to stdout without --out; each view as Mermaid", () => {
    expect(specc(["graph", "specs/ml-research.md", "--format", "html"]).stdout).toBe(graph("specs/ml-research.md", "pipeline", "html"));
    for (const view of GRAPH_VIEWS) expect(specc(["graph", "specs/ml-research.md", "--view", view]).stdout).toBe(graph("specs/ml-research.md", view, "mermaid"));
  });

  test("bad view, format or target: one line, exit 2", () => {
    for (const [args, message] of [
      [["--view", "steps"], "specc: error: graph: unknown view `steps`, expected one of spec, pipeline, mapping"],
      [["--format", "svg"], "specc: error: graph: unknown format `svg`, expected one of mermaid, html"],
      [["--target", "nope"], "specc: error: graph: unknown target `nope`, expected one of claude-code, node, github-actions"],
    ] as const) {
      const { code, stdout, stderr } = specc(["graph", "specs/ml-research.md", ...args]);
      expect(code).toBe(2);
      expect(stdout).toBe("");
      expect(stderr.split("\n")[0]).toBe(message);
      expect(stderr).not.toMatch(/\n\s+at /);
    }
    const missing = specc(["graph", "nothere.md"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr.split("\n")[0]).toMatch(/^specc: error: /);
  });

  test("a spec with errors prints its diagnostics and exits 1, writing nothing", () => {
    const out = join(scratch, "gap.mmd");
    const { code, stdout, stderr } = specc(["graph", "test/fixtures/diagnostics/SPC304-phase-gap.md", "--out", out]);
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toContain("test/fixtures/diagnostics/SPC304-phase-gap.md:9:1: error SPC304");
    expect(existsSync(out)).toBe(false);
  });

  test("the path in the output is the spec's path in its project, wherever specc runs", () => {
    const { code, stdout } = specc(["graph", join(ROOT, "specs/ml-research.md"), "--view", "spec"], tmpdir());
    expect(code).toBe(0);
    expect(stdout).toBe(graph("specs/ml-research.md", "spec", "mermaid"));
  });
});
