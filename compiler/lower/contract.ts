import type { List, RootContent } from "mdast";
import { report } from "../diagnostics.js";
import type { Contract, Guard, GuardKind, Param, Source, SpecParam } from "../ir.js";
import { slug } from "../slug.js";
import type { LowerContext } from "./context.js";
import { guardSpec, guardSpecFor, labelTarget, ownerOf, UNGUARDED_PROSE, valueHasType, withinBounds, type GuardSpec } from "./guards.js";
import { isLayout, itemFromHeading, sectionNodes } from "./items.js";
import { collectParams, paramFromItem } from "./params.js";
import { proseLimits, type ProseLimit, type Quantity } from "./prose.js";
import { sourceOf } from "./source.js";
import { blockText, refText } from "./text.js";
import type { SectionNode } from "./tree.js";

/** A number the spec states in prose, with where it stands and what states it. */
export interface StatedLimit {
  limit: ProseLimit;
  source: Source;
  /** `R3`, or the guard or section title, for messages. */
  where: string;
}

/** Quantities that are spend, retry, iteration or timeout numbers: losing one is a warning. */
const MUST_REACH: ReadonlySet<Quantity> = new Set(["money", "retries", "iterations", "duration", "attempts", "steps"]);

const NO_IDS = { letters: "G" };

/** The control contract from every contract section: guards with parameters, prose numbers and defaults. */
export function lowerContract(sections: SectionNode[], context: LowerContext): Contract {
  const contract: Contract = { guards: [], text: "", source: null };
  const texts: string[] = [];
  for (const section of sections) {
    const intro = section.blocks.filter((node) => !isLayout(node));
    const last = intro.at(-1) ?? section.heading;
    contract.source ??= { start: sourceOf(section.heading).start, end: sourceOf(last).end };
    const { params, prose } = splitIntro(intro);
    texts.push(blockText(prose));
    for (const param of params) placeLoose(contract, param, section, context);
    for (const block of prose) applyStated(contract, statedIn(block, section.parts.title), context);
    for (const child of section.children) lowerGuard(child, contract, context);
  }
  contract.text = texts.filter(Boolean).join("\n");
  return contract;
}

/** Parameters (`- cost_cap_usd: 2`, a two-column table) and prose of a contract section's own text. */
function splitIntro(blocks: RootContent[]): { params: Param[]; prose: RootContent[] } {
  const params: Param[] = [];
  const prose: RootContent[] = [];
  for (const node of blocks) {
    if (node.type === "list" && !node.ordered) {
      const items = node.children.map((item) => ({ item, param: paramFromItem(item) }));
      params.push(...items.flatMap(({ param }) => (param ? [param] : [])));
      const rest = items.filter(({ param }) => !param).map(({ item }) => item);
      if (rest.length > 0) prose.push({ ...node, children: rest } satisfies List);
    } else if (node.type === "table") params.push(...collectParams([node]));
    else prose.push(node);
  }
  return { params, prose };
}

/** A parameter written directly under a contract section goes to the guard that owns its key. */
function placeLoose(contract: Contract, param: Param, section: SectionNode, context: LowerContext): void {
  const owner = ownerOf(param.key);
  if (owner) {
    setParam(guardOf(contract, owner, param.source), param, owner, context);
    return;
  }
  if (placeLabelled(contract, param, context)) return;
  const id = `guard-${slug(section.parts.title) || "contract"}`;
  let guard = contract.guards.find((candidate) => candidate.id === id);
  if (!guard) {
    guard = { id, title: section.parts.title, text: "", refs: [], source: param.source, group: null, kind: "other", params: [], defaulted: [] };
    contract.guards.push(guard);
  }
  guard.params.push(param);
}

/** The first guard of a kind, added (with the place of what needs it) when the spec has none. */
function guardOf(contract: Contract, spec: GuardSpec, source: Source): Guard {
  let guard = contract.guards.find((candidate) => candidate.kind === spec.kind);
  if (!guard) {
    guard = { id: `guard-${spec.kind}`, title: spec.title, text: "", refs: [], source, group: null, kind: spec.kind, params: [], defaulted: [] };
    contract.guards.push(guard);
  }
  return guard;
}

