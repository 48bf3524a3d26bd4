/**
 * The spec IR: the typed, validated form of a Markdown research spec.
 * It is the only contract between the front end (parse, lower, check) and realization.
 * Top-level keys are stable; `irVersion` changes when their meaning does.
 */

/** A 1-based place in the spec file. */
export interface Point {
  line: number;
  column: number;
}

/** Where an element was written. Every element carries one. */
export interface Source {
  start: Point;
  end: Point;
}

/** RFC 2119 strength; `null` when the text has no keyword. */
export type Strength = "MUST" | "MUST NOT" | "SHOULD" | "SHOULD NOT" | "MAY";

/** A parsed parameter value (see docs/spec-language.md §7). */
export type ParamValue =
  | number
  | string
  | boolean
  | { min: number; max: number }
  | string[]
  | TableValue;

/** A table with more than two columns: rows keyed by the header cells. */
export interface TableValue {
  columns: string[];
  rows: Record<string, string>[];
}

/** A machine-readable parameter with the place it was written. */
export interface Param {
  key: string;
  value: ParamValue;
  raw: string;
  source: Source;
  /** `written` as `key: value` or a table; `prose` read from a sentence; `default` documented, not written. */
  origin: "written" | "prose" | "default";
}

/** A declared run parameter from the frontmatter (`task`, `cost_cap_usd`, …). */
export interface SpecParam {
  name: string;
  type: "string" | "number" | "integer" | "boolean";
  required: boolean;
  default?: string | number | boolean;
  description: string;
  source: Source;
}

/** The common shape of every identified element. */
export interface Element {
  id: string;
  title: string;
  text: string;
  refs: string[];
  source: Source;
  /** The title of the sub-heading the element stands under (`Persistence`), if any. */
  group: string | null;
}

export type Principle = Element;
export type Role = Element;

/** One row of the capability-to-provider mapping table. */
export interface Binding {
  provider: string;
  skills: string[];
  gap: "none" | "partial" | "full" | null;
  notes: string;
  source: Source;
}

export interface Capability extends Element {
  bindings: Binding[];
}

export interface Requirement {
  id: string | null;
  strength: Strength | null;
  text: string;
  refs: string[];
  source: Source;
}

export type GateKind = "mandatory" | "smoke-test" | "checklist" | "approval";

export interface Gate {
  kind: GateKind;
  text: string;
  items: string[];
  source: Source;
}

export interface Phase extends Element {
  kind: "phase" | "loop";
  /** The phase number (`Phase 3` → 3); `null` for a loop. */
  number: number | null;
  optional: boolean;
  requirements: Requirement[];
  gates: Gate[];
  params: Param[];
  /** Rules linked to the phase: cited by it, or citing it (`(Phase 2)` in a rule). */
  rules: string[];
}

export interface Rule extends Element {
  strength: Strength | null;
  params: Param[];
}

export type GuardKind =
  | "bounded-iteration"
  | "repetition"
  | "continuation"
  | "malformed-action"
  | "output-truncation"
  | "compaction"
  | "approval"
  | "effort-probing"
  | "research-budget"
  | "other";

export interface Guard extends Element {
  kind: GuardKind;
  params: Param[];
  /** Keys whose value is the documented default, not written in the spec. */
  defaulted: string[];
}

export interface Contract {
  guards: Guard[];
  text: string;
  source: Source | null;
}

export interface StateEntry {
  name: string;
  text: string;
  refs: string[];
  source: Source;
}

export interface Criterion {
  id: string;
  text: string;
  refs: string[];
  source: Source;
}

/**
 * `overview`: before the first section; `prose`: a known section's own text that is no element;
 * `documentation`: a section such as Scope or Glossary; `realization`: realization notes;
 * `unknown`: a section or heading specc does not recognize.
 */
export type DocKind = "overview" | "prose" | "documentation" | "realization" | "unknown";

/** Every heading of the spec with the kind of section it opens: the outline of what was read. */
export interface SectionEntry {
  title: string;
  number: string | null;
  depth: number;
  kind: string;
  source: Source;
}

export interface Doc {
  kind: DocKind;
  title: string;
  text: string;
  refs: string[];
  source: Source;
}

export interface SpecIR {
  irVersion: 1;
  name: string;
  title: string;
  version: string | null;
  params: SpecParam[];
  principles: Principle[];
  roles: Role[];
  capabilities: Capability[];
  phases: Phase[];
  rules: Rule[];
  contract: Contract;
  state: StateEntry[];
  completion: Criterion[];
  docs: Doc[];
  sections: SectionEntry[];
}
