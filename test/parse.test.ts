import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, test } from "vitest";
import { VFile } from "vfile";
import { analyze } from "../compiler/analyze.js";
import { deepNestingInSource, deepNestingInTree, MAX_NESTING } from "../compiler/nesting.js";
import { parse, parseInSections, parseWhole } from "../compiler/parse.js";
import { ROOT } from "./helpers/paths.js";

/** Every Markdown file under `dir`, relative to the repository root. */
function markdownUnder(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: "utf8" })
    .filter((name) => name.endsWith(".md"))
    .map((name) => relative(ROOT, join(ROOT, dir, name)))
    .sort();
}

/** Section-by-section parsing must give the whole-file tree, positions included. */
function expectSameTree(value: string): void {
  expect(parseInSections(new VFile({ value }))).toEqual(parseWhole(new VFile({ value })));
}

test("small specs are parsed in one piece, large ones in sections, to the same tree", () => {
  const value = `# T\n\n${"## Section\n\nSome text.\n\n- an item\n\n".repeat(3000)}`;
  expect(value.length).toBeGreaterThan(48 * 1024);
  expect(parse(new VFile({ value }))).toEqual(parseWhole(new VFile({ value })));
});

describe("parse equals one whole-file parse", () => {
  test.each([...markdownUnder("specs"), ...markdownUnder("test/fixtures")])("%s", (path) => {
    expectSameTree(readFileSync(join(ROOT, path), "utf8"));
  });

  const cases: Record<string, string> = {
    empty: "",
    "blank lines only": "\n\n\n",
    "leading blank lines": "\n\n# A\n\ntext\n\n## B\n",
    "no final newline": "# A\n\ntext\n\n## B\n\nmore",
    "CRLF and CR endings": "# A\r\n\r\ntext\r\n\r\n## B\r\rmore\r\r### C\r\n",
    "tabs keep their columns": "# A\n\n\tcode\n\n## B\n\n-\tx\n",
    "heading inside a fence": "# A\n\n```md\n\n# not a heading\n\n## nor this\n```\n\n## B\n\ntext\n",
    "heading inside a tilde fence with a longer close": "# A\n\n~~~~\n\n# no\n\n~~~\n\n# still no\n\n~~~~~\n\n# yes\n",
    "unclosed fence runs to the end": "# A\n\n```\n\n# no\n\n## no\n",
    "fence inside a list closes at the heading": "- item\n\n  ```\n\n# heading\n\n```\n\n# inside code\n```\n\n# after\n",
    "fence indented 1-3 columns": "# A\n\n   ```\n\n# no\n\n   ```\n\n# yes\n",
    "setext headings": "Title\n=====\n\n# A\n\nSub\n---\n\n## B\n\ntext\n---\n",
    "lazy paragraph in a quote": "> quoted\nlazy\n\n# A\n\n> again\n# B\n",
    "list across blank lines": "- a\n\n- b\n\n# A\n\n1. one\n\n2. two\n\n## B\n\n  # indented heading in a list?\n",
    "heading indented inside a list item": "- a\n\n  # in item\n\n  text\n\n# out\n",
    "HTML comment over headings": "# A\n\n<!--\n\n# no\n\n-->\n\n# yes\n\n<!-- one line -->\n\n# also\n",
    "HTML kinds 1, 3, 4, 5 and 6": "<pre>\n\n# no\n\n</pre>\n\n# a\n\n<?php\n\n# no\n?>\n\n# b\n\n<!DOCTYPE\n\n# no\n>\n\n# c\n\n<![CDATA[\n\n# no\n]]>\n\n# d\n\n<div>\n# no\n\n# e\n",
    "unclosed HTML comment": "# A\n\n<!--\n\n# no\n",
    frontmatter: "---\nname: x\n\n# a YAML comment\n\n---\n\n# A\n\ntext\n",
    "frontmatter with trailing spaces on the fence": "---  \nname: x\n\n# comment\n---\t\n\n# A\n",
    "unclosed frontmatter": "---\nname: x\n\n# A\n\ntext\n",
    "table then heading": "| a | b |\n| - | - |\n| 1 | 2 |\n\n# A\n\n| c |\n| - |\n# B\n",
    "task lists": "- [ ] one\n- [x] two\n\n# A\n\n- [ ] three\n",
    "reference defined in a later section": "# A\n\nsee [foo] and [Bar baz][]\n\n## B\n\n[foo]: /url\n[bar   BAZ]: /other \"t\"\n",
    "references and a fence left open in a list": "- a\n\n  ```\n\n# H\n\n[x]\n\n## I\n\n[x]: /u\n",
    "reference defined in an earlier section": "[x]: /x\n\n# A\n\n[x] and [y]\n",
    "heading right after a paragraph and an HTML block": "text\n# A\n<div>\n# in html\n\n# B\n",
    "hash without a space is not a heading": "# A\n\n#tag\n\n####### seven\n\n# B\n",
  };
  test.each(Object.entries(cases))("%s", (_name, value) => expectSameTree(value));

  test("a generated spec with many phases", () => {
    const phases = Array.from({ length: 300 }, (_, n) => `### Phase ${n}: Step\n\nDo it [R1].\n\n- The agent MUST do it.\n  > quoted\n\n\`\`\`\n# code ${n}\n\`\`\`\n`);
    expectSameTree(`---\nname: x\n---\n\n# T\n\n## Workflow\n\n${phases.join("\n")}\n[R1]: /r\n`);
  });
});

