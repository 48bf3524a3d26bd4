import type { RootContent } from "mdast";
import type { VFile } from "vfile";
import type { DocKind, SectionEntry } from "../ir.js";
import { refCandidates, type RefCandidate } from "./refs.js";

/** A block that became no element, waiting to be written to `docs`. */
export interface PendingDoc {
  kind: DocKind;
  title: string;
  nodes: RootContent[];
  /** False for text already attached to elements: kept for its place, not checked as lost. */
  checked: boolean;
}

/**
 * What lowering carries between passes: the file for messages, the reference candidates of each
 * element (resolved once every id is known), the blocks bound for `docs`, and the outline.
 */
export class LowerContext {
  readonly refs = new Map<object, RefCandidate[]>();
  readonly docs: PendingDoc[] = [];
  readonly sections: SectionEntry[] = [];
  constructor(readonly file: VFile) {}

  /** Remember the reference candidates of `element`, read from `text`. */
  cite(element: object, text: string): void {
    const found = refCandidates(text);
    const known = this.refs.get(element);
    if (known) known.push(...found);
    else this.refs.set(element, found);
  }

  /** Send blocks to `docs` under `title`. */
  toDocs(kind: DocKind, title: string, nodes: RootContent[], checked = true): void {
    if (nodes.length > 0) this.docs.push({ kind, title, nodes, checked });
  }
}

