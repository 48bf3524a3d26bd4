import { describe, expect, test } from "vitest";
import { ID_EXAMPLES, PHASE_HEADING_EXAMPLES, REFERENCE_EXAMPLES, SECTION_CONVENTIONS } from "../compiler/lower/conventions.js";
import { GUARDS, guardSpecFor, LABELS, labelTarget } from "../compiler/lower/guards.js";
import { normalizeHeading, sectionKind } from "../compiler/lower/heading.js";
import { PROSE_PATTERNS, proseLimits } from "../compiler/lower/prose.js";
import { analyzeText } from "./helpers/spec.js";

// Every row of docs/spec-language.md's generated tables is one of these examples: the reference
// documentation is executed, so it cannot drift from the code.

describe("section headings, by kind", () => {
  test.each(SECTION_CONVENTIONS.map((convention) => [convention.example, convention.kind]))("%s → %s", (example, kind) => {
    expect(sectionKind(normalizeHeading(example.replace(/^#+\s*/, "")).title)).toBe(kind);
  });

  test.each(SECTION_CONVENTIONS.flatMap((convention) => convention.names.map((name) => [name, convention.kind])))("every name is read, singular and plural: %s → %s", (name, kind) => {
    const plural = name.endsWith("y") ? `${name.slice(0, -1)}ies` : `${name}s`;
    for (const written of [name, plural, `${name[0].toUpperCase()}${name.slice(1)}`]) expect(sectionKind(written), written).toBe(kind);
  });

  test("numbers, appendix words, attributes and trailing punctuation are stripped at every depth", () => {
    for (const written of ["5.1 Hard rules", "§5.1 Hard rules", "5. Hard rules", "Appendix A — Hard rules", "Annex B (normative) Hard rules", "Hard rules:", "Hard rules {#rules}"]) {
      expect(normalizeHeading(written).title, written).toBe("Hard rules");
    }
  });
});

describe("phase headings", () => {
  test.each(PHASE_HEADING_EXAMPLES.map((example) => [example.written, example]))("%s", (written, example) => {
    const level = /^#+/.exec(written)![0];
    const { ir, file } = analyzeText(`# T\n\n${level === "##" ? "" : "## Workflow\n\n"}${written}\n\nDo the work.\n`);
    // A lone `Phase 3` skips 0–2 (SPC304); that is the order check's business, not the reader's.
    expect(file.messages.filter((message) => message.fatal === true && message.ruleId !== "SPC304")).toEqual([]);
    expect(ir!.phases.map((phase) => ({ number: phase.number, title: phase.title }))).toEqual([{ number: example.number, title: example.title }]);
  });
});

describe("ids at the start of a block", () => {
  test.each(ID_EXAMPLES.map((example) => [example.written, example]))("%s", (written, example) => {
    const section = example.id.startsWith("C") ? "Capabilities" : example.id.startsWith("P") ? "Principles" : "Rules";
    const { ir } = analyzeText(`# T\n\n## ${section}\n\n${written}\n\n## Workflow\n\n### Phase 1: Go\n\nGo.\n`);
    const elements = [...ir!.rules, ...ir!.capabilities, ...ir!.principles];
    expect(elements.map((element) => ({ id: element.id, title: element.title }))).toEqual([{ id: example.id, title: example.title }]);
  });
});

describe("references", () => {
  const DEFINED = "## Principles\n\n- **P1.** Be careful.\n\n## Capabilities\n\n" + Array.from({ length: 9 }, (_, i) => `- **C${i + 1}.** Tool ${i + 1}.`).join("\n") +
    "\n\n## Rules\n\n" + Array.from({ length: 9 }, (_, i) => `- **R${i + 1}.** The agent MUST do ${i + 1}.`).join("\n") +
    "\n\n## Control contract\n\n### 6.2 Repetition guard\n\n- window: 30\n- identical_streak: 3\n- cycle_length: 2–5\n- cycle_repeats: 2\n\n## Workflow\n\n" +
    Array.from({ length: 10 }, (_, i) => `### Phase ${i}: Step ${i}\n\nWork ${i}.`).join("\n\n");
  test.each(REFERENCE_EXAMPLES.map((example) => [example.written, example.refs]))("%s → %j", (written, refs) => {
    const { ir, file } = analyzeText(`# T\n\n${DEFINED}\n\n## Escalation\n\nAsk the lead, ${written}.\n`);
    expect(file.messages.filter((message) => message.fatal === true)).toEqual([]);
    expect(ir!.docs.find((doc) => doc.title === "Escalation")?.refs).toEqual(refs);
  });
});

describe("known guards", () => {
  test.each(GUARDS.map((guard) => [guard.title, guard.kind]))("a section titled %s is the %s guard", (title, kind) => {
    expect(guardSpecFor(title)?.kind).toBe(kind);
  });
});

describe("limits under plain labels", () => {
  test.each(LABELS.map((label) => [label.example, `${label.kind} ${label.key}`]))("%s → %s", (example, target) => {
    const found = labelTarget(example);
    expect(`${found?.spec.kind} ${found?.key}`).toBe(target);
  });
});

describe("numbers in prose", () => {
  test.each(PROSE_PATTERNS.map((pattern) => [pattern.example, pattern]))("%s", (example, pattern) => {
    const found = proseLimits(example).find((limit) => limit.quantity === pattern.quantity);
    expect(found?.value).toEqual(pattern.expected);
  });

  test("every prose quantity a guard maps has a written example", () => {
    const quantities = new Set(PROSE_PATTERNS.map((pattern) => pattern.quantity));
    for (const guard of GUARDS) for (const quantity of Object.keys(guard.prose)) expect(quantities.has(quantity as never), quantity).toBe(true);
  });

  test("ambiguous or hedged numbers are not read as limits", () => {
    expect(proseLimits("the job costs about 7 USD per hour")).toEqual([]);
    expect(proseLimits("a P100 GPU and the C4 dataset with 3 splits")).toEqual([]);
    expect(proseLimits("at most 3 attempts").map((limit) => limit.quantity)).toEqual(["attempts"]);
  });
});
