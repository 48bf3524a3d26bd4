import type { Root, Yaml } from "mdast";
import { toString } from "mdast-util-to-string";
import type { VFile } from "vfile";
import { report } from "./diagnostics.js";
import type { Capability, Criterion, Doc, Element, Rule, SpecIR, StateEntry } from "./ir.js";
import { lowerContract } from "./lower/contract.js";
import { lowerFrontmatter } from "./lower/frontmatter.js";
import { itemsOf, type Item } from "./lower/items.js";
import { lowerBindings } from "./lower/bindings.js";
import { collectParams } from "./lower/params.js";
import { lowerPhases } from "./lower/phases.js";
import { refsIn } from "./lower/refs.js";
import { sectionsOf, type Section, type SectionKind } from "./lower/sections.js";
import { sourceOf } from "./lower/source.js";
import { strengthOf } from "./lower/strength.js";
import { blockText } from "./lower/text.js";
import { slug } from "./slug.js";

/** mdast → spec IR. Reports what it cannot place; never throws on user input. */
export function lower(tree: Root, file: VFile): SpecIR {
  const frontmatter = lowerFrontmatter(tree.children.find((node): node is Yaml => node.type === "yaml"), file);
  const { title, preamble, sections } = sectionsOf(tree);
  const byKind = (kind: SectionKind): Section[] => sections.filter((section) => section.kind === kind);
  const capabilities = byKind("capabilities").flatMap((s) => elements(s, "C")).map((e): Capability => ({ ...e, bindings: [] }));
  lowerBindings(byKind("mapping"), capabilities, file);
  return {
    irVersion: 1,
    name: frontmatter.name ?? nameFromPath(file.path),
    title: frontmatter.title ?? (title ? toString(title) : nameFromPath(file.path)),
    version: frontmatter.version,
    params: frontmatter.params,
    principles: byKind("principles").flatMap((s) => elements(s, "P")),
    roles: byKind("roles").flatMap((s) => elements(s, "role")),
    capabilities,
    phases: byKind("workflow").flatMap((s) => lowerPhases(s, file)),
    rules: byKind("rules").flatMap((s) => rules(s)),
    contract: lowerContract(byKind("contract")[0], file),
    state: byKind("state").flatMap(stateEntries),
    completion: byKind("completion").flatMap(criteria),
    docs: docs(preamble, sections, file),
  };
}

function nameFromPath(path: string | undefined): string {
  const base = (path ?? "spec").split(/[\\/]/).pop() ?? "spec";
  return base.replace(/\.(md|markdown)$/i, "").toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "") || "spec";
}

/** Items of a section as elements; an item without an id gets `<prefix><n>` (roles: a slug). */
function elements(section: Section, prefix: string): Element[] {
  return itemsOf(section.children).map((item, index) => {
    const id = item.id ?? (prefix === "role" ? slug(item.title) || `role-${index + 1}` : `${prefix}${index + 1}`);
    return { id, title: item.title, text: item.text, refs: refsIn(`${item.title}\n${item.text}`, id), source: item.source };
  });
}

function rules(section: Section): Rule[] {
  return itemsOf(section.children).map((item: Item, index) => {
    const id = item.id ?? `R${index + 1}`;
    const qualifier = item.qualifier ? strengthOf(item.qualifier) : null;
    return {
      id,
      title: item.title,
      text: item.text,
      refs: refsIn(`${item.title}\n${item.text}`, id),
      source: item.source,
      strength: qualifier ?? strengthOf(`${item.title}\n${item.text}`),
      params: collectParams(item.blocks),
    };
  });
}

function stateEntries(section: Section): StateEntry[] {
  return itemsOf(section.children).map((item, index) => {
    const [name, ...rest] = item.text ? [item.title, item.text] : [item.title];
    return { name: slug(name).replace(/-/g, "_") || `state_${index + 1}`, text: rest.join("\n") || name, refs: refsIn(`${item.title}\n${item.text}`), source: item.source };
  });
}

function criteria(section: Section): Criterion[] {
  return itemsOf(section.children).map((item, index) => {
    const text = [item.title, item.text].filter(Boolean).join(". ");
    const id = item.id ?? `D${index + 1}`;
    return { id, text, refs: refsIn(text, id), source: item.source };
  });
}

const KNOWN_KINDS: SectionKind[] = ["principles", "roles", "capabilities", "workflow", "rules", "contract", "state", "completion", "mapping"];

function docs(preamble: Section["children"], sections: Section[], file: VFile): Doc[] {
  const result: Doc[] = [];
  if (preamble.length > 0) {
    const text = blockText(preamble);
    result.push({ kind: "overview", title: "Overview", text, refs: refsIn(text), source: { start: sourceOf(preamble[0]).start, end: sourceOf(preamble.at(-1)!).end } });
  }
  for (const section of sections) {
    if (KNOWN_KINDS.includes(section.kind)) continue;
    const source = { start: sourceOf(section.heading).start, end: sourceOf(section.children.at(-1) ?? section.heading).end };
    if (section.kind === "unknown") {
      report(file, "SPC103", `Unexpected section \`${section.title}\`, kept as documentation`, {
        place: sourceOf(section.heading),
        hint: "rename it to a known section (see docs/spec-language.md §2) if it should drive the workflow",
      });
    }
    const text = blockText(section.children);
    result.push({ kind: section.kind === "realization" ? "realization" : "unknown", title: section.title, text, refs: refsIn(text), source });
  }
  return result;
}

