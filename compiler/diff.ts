import { diffCapabilities } from "./diff/capabilities.js";
import { change, type Change, type DiffSide } from "./diff/change.js";
import { diffElements } from "./diff/elements.js";
import { diffGuards } from "./diff/guards.js";
import { diffLimits } from "./diff/limits.js";
import { diffOutputs } from "./diff/outputs.js";
import { diffParams } from "./diff/params.js";
import { diffPhases } from "./diff/phases.js";
import { diffPipelines } from "./diff/pipeline.js";
import { diffRules } from "./diff/rules.js";
import { sortChanges } from "./diff/sort-changes.js";
import { normalizeText } from "./diff/text.js";

export type { Change, DiffSide } from "./diff/change.js";

/**
 * The semantic diff of two realized versions of a spec, most severe first. Only meaning counts:
 * moving text, re-wrapping it or renumbering lines is no change; each part of the spec is compared
 * by identity (ids, phase titles and requirements), never by position.
 */
export function diffSpecs(before: DiffSide, after: DiffSide): Change[] {
  return sortChanges([
    ...diffSpecIdentity(before, after),
    ...diffRules(before, after),
    ...diffLimits(before, after),
    ...diffGuards(before, after),
    ...diffPhases(before, after),
    ...diffCapabilities(before, after),
    ...diffParams(before, after),
    ...diffElements(before, after),
    ...diffPipelines(before, after),
    ...diffOutputs(before, after),
  ]);
}

/** The spec's name (which names every generated file) and title. */
function diffSpecIdentity(before: DiffSide, after: DiffSide): Change[] {
  const changes: Change[] = [];
  if (before.ir.name !== after.ir.name) changes.push(change("name-changed", { from: before.ir.name, to: after.ir.name }));
  if (normalizeText(before.ir.title) !== normalizeText(after.ir.title)) changes.push(change("title-changed", { from: before.ir.title, to: after.ir.title }));
  return changes;
}
