/**
 * The conventions specc recognizes, as data. docs/spec-language.md prints these tables and
 * test/conventions.test.ts runs every example, so the reference cannot drift from the code.
 * Nothing here is domain knowledge: the words are those of process documents in general.
 */

/** The kinds of top-level section a spec can have. */
export type SectionKind =
  | "principles"
  | "roles"
  | "capabilities"
  | "workflow"
  | "rules"
  | "contract"
  | "state"
  | "completion"
  | "mapping"
  | "realization"
  | "documentation"
  | "unknown";

export interface SectionConvention {
  kind: Exclude<SectionKind, "unknown">;
  /** Heading names, lowercase, singular; plurals (`-s`, `-es`, `y` → `-ies`) are accepted. Matched as whole leading words. */
  names: string[];
  /** A heading an author might write, and that must be read as this kind. */
  example: string;
}

/**
 * Section kinds with their synonyms. Order matters only where names overlap: the longest matching
 * name wins, whatever its kind ("capability mapping" is a mapping, "capability" alone is not).
 */
export const SECTION_CONVENTIONS: SectionConvention[] = [
  {
    kind: "principles",
    names: ["principle", "core principle", "design principle", "guiding principle", "tenet", "value"],
    example: "## 1. Guiding principles",
  },
  {
    kind: "roles",
    names: ["role", "agent role", "actor", "agent", "responsibility", "participant"],
    example: "## 2. Agent roles",
  },
  {
    kind: "capabilities",
    names: ["capability", "abstract capability", "required capability", "capability requirement", "tool", "tooling", "required tool"],
    example: "## 4. Capability requirements",
  },
  {
    kind: "workflow",
    names: ["workflow", "research workflow", "phase", "process", "research process", "procedure", "protocol", "method", "methodology", "step", "stage", "lifecycle", "pipeline", "playbook"],
    example: "## 5 Procedure",
  },
  {
    kind: "rules",
    names: ["rule", "hard rule", "non-negotiable rule", "non-negotiable", "policy", "constraint", "invariant", "requirement", "normative requirement", "guardrail rule", "obligation", "prohibition"],
    example: "## Non-negotiable rules",
  },
  {
    kind: "contract",
    names: ["control contract", "control", "contract", "safety contract", "guard", "guardrail", "limit", "budget", "safety", "safety limit", "resource limit", "cost control", "run limit"],
    example: "## Limits",
  },
  {
    kind: "state",
    names: ["state", "run state", "memory", "record", "artifacts and state"],
    example: "## 7. Run state",
  },
  {
    kind: "completion",
    names: ["completion", "done", "completion criteria", "completion criterion", "definition of done", "done when", "success criteria", "success criterion", "exit criteria", "exit criterion", "acceptance criteria"],
    example: "## Definition of done",
  },
  {
    kind: "mapping",
    names: ["capability-to-provider mapping", "capability to provider mapping", "capability mapping", "provider mapping", "binding", "tool binding", "capability binding"],
    example: "## Appendix A. Capability-to-provider mapping",
  },
  {
    kind: "realization",
    names: ["realization note", "realisation note", "implementation note"],
    example: "## Appendix B. Implementation notes",
  },
  {
    kind: "documentation",
    names: ["overview", "introduction", "background", "scope", "purpose", "motivation", "context", "summary", "abstract", "glossary", "definition", "terminology", "reference", "revision history", "change log", "changelog", "rationale", "note", "example", "faq", "open question", "appendix", "about", "foreword", "bibliography", "input", "output", "deliverable", "acknowledgement", "license", "contact"],
    example: "## 1. Overview",
  },
];

/** Words that open a phase heading: `Phase 3`, `Stage II`, `Step 1`. */
export const PHASE_WORDS = ["phase", "stage", "step"] as const;

export interface PhaseHeadingConvention {
  written: string;
  number: number;
  title: string;
}

/** Phase headings as authors write them; each is read at any heading depth. */
export const PHASE_HEADING_EXAMPLES: PhaseHeadingConvention[] = [
  { written: "### Phase 3: Data audit", number: 3, title: "Data audit" },
  { written: "### 5.1 Phase 0 — Intake & planning", number: 0, title: "Intake & planning" },
  { written: "### Stage 2: Search", number: 2, title: "Search" },
  { written: "### Step 1. Collect sources", number: 1, title: "Collect sources" },
  { written: "## Phase II - Analysis", number: 2, title: "Analysis" },
  { written: "#### Step 4) Publish", number: 4, title: "Publish" },
  { written: "## Stage 1 of 3: Intake", number: 1, title: "Intake" },
];

export interface IdConvention {
  written: string;
  id: string;
  title: string;
}

/** Ids at the start of a heading, list item, paragraph or table row, bold or plain. */
export const ID_EXAMPLES: IdConvention[] = [
  { written: "- **R1 (MUST). Persist every artifact.** Push it to the hub.", id: "R1", title: "Persist every artifact" },
  { written: "- **R1** — The agent MUST NOT push to main.", id: "R1", title: "The agent MUST NOT push to main" },
  { written: "**R2.** Reviewers MUST declare conflicts.", id: "R2", title: "Reviewers MUST declare conflicts" },
  { written: "R3: Scores SHOULD be justified in writing.", id: "R3", title: "Scores SHOULD be justified in writing" },
  { written: "- C4 – Citation graph: follow citations both ways.", id: "C4", title: "Citation graph" },
  { written: "- **P1) Research before code.** Read first.", id: "P1", title: "Research before code" },
  { written: "### R7 - Recover from OOM in order", id: "R7", title: "Recover from OOM in order" },
];

/** Number words read in prose limits ("at most twice", "three retries"). */
export const NUMBER_WORDS: Record<string, number> = {
  once: 1,
  twice: 2,
  thrice: 3,
  zero: 0,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
  twenty: 20,
  thirty: 30,
  fifty: 50,
  hundred: 100,
};

export interface ReferenceConvention {
  written: string;
  /** The ids this text refers to when the spec defines R1–R9, C1–C9, Phase 0–9 and §6.2. */
  refs: string[];
}

/** What is a reference (ok) and what is only a word that looks like one (not ok). */
export const REFERENCE_EXAMPLES: ReferenceConvention[] = [
  { written: "see R7", refs: ["R7"] },
  { written: "References: C2, R8", refs: ["C2", "R8"] },
  { written: "as specified in §6.2", refs: ["6.2"] },
  { written: "(Phase 4, C3)", refs: ["C3", "Phase 4"] },
  { written: "back to Phase 1 (see Step 3)", refs: ["Phase 1", "Phase 3"] },
  { written: "a P100 GPU and the C40 dataset", refs: [] },
  { written: "the `R7` column", refs: [] },
  { written: "§3.2 of the paper", refs: [] },
  { written: "P0–P2 priorities", refs: [] },
];