/** One guard from a contract sub-section; parameters another guard owns are moved there. */
function lowerGuard(section: SectionNode, contract: Contract, context: LowerContext): void {
  const item = itemFromHeading(section, NO_IDS, null);
  const title = section.parts.title;
  const written = collectParams(sectionNodes(section).slice(1));
  const spec = guardSpecFor(title) ?? specByKeys(written);
  const kind: GuardKind = spec?.kind ?? "other";
  const number = section.parts.number && section.parts.number.includes(".") ? section.parts.number : null;
  const existing = spec ? contract.guards.find((candidate) => candidate.kind === kind && candidate.id === `guard-${kind}`) : undefined;
  const guard: Guard = existing ?? { id: "", title, text: "", refs: [], source: item.source, group: null, kind, params: [], defaulted: [] };
  Object.assign(guard, { id: number ?? `guard-${kind === "other" ? slug(title) || "guard" : kind}`, title, text: item.text, source: item.source });
  if (!existing) contract.guards.push(guard);
  context.cite(guard, item.refText);
  for (const param of written) {
    const owner = ownerOf(param.key);
    if (spec && owner && owner.kind !== spec.kind) {
      report(context.file, "SPC310", `Unexpected \`${param.key}\` under \`${title}\`, expected it under the ${owner.title.toLowerCase()} guard; applied it there`, {
        place: param.source,
        hint: `move the item to the section about ${owner.title.toLowerCase()} (or give this section a title that names it)`,
      });
      setParam(guardOf(contract, owner, param.source), param, owner, context);
    } else if (!owner && !(spec && Object.hasOwn(spec.types, param.key)) && placeLabelled(contract, param, context)) {
      continue;
    } else setParam(guard, param, spec, context);
  }
  const prose = sectionNodes(section).slice(1).filter((node) => node.type !== "table" && !(node.type === "list" && node.children.every((entry) => paramFromItem(entry))));
  for (const block of prose) applyStated(contract, statedIn(block, title), context, guard);
}

/**
 * A limit under a plain label (`| cost cap | $9.50 / run |`, `- max spend: $40`) goes to the key the
 * label names, its number read from the value, with a note saying so. False when the label names none.
 */
function placeLabelled(contract: Contract, param: Param, context: LowerContext): boolean {
  const target = labelTarget(param.key);
  const number = /(?:^|[^\d.])(\d{1,3}(?:,\d{3})+|\d{1,9}(?:\.\d{1,4})?)(?!\.?\d)/.exec(typeof param.value === "number" ? String(param.value) : param.raw);
  if (!target || !number) return false;
  const label = param.key.replace(/_/g, " ");
  const read: Param = { key: target.key, value: Number(number[1].replace(/,/g, "")), raw: `${label}: ${param.raw}`, source: param.source, origin: "written" };
  report(context.file, "SPC312", `Unexpected label \`${label}\` for a limit, expected a known key; read it as \`${target.key}: ${read.value}\``, {
    place: param.source,
    hint: `write \`${target.key}\` as the key to say it exactly`,
  });
  setParam(guardOf(contract, target.spec, param.source), read, target.spec, context);
  return true;
}

/** A guard whose title names nothing known is recognized by the keys written under it. */
function specByKeys(params: Param[]): GuardSpec | null {
  const owners = new Set(params.map((param) => ownerOf(param.key)).filter((owner) => owner !== null));
  return owners.size === 1 ? [...owners][0] : null;
}

/** Add a written parameter, checking its type and bounds at its line (a bad one is kept, as written, beside its error). */
function setParam(guard: Guard, param: Param, spec: GuardSpec | null, context: LowerContext): void {
  if (spec) checkValue(param, spec, context);
  const index = guard.params.findIndex((candidate) => candidate.key === param.key);
  if (index >= 0) guard.params[index] = param;
  else guard.params.push(param);
}

