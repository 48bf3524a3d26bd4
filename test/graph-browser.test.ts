// The HTML of `specc graph` in a real headless browser (Debian's chromium through playwright-core):
// each view reached by keyboard, screenshotted into .test-artifacts/graph/ (CI keeps them), every
// step's title visible, the detail panel showing spec text and position, and no console or page
// errors. Without /usr/bin/chromium the suite fails under CI and is skipped elsewhere.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { realizeSpec } from "../compiler/compile.js";
import { GRAPH_VIEWS, renderGraph } from "../compiler/graph.js";
import { readSpec } from "../compiler/read-spec.js";
import { ROOT } from "./helpers/paths.js";

const CHROMIUM = "/usr/bin/chromium";
const ARTIFACTS = join(ROOT, ".test-artifacts/graph");
const SPEC = "specs/ml-research.md";
const available = existsSync(CHROMIUM);

if (!available && process.env.CI) {
  // Under CI a missing browser is a broken set-up, never a reason to skip: .ci/run installs it.
  test("headless chromium is installed", () => {
    expect.fail(`${CHROMIUM} is missing: the browser tests of specc graph need Debian's chromium (apt-get install -y chromium; .ci/run installs it)`);
  });
} else if (!available) {
  console.warn(`graph-browser.test.ts: skipped, ${CHROMIUM} is missing (apt-get install -y chromium to run it)`);
}

function realized(spec: string) {
  const result = realizeSpec(readSpec(spec.startsWith("/") ? spec : join(ROOT, spec), { displayPath: spec }), { sourcePath: spec });
  if (!result.ok) throw new Error(`${spec} does not realize`);
  return result;
}

function html(spec: string, path = spec): string {
  const { ir, pipeline, sha256, profile } = realized(spec);
  return renderGraph(ir, pipeline, { view: "pipeline", format: "html", path, sha256, profile });
}

/** How many different colours a grid of 40×25 samples of a PNG has (decoded by the browser, on a page of its own). */
async function coloursIn(page: Page, png: Buffer): Promise<number> {
  return page.evaluate(async (base64) => {
    const image = new Image();
    image.src = `data:image/png;base64,${base64}`;
    await image.decode();
    const canvas = document.createElement("canvas");
    canvas.width = image.width;
    canvas.height = image.height;
    const context = canvas.getContext("2d", { willReadFrequently: true })!;
    context.drawImage(image, 0, 0);
    const { data } = context.getImageData(0, 0, image.width, image.height);
    const colours = new Set<string>();
    for (let x = 0; x < 40; x++) {
      for (let y = 0; y < 25; y++) {
        const at = (Math.floor(((y + 0.5) * image.height) / 25) * image.width + Math.floor(((x + 0.5) * image.width) / 40)) * 4;
        colours.add(`${data[at]},${data[at + 1]},${data[at + 2]}`);
      }
    }
    return colours.size;
  }, png.toString("base64"));
}

