import { describe, expect, test } from "vitest";
import { analyze } from "../compiler/analyze.js";
import { CODES, formatMessages, messagesToJson } from "../compiler/diagnostics.js";
import { readSpec } from "../compiler/read-spec.js";
import { diagnosticFixtures, ROOT } from "./helpers/paths.js";

function messagesOf(fixture: string) {
  const shown = `test/fixtures/diagnostics/${fixture}`;
  return analyze(readSpec(`${ROOT}${shown}`, { displayPath: shown })).file;
}

// Target codes (4xx) are raised by compile and have their own fixtures in the compile tests.
const FRONT_END_CODES = Object.keys(CODES).filter((code) => !code.startsWith("SPC4"));

describe("every front-end code has a failing fixture that documents it", () => {
  test.each(FRONT_END_CODES)("%s", (code) => {
    const fixture = diagnosticFixtures().find((name) => name.startsWith(`${code}-`));
    expect(fixture, `add test/fixtures/diagnostics/${code}-<slug>.md`).toBeDefined();
    const file = messagesOf(fixture!);
    const found = file.messages.find((message) => message.ruleId === code);
    expect(found, formatMessages(file, fixture!)).toBeDefined();
    expect(fixture).toBe(`${code}-${CODES[code as keyof typeof CODES].slug}.md`);
  });
});

describe("diagnostic shape", () => {
  test("messages carry position, code, severity, hint and a docs link", () => {
    const [message] = messagesToJson(messagesOf("SPC302-undefined-reference.md"), "x.md") as Record<string, unknown>[];
    expect(message).toMatchObject({
      code: "SPC302",
      severity: "error",
      line: 11,
      column: 33,
      hint: "did you mean `R1`? defined: `R1`",
      url: expect.stringMatching(/docs\/diagnostics\.md#spc302$/),
    });
    expect(message.message).toMatch(/^Unexpected .*, expected /);
  });

  test("every message uses the one wording", () => {
    for (const fixture of diagnosticFixtures()) {
      for (const message of messagesOf(fixture).messages) {
        expect(message.reason, fixture).toMatch(/^Unexpected /);
        expect(message.note, `${fixture} ${message.ruleId} needs a hint`).toBeTruthy();
      }
    }
  });

  test("frontmatter type errors point at the YAML line", () => {
    const [message] = messagesOf("SPC202-frontmatter-type.md").messages;
    expect([message.line, message.column]).toEqual([6, 14]);
  });
});