function checkValue(param: Param, spec: GuardSpec, context: LowerContext): boolean {
  const type = Object.hasOwn(spec.types, param.key) ? spec.types[param.key] : undefined;
  if (!type) return true;
  if (!valueHasType(param.value, type)) {
    report(context.file, "SPC309", `Unexpected value \`${param.raw}\` for \`${param.key}\`, expected a ${type}`, {
      place: param.source,
      hint: type === "range" ? "write a number or a range such as `2–5`" : `write a ${type}, such as \`${param.key}: ${type === "boolean" ? "true" : "3"}\``,
    });
    return false;
  }
  const bounds = Object.hasOwn(spec.bounds, param.key) ? spec.bounds[param.key] : undefined;
  if (bounds && !withinBounds(param.value, bounds)) {
    report(context.file, "SPC309", `Unexpected value \`${param.raw || JSON.stringify(param.value)}\` for \`${param.key}\`, expected ${bounds.integer ? "a whole number" : "a number"} from ${bounds.min} to ${bounds.max}`, {
      place: param.source,
      hint: "a limit outside this range is almost certainly a typo; specc refuses it rather than guess",
    });
    return false;
  }
  return true;
}

/** The limits one block of prose states (of the quantities in `only`, when given). */
export function statedIn(block: RootContent, where: string, only?: ReadonlySet<Quantity>): StatedLimit[] {
  return statedInText(refText([block]), sourceOf(block), where, only);
}

/** The limits a text states, all placed at `source`. */
export function statedInText(text: string, source: Source, where: string, only?: ReadonlySet<Quantity>): StatedLimit[] {
  return proseLimits(text, only).map((limit) => ({ limit, source, where }));
}

/**
 * Apply stated limits: a key nobody wrote takes the prose value (origin `prose`, with a note); a
 * written value looser than the prose is tightened (with a warning); a spend, retry, iteration or
 * timeout number that reaches no contract value is a warning.
 */
export function applyStated(contract: Contract, stated: StatedLimit[], context: LowerContext, within?: Guard): void {
  for (const entry of stated) {
    const target = targetOf(entry.limit.quantity, within);
    if (!target) {
      if (MUST_REACH.has(entry.limit.quantity)) warnUnreached(entry, context);
      continue;
    }
    const guard = within && target.spec.kind === within.kind ? within : guardOf(contract, target.spec, entry.source);
    applyOne(guard, target.key, target.spec, entry, context);
  }
}

function targetOf(quantity: Quantity, within: Guard | undefined): { spec: GuardSpec; key: string } | null {
  const own = within ? guardSpec(within.kind) : null;
  const ownKey = own?.prose[quantity];
  if (own && ownKey) return { spec: own, key: ownKey };
  if (within && within.kind !== "other") return null;
  const elsewhere = UNGUARDED_PROSE[quantity];
  const spec = elsewhere ? guardSpec(elsewhere.kind) : null;
  return spec && elsewhere ? { spec, key: elsewhere.key } : null;
}

function applyOne(guard: Guard, key: string, spec: GuardSpec, entry: StatedLimit, context: LowerContext): void {
  const param: Param = { key, value: entry.limit.value, raw: entry.limit.written, source: entry.source, origin: "prose" };
  const current = guard.params.find((candidate) => candidate.key === key);
  if (!current) {
    if (!checkValue(param, spec, context)) return;
    guard.params.push(param);
    report(context.file, "SPC312", `Unexpected limit in prose \`${entry.limit.written}\`, expected a \`key: value\` item; read it as \`${key}: ${show(param.value)}\``, {
      place: entry.source,
      hint: `write \`- ${key}: ${show(param.value)}\` under the ${spec.title.toLowerCase()} section to say it in one place`,
    });
    return;
  }
  if (looser(current.value, param.value)) {
    report(context.file, "SPC313", `Unexpected \`${key}: ${show(current.value)}\`, looser than \`${entry.limit.written}\` stated in ${entry.where}; expected at most ${show(param.value)}, so ${show(param.value)} is used`, {
      place: current.source,
      hint: "make the numbers agree; specc never resolves a limit looser than one the spec states",
    });
    if (checkValue(param, spec, context)) Object.assign(current, param);
  }
}