describe.skipIf(!available)("specc graph HTML in a headless browser", () => {
  let browser: Browser;
  let page: Page;
  /** A blank page that decodes screenshots, so the page under test logs nothing of it. */
  let scratch: Page;
  const errors: string[] = [];
  const file = join(ARTIFACTS, "ml-research.html");

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    writeFileSync(file, html(SPEC));
    const { chromium } = await import("playwright-core");
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
    scratch = await browser.newPage();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.on("console", (message) => {
      if (message.type() === "error" || message.type() === "warning") errors.push(`console ${message.type()}: ${message.text()}`);
    });
    page.on("pageerror", (error) => errors.push(`page error: ${error.message}`));
    await page.goto(pathToFileURL(file).href);
  });

  afterAll(async () => {
    await browser?.close();
  });

  test("each view, reached with Tab and Enter, is screenshotted and shows its nodes", async () => {
    // Nothing before the tabs takes focus: the first Tab lands on the first view's tab.
    for (const view of GRAPH_VIEWS) {
      await page.keyboard.press("Tab");
      expect(await page.evaluate(() => document.activeElement?.id)).toBe(`tab-${view}`);
      await page.keyboard.press("Enter");
      expect(await page.getAttribute(`#tab-${view}`, "aria-selected")).toBe("true");
      expect(await page.isVisible(`#view-${view}`)).toBe(true);
      for (const other of GRAPH_VIEWS.filter((name) => name !== view)) expect(await page.isHidden(`#view-${other}`)).toBe(true);
      const png = join(ARTIFACTS, `${view}.png`);
      const shot = await page.screenshot({ path: png });
      expect(statSync(png).size, `${png} is too small to show a graph`).toBeGreaterThan(5 * 1024);
      expect(await coloursIn(scratch, shot), `${png} is nearly one colour`).toBeGreaterThan(8);
      // Every node's text fits its box (the layout measured it at compile time).
      const overflowing = await page.$$eval(`#view-${view} .node`, (nodes) =>
        nodes.filter((node) => [...node.querySelectorAll("span:not(.bg)")].some((span) => span.getBoundingClientRect().right > node.getBoundingClientRect().right + 0.5 || span.getBoundingClientRect().left < node.getBoundingClientRect().left - 0.5)).map((node) => node.textContent),
      );
      expect(overflowing, `text wider than its node in the ${view} view`).toEqual([]);
    }
    // Arrow keys move between the tabs too.
    await page.keyboard.press("ArrowLeft");
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("tab-pipeline");
    expect(await page.getAttribute("#tab-pipeline", "aria-selected")).toBe("true");
  });

  test("every pipeline step's title is visible in the pipeline view", async () => {
    await page.click("#tab-pipeline");
    const { pipeline } = realized(SPEC);
    for (const step of pipeline.steps) {
      const title = page.locator("#view-pipeline .node .t", { hasText: step.title }).first();
      expect(await page.locator("#view-pipeline").getByText(step.title, { exact: true }).first().isVisible(), `step ${step.id} (${step.title})`).toBe(true);
      expect(await title.isVisible()).toBe(true);
    }
  });

  test("clicking a node shows its spec text and position in the detail panel", async () => {
    await page.click("#tab-spec");
    const phase = realized(SPEC).ir.phases.find((candidate) => candidate.id === "Phase 1")!;
    await page.locator("#view-spec .node", { hasText: "Phase 1: Research" }).click();
    const detail = page.locator("#detail section.d:not([hidden])");
    expect(await detail.count()).toBe(1);
    const text = await detail.innerText();
    expect(text).toContain(`${SPEC}:${phase.source.start.line}:${phase.source.start.column}`);
    expect(text).toContain(phase.text.split("\n")[0].slice(0, 60));
    expect(await page.isHidden("#detail-empty")).toBe(true);
    await page.screenshot({ path: join(ARTIFACTS, "detail.png") });
  });

  test("Enter on a focused node shows its detail; Escape clears it", async () => {
    await page.click("#tab-pipeline");
    const { pipeline } = realized(SPEC);
    const step = pipeline.steps.find((candidate) => candidate.kind === "critic")!;
    const node = page.locator("#view-pipeline .node", { has: page.getByText(step.title, { exact: true }) }).first();
    await node.focus();
    expect(await node.getAttribute("aria-label")).toContain(step.title);
    await page.keyboard.press("Enter");
    const detail = page.locator("#detail section.d:not([hidden])");
    expect(await detail.locator("h2").innerText()).toBe(step.title);
    expect(await detail.innerText()).toContain(`Written at ${SPEC}:`);
    expect(await detail.innerText()).toContain("critic-rejected");
    await page.keyboard.press("Escape");
    expect(await page.locator("#detail section.d:not([hidden])").count()).toBe(0);
    expect(await page.isVisible("#detail-empty")).toBe(true);
  });

  test("no console errors and no page errors", () => {
    expect(errors).toEqual([]);
  });

  test("a hostile spec's page runs no script but its own", async () => {
    const dir = mkdtempSync(join(tmpdir(), "specc-graph-browser-"));
    const hostile = readFileSync(join(ROOT, "test/fixtures/compile/hostile.md"), "utf8").replace(
      "## Control contract",
      ["### Phase 2: <img src=x onerror=globalThis.__pwned=20>", "", 'Run <svg onload="globalThis.__pwned = 21"></svg> <script>globalThis.__pwned = 22</script> (R1).', "", "## Control contract"].join("\n"),
    );
    writeFileSync(join(dir, "hostile.md"), hostile);
    const page2 = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const problems: string[] = [];
    page2.on("pageerror", (error) => problems.push(error.message));
    const path = join(dir, "hostile.html");
    writeFileSync(path, html(join(dir, "hostile.md"), "hostile.md"));
    await page2.goto(pathToFileURL(path).href);
    for (const view of GRAPH_VIEWS) {
      await page2.click(`#tab-${view}`);
      for (const node of await page2.locator(`#view-${view} .node`).all()) await node.click();
    }
    const state = await page2.evaluate(() => ({
      pwned: (globalThis as { __pwned?: unknown }).__pwned,
      scripts: document.scripts.length,
      handlers: [...document.querySelectorAll("*")].flatMap((element) => [...element.attributes].filter((attribute) => attribute.name.startsWith("on")).map((attribute) => attribute.name)),
      images: document.querySelectorAll("img, iframe, object, embed").length,
    }));
    expect(state).toEqual({ pwned: undefined, scripts: 1, handlers: [], images: 0 });
    expect(await page2.locator("#view-mapping").innerText()).toContain("Phase 2: <img src=x onerror=globalThis.__pwned=20>");
    expect(problems).toEqual([]);
    await page2.close();
  });
});
