import type { Root, RootContent, Table, Yaml } from "mdast";
import { report } from "./diagnostics.js";
import { toString } from "mdast-util-to-string";
import type { VFile } from "vfile";
import type { Capability, Criterion, Element, Phase, Rule, SpecIR, StateEntry } from "./ir.js";
import { lowerBindings } from "./lower/bindings.js";
import { collectItems, collectTableItems, isCapabilityTable, type Collected } from "./lower/collect.js";
import { LowerContext } from "./lower/context.js";
import { applyStated, checkCapParam, fillDefaults, lowerContract, statedIn, statedInText, type StatedLimit } from "./lower/contract.js";
import { deriveIds } from "./lower/derive.js";
import { writeDocs } from "./lower/docs.js";
import { lowerFrontmatter } from "./lower/frontmatter.js";
import { isLayout, sectionNodes, type IdShape, type Item } from "./lower/items.js";
import { collectParams } from "./lower/params.js";
import { lowerLonePhase, lowerWorkflow } from "./lower/phases.js";
import { linkReferences } from "./lower/link.js";
import { classifySections, type Classified } from "./lower/classify.js";
import type { Quantity } from "./lower/prose.js";
import { strengthOf } from "./lower/strength.js";
import { sourceOf } from "./lower/source.js";
import { documentTree } from "./lower/tree.js";
import { slug } from "./slug.js";

/** Id shapes per kind: the kind's letter (a clause number such as `6.1` is layout, not an id). */
const SHAPES: Record<string, IdShape> = {
  principles: { letters: "P" },
  capabilities: { letters: "C" },
  rules: { letters: "R" },
  completion: { letters: "D" },
  roles: { letters: "" },
  state: { letters: "" },
};

/** mdast → spec IR. Every block lands in one place: an element, an element's text, or `docs`. */
export function lower(tree: Root, file: VFile): SpecIR {
  spaceHardBreaks(tree);
  const context = new LowerContext(file);
  const frontmatter = lowerFrontmatter(tree.children.find((node): node is Yaml => node.type === "yaml"), file);
  const document = documentTree(tree);
  const classified = classifySections(document, context);
  const { rules, stated } = lowerRules(classified, context);
  const ir: SpecIR = {
    irVersion: 1,
    name: frontmatter.name ?? nameFromPath(file.path),
    title: frontmatter.title ?? (document.title ? toString(document.title) : nameFromPath(file.path)),
    version: frontmatter.version,
    params: frontmatter.params,
    principles: elements(classified.of("principles"), "principles", context),
    roles: elements(classified.of("roles"), "roles", context),
    capabilities: lowerCapabilities(classified, context),
    phases: lowerPhases(classified),
    rules,
    contract: lowerContract(classified.of("contract"), context),
    state: classified.of("state").flatMap((section) => stateEntries(collect(section, "state", context), context)),
    completion: classified.of("completion").flatMap((section) => criteria(collect(section, "completion", context, { paragraphItems: true }), context)),
    docs: [],
    sections: context.sections,
  };
  // Limits stated outside the contract bind it too; only then are the defaults filled in.
  applyStated(ir.contract, [...stated, ...ir.phases.flatMap(spendIn), ...proseSpend(document.preamble, context)], context);
  fillDefaults(ir.contract, context);
  checkCapParam(frontmatter.params, ir.contract, context);
  ir.docs = writeDocs(document.preamble, context);
  linkReferences(ir, context);
  return ir;
}

function nameFromPath(path: string | undefined): string {
  const base = (path ?? "spec").split(/[\\/]/).pop() ?? "spec";
  return base.replace(/\.(md|markdown)$/i, "").toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "") || "spec";
}

function lowerPhases(classified: Classified): Phase[] {
  const phases: Phase[] = [];
  for (const entry of classified.ordered) {
    if (entry.kind === "workflow") phases.push(...lowerWorkflow(entry.section, classified.context));
    else if (entry.kind === "phase") phases.push(lowerLonePhase(entry.section, classified.context));
  }
  return phases;
}

const MONEY: ReadonlySet<Quantity> = new Set(["money"]);

/** A budget stated in the overview or in a section's own text ("Each case has a budget of 5 USD"). */
function proseSpend(preamble: RootContent[], context: LowerContext): StatedLimit[] {
  const nodes = [...preamble, ...context.docs.filter((doc) => doc.kind === "prose").flatMap((doc) => doc.nodes)];
  return nodes.flatMap((node) => statedIn(node, "the text", MONEY));
}

/** A budget stated in a phase ("a budget of 5 USD for detonations") binds the run's cost cap. */
function spendIn(phase: Phase): StatedLimit[] {
  const texts = [phase.text, ...phase.requirements.map((requirement) => requirement.text), ...phase.gates.map((gate) => gate.text)];
  return texts.flatMap((text) => statedInText(text, phase.source, phase.id, MONEY));
}

/** Collect a kind section's items; what became no item goes to `docs` as the section's prose. */
function collect(section: Classified["ordered"][number]["section"], kind: string, context: LowerContext, extra: Partial<Parameters<typeof collectItems>[1]> = {}): Collected {
  const collected = collectItems(section, { shape: SHAPES[kind], ...extra });
  for (const leftover of collected.leftovers) context.toDocs("prose", leftover.group ?? section.parts.title, leftover.nodes);
  // A table re-listing elements was attached to them; it is kept in docs for its place only.
  if (!extra.keepRelisted) context.toDocs("prose", section.parts.title, collected.relisted, false);
  return collected;
}