/** Whether `written` allows more than `stated` (numbers: larger; ranges: a wider upper end). */
function looser(written: Param["value"], stated: Param["value"]): boolean {
  const top = (value: Param["value"]): number | null => (typeof value === "number" ? value : typeof value === "object" && value !== null && !Array.isArray(value) && "max" in value ? value.max : null);
  const a = top(written);
  const b = top(stated);
  return a !== null && b !== null && a > b;
}

/** What to write instead of a number that reaches no contract value, by what it counts. */
const UNREACHED_HINTS: Partial<Record<Quantity, string>> = {
  duration: "specc enforces no run-wide timeout from prose; put the limit in the phase it bounds, or reword it if nothing must enforce it",
  attempts: "say which you mean as a guard parameter: `- max_retries: 2` (three attempts) or `- max_retries: 3`",
};

function warnUnreached(entry: StatedLimit, context: LowerContext): void {
  const why = entry.limit.quantity === "attempts" ? "it is ambiguous (three attempts may mean two retries or three)" : `specc has no contract value for a ${entry.limit.quantity} limit here`;
  report(context.file, "SPC311", `Unexpected limit \`${entry.limit.written}\` in ${entry.where} that reaches no contract value, expected a guard parameter; ${why}`, {
    place: entry.source,
    hint: UNREACHED_HINTS[entry.limit.quantity] ?? "state it as a guard parameter (`- max_retries: 3` under the bounded-iteration guard), or reword it if it is not a limit the run must enforce",
  });
}

/** Defaults for every key of a known guard the spec did not give, with a warning when it gave none. */
export function fillDefaults(contract: Contract, context: LowerContext): void {
  for (const guard of contract.guards) {
    const spec = guardSpec(guard.kind);
    if (!spec) continue;
    const given = new Set(guard.params.map((param) => param.key));
    const missing = Object.entries(spec.defaults).filter(([key]) => !given.has(key));
    for (const [key, value] of missing) {
      guard.defaulted.push(key);
      guard.params.push({ key, value, raw: "", source: { start: guard.source.start, end: guard.source.start }, origin: "default" });
    }
    if (missing.length > 0) warnDefaults(guard, missing, given.size === 0, context);
  }
}

function warnDefaults(guard: Guard, missing: [string, unknown][], none: boolean, context: LowerContext): void {
  const used = missing.map(([key, value]) => `${key}: ${JSON.stringify(value)}`).join(", ");
  const what = none ? "without parameters" : `without ${missing.map(([key]) => `\`${key}\``).join(", ")}`;
  report(context.file, "SPC306", `Unexpected guard \`${guard.title}\` ${what}, expected \`key: value\` items; using the defaults ${used}`, {
    place: guard.source.start,
    hint: "write the numbers as a list (`- window: 30`) so specc does not have to assume them",
  });
}

function show(value: Param["value"]): string {
  if (typeof value === "object" && value !== null && !Array.isArray(value) && "min" in value) return `${value.min}–${value.max}`;
  return String(value);
}

/** A run parameter whose default cost cap is looser than the contract's: the contract's wins, said aloud. */
export function checkCapParam(params: SpecParam[], contract: Contract, context: LowerContext): void {
  const param = params.find((candidate) => candidate.name === "cost_cap_usd" && typeof candidate.default === "number");
  const cap = contract.guards.find((guard) => guard.kind === "approval")?.params.find((candidate) => candidate.key === "cost_cap_usd" && candidate.origin !== "default");
  if (!param || !cap || typeof cap.value !== "number" || (param.default as number) <= cap.value) return;
  report(context.file, "SPC313", `Unexpected default \`cost_cap_usd: ${param.default}\`, looser than \`${cap.raw || cap.value}\` in the contract; expected at most ${cap.value}, so ${cap.value} is used`, {
    place: param.source,
    hint: "make the numbers agree; specc never resolves a limit looser than one the spec states",
  });
}
