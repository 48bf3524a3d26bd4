// Fills the generated tables of docs/spec-language.md from the conventions the front end runs
// (compiler/lower/conventions.ts, guards.ts, prose.ts). Every row is an example that
// test/conventions.test.ts executes, so the reference cannot drift from the code.
// `npm run generate` writes it; test/generated.test.ts fails when it is stale.
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const DOC = `${root}docs/spec-language.md`;

// Inline code that itself holds a backtick needs a double-backtick fence with spaces inside.
const code = (text) => {
  const body = String(text).replace(/\|/g, "\\|");
  return body.includes("`") ? `\`\` ${body} \`\`` : `\`${body}\``;
};
const cell = (text) => String(text).replace(/\|/g, "\\|");

function show(value) {
  if (value && typeof value === "object" && !Array.isArray(value) && "min" in value) return `${value.min}–${value.max}`;
  return Array.isArray(value) ? value.join(", ") : String(value);
}

/** The tables, by region name. */
export function renderTables({ sections, phases, ids, guards, prose, references, labels }) {
  return {
    sections: [
      "| section kind | heading names (singular or plural) | example |",
      "| --- | --- | --- |",
      ...sections.map((c) => `| ${c.kind} | ${c.names.map(cell).join(", ")} | ${code(c.example)} |`),
    ],
    phases: ["| written | number | title |", "| --- | --- | --- |", ...phases.map((p) => `| ${code(p.written)} | ${p.number} | ${cell(p.title)} |`)],
    ids: ["| written | id | title |", "| --- | --- | --- |", ...ids.map((i) => `| ${code(i.written)} | ${code(i.id)} | ${cell(i.title)} |`)],
    guards: [
      "| guard kind | title words | parameters (default, allowed range) | read from prose |",
      "| --- | --- | --- | --- |",
      ...guards.map((g) => {
        const params = Object.entries(g.defaults)
          .map(([key, value]) => {
            const b = g.bounds[key];
            return `${code(key)} (${show(value)}${b ? `; ${b.min}–${b.max}${b.integer ? ", whole" : ""}` : ""})`;
          })
          .join(", ");
        const reads = Object.entries(g.prose).map(([quantity, key]) => `${quantity} → ${code(key)}`).join(", ") || "—";
        return `| ${code(g.kind)} | ${code(g.words.source)} | ${params} | ${reads} |`;
      }),
    ],
    labels: ["| label words (regular expression) | key | example |", "| --- | --- | --- |", ...labels.map((l) => `| ${code(l.words.source)} | ${code(l.key)} (${l.kind}) | ${code(l.example)} |`)],
    references: ["| written | refers to |", "| --- | --- |", ...references.map((r) => `| ${code(r.written)} | ${r.refs.length ? r.refs.map(code).join(", ") : "nothing: these are words"} |`)],
    prose: ["| counts | written | read as |", "| --- | --- | --- |", ...prose.map((p) => `| ${p.quantity} | ${code(p.example)} | ${code(show(p.expected))} |`)],
  };
}

/** `current` with every `<!-- generated:NAME -->…<!-- /generated:NAME -->` region refilled. */
export function renderSpecLanguageDoc(current, data) {
  const tables = renderTables(data);
  return current.replace(/(<!-- generated:([a-z]+) -->\n)[\s\S]*?(<!-- \/generated:\2 -->)/g, (_, open, name, close) => {
    if (!tables[name]) throw new Error(`docs/spec-language.md: unknown generated region ${name}`);
    return `${open}${tables[name].join("\n")}\n${close}`;
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const conventions = await import(`${root}dist/compiler/lower/conventions.js`);
  const { GUARDS } = await import(`${root}dist/compiler/lower/guards.js`);
  const { PROSE_PATTERNS } = await import(`${root}dist/compiler/lower/prose.js`);
  const data = { sections: conventions.SECTION_CONVENTIONS, phases: conventions.PHASE_HEADING_EXAMPLES, ids: conventions.ID_EXAMPLES, guards: GUARDS, prose: PROSE_PATTERNS, references: conventions.REFERENCE_EXAMPLES, labels: (await import(`${root}dist/compiler/lower/guards.js`)).LABELS };
  writeFileSync(DOC, renderSpecLanguageDoc(readFileSync(DOC, "utf8"), data));
  console.log("wrote docs/spec-language.md");
}