describe("nesting deeper than specc reads", () => {
  const quotes = (depth: number) => `${">".repeat(depth)} deep\n`;
  const quoteLines = (depth: number) => Array.from({ length: depth }, (_, i) => `${">".repeat(i + 1)} level ${i + 1}`).join("\n");
  const list = (depth: number) => Array.from({ length: depth }, (_, i) => `${"  ".repeat(i)}- level ${i + 1}`).join("\n");
  const ordered = (depth: number) => Array.from({ length: depth }, (_, i) => `${"   ".repeat(i)}1. level ${i + 1}`).join("\n");
  const mixed = (depth: number) => Array.from({ length: depth }, (_, i) => `${"> ".repeat(i)}- level`).join("\n");

  test.each([
    ["quotes on one line", quotes],
    ["quotes over lines", quoteLines],
    ["a bullet list", list],
    ["an ordered list", ordered],
  ])("%s: the line estimate and the tree agree on where nesting passes the limit", (_name, make) => {
    const value = `# Title\n\n${make(MAX_NESTING + 6)}\n`;
    const tree = deepNestingInTree(parse(new VFile({ value })));
    expect(tree).not.toBeNull();
    expect(deepNestingInSource(value)).toEqual(tree);
    expect(deepNestingInSource(`# Title\n\n${make(MAX_NESTING)}\n`)).toBeNull();
    expect(deepNestingInTree(parse(new VFile({ value: `# Title\n\n${make(MAX_NESTING)}\n` })))).toBeNull();
  });

  test("items in quotes: an estimate, the tree decides", () => {
    // Lazy lines make the tree differ by a level or two here; both see the nesting.
    const value = `# Title\n\n${mixed(MAX_NESTING + 6)}\n`;
    expect(deepNestingInSource(value)?.depth).toBeGreaterThan(MAX_NESTING);
    expect(deepNestingInTree(parse(new VFile({ value })))?.depth).toBeGreaterThan(MAX_NESTING);
  });

  test.each([
    ["3,000 quotes on one line", quotes(3000)],
    ["3,000 quotes over lines", quoteLines(3000)],
    ["3,000 list levels", list(3000)],
  ])("%s: SPC105 without parsing or lowering", (_name, value) => {
    const { ir, file } = analyze(new VFile({ path: "deep.md", value: `# Deep\n\n${value}\n` }));
    expect(ir).toBeNull();
    expect(file.messages.map((message) => message.ruleId)).toEqual(["SPC105"]);
    expect(file.messages[0].line).toBe(value.startsWith(">".repeat(3000)) ? 3 : 3 + MAX_NESTING);
    expect(file.messages[0].reason).toMatch(/^Unexpected nesting \d+ levels deep, expected at most 64$/);
  });

  test("the tree is measured without recursion", () => {
    // A hand-built chain far deeper than the JavaScript stack allows for naive recursion.
    let node: Record<string, unknown> = { type: "text", value: "x" };
    for (let depth = 0; depth < 200_000; depth++) node = { type: "blockquote", children: [node] };
    expect(deepNestingInTree({ type: "root", children: [node] } as never)?.depth).toBe(200_000);
  });

  test("quote markers in fenced code are not nesting", () => {
    expect(deepNestingInSource(`\`\`\`\n${quotes(100)}\`\`\`\n`)).toBeNull();
  });

  test("the bundled specs are far from the limit", () => {
    for (const path of markdownUnder("specs")) expect(deepNestingInSource(readFileSync(join(ROOT, path), "utf8")), path).toBeNull();
  });
});