/** An item as an element of the IR (with `extra` fields), its references noted for resolution. */
function asElement<T extends object>(item: Item, id: string, context: LowerContext, extra: T = {} as T): Element & T {
  const element = { id, title: item.title, text: item.text, refs: [], source: item.source, group: item.group, ...extra };
  context.cite(element, item.refText);
  return element;
}

function elements(sections: Classified["ordered"][number]["section"][], kind: "principles" | "roles", context: LowerContext): Element[] {
  const items = sections.flatMap((section) => collect(section, kind, context).items);
  if (kind === "roles") return items.map((item, index) => asElement(item, item.id ?? (slug(item.title) || `role-${index + 1}`), context));
  const ids = deriveIds(items, { prefix: "P", what: "principles", context });
  return items.map((item, index) => asElement(item, ids[index], context));
}

function lowerCapabilities(classified: Classified, context: LowerContext): Capability[] {
  const collected = classified.of("capabilities").map((section) => collect(section, "capabilities", context, { namedRows: true, keepRelisted: true }));
  collected.push(...liftCapabilityTables(context));
  const items = collected.flatMap((entry) => entry.items);
  const ids = deriveIds(items, { prefix: "C", what: "capabilities", context });
  const capabilities = items.map((item, index): Capability => asElement(item, ids[index], context, { bindings: [] as Capability["bindings"] }));
  const tables = [...collected.flatMap((entry) => entry.relisted), ...classified.of("mapping").flatMap((section) => sectionNodes(section).filter((node) => node.type === "table"))];
  lowerBindings(tables, capabilities, context);
  for (const section of classified.of("mapping")) {
    context.toDocs("prose", section.parts.title, sectionNodes(section).slice(1).filter((node) => node.type !== "table" && node.type !== "heading" && !isLayout(node)));
  }
  return capabilities;
}

/**
 * A capability table that stands elsewhere (`| Capability | Purpose |` in an overview, `| Ref |
 * Capability |` under "Responsibilities and resources") defines capabilities all the same: it is
 * taken out of docs and read, with a note.
 */
function liftCapabilityTables(context: LowerContext): Collected[] {
  const lifted: Collected[] = [];
  for (const doc of context.docs) {
    for (const table of doc.nodes.filter((node): node is Table => node.type === "table" && isCapabilityTable(node))) {
      doc.nodes = doc.nodes.filter((node) => node !== table);
      report(context.file, "SPC107", `Unexpected capability table in \`${doc.title}\`, expected it under a capabilities heading; read it as capabilities`, {
        place: sourceOf(table),
        hint: "give the capabilities a section of their own (`## Capabilities`) to say so",
      });
      lifted.push(collectTableItems(table, { shape: SHAPES.capabilities, namedRows: true, keepRelisted: true }));
    }
  }
  return lifted;
}

/** The rules, and the limits they state in prose (a rule's "at most 5 USD" binds the contract). */
function lowerRules(classified: Classified, context: LowerContext): { rules: Rule[]; stated: StatedLimit[] } {
  const items = classified.of("rules").flatMap((section) => collect(section, "rules", context, { keywordParagraphs: true }).items);
  const ids = deriveIds(items, { prefix: "R", what: "rules", context });
  const stated = items.flatMap((item, index) => statedInText(item.refText, item.source, ids[index]));
  const rules = items.map((item, index): Rule => {
    const qualifier = item.qualifier ? strengthOf(item.qualifier) : null;
    return asElement(item, ids[index], context, { strength: qualifier ?? strengthOf(`${item.title}\n${item.text}`), params: collectParams(item.blocks) });
  });
  return { rules, stated };
}

function stateEntries(collected: Collected, context: LowerContext): StateEntry[] {
  return collected.items.map((item, index) => {
    const [name, ...rest] = item.text ? [item.title, item.text] : [item.title];
    const entry: StateEntry = { name: slug(name).replace(/-/g, "_") || `state_${index + 1}`, text: rest.join("\n") || name, refs: [], source: item.source };
    context.cite(entry, item.refText);
    return entry;
  });
}

function criteria(collected: Collected, context: LowerContext): Criterion[] {
  return collected.items.map((item, index) => {
    const text = [item.title, item.text].filter(Boolean).join(". ");
    const criterion: Criterion = { id: item.id ?? `D${index + 1}`, text, refs: [], source: item.source };
    context.cite(criterion, item.refText);
    return criterion;
  });
}

/**
 * A hard line break (two trailing spaces, or a backslash, before a newline) separates words; as a
 * node it has no text, so "MUST  ⏎independently" would read as "MUSTindependently". It becomes a
 * space. Iterative, like every pass over the tree.
 */
function spaceHardBreaks(tree: Root): void {
  const stack: { children?: unknown[] }[] = [tree];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (!Array.isArray(node.children)) continue;
    node.children.forEach((child, index) => {
      const typed = child as { type?: string; position?: unknown; children?: unknown[] };
      if (typed.type === "break") node.children![index] = { type: "text", value: " ", position: typed.position };
      else stack.push(typed);
    });
  }
}
