import type { Source } from "../ir.js";
import { change, whereIn, type Change, type DiffSide } from "./change.js";
import { fromTo, normalizeText, shorten } from "./text.js";

interface Named {
  id: string;
  words: string;
  source: Source;
}

/** The element lists compared by id alone: principles, roles, completion criteria and state entries. */
const LISTS: { name: string; of: (side: DiffSide) => Named[] }[] = [
  { name: "principle", of: (side) => side.ir.principles.map((element) => ({ id: element.id, words: `${element.title}. ${element.text}`, source: element.source })) },
  { name: "role", of: (side) => side.ir.roles.map((element) => ({ id: element.id, words: `${element.title}. ${element.text}`, source: element.source })) },
  { name: "criterion", of: (side) => side.ir.completion.map((element) => ({ id: element.id, words: element.text, source: element.source })) },
  { name: "state", of: (side) => side.ir.state.map((element) => ({ id: element.name, words: element.text, source: element.source })) },
];

/** Principles, roles, completion criteria and state entries by id: added, removed, reworded. */
export function diffElements(before: DiffSide, after: DiffSide): Change[] {
  return LISTS.flatMap(({ name, of }) => diffList(name, of(before), of(after), before, after));
}

function diffList(name: string, old: Named[], now: Named[], before: DiffSide, after: DiffSide): Change[] {
  const changes: Change[] = [];
  const nowById = new Map(now.map((element) => [element.id, element]));
  const oldIds = new Set(old.map((element) => element.id));
  for (const element of old) {
    const next = nowById.get(element.id);
    if (!next) changes.push(change(`${name}-removed`, { id: element.id, from: shorten(element.words), where: whereIn(before, element.source.start.line) }));
    else if (normalizeText(element.words) !== normalizeText(next.words)) {
      changes.push(change(`${name}-reworded`, { id: element.id, ...fromTo(element.words, next.words), where: whereIn(after, next.source.start.line) }));
    }
  }
  for (const element of now) if (!oldIds.has(element.id)) changes.push(change(`${name}-added`, { id: element.id, to: shorten(element.words), where: whereIn(after, element.source.start.line) }));
  return changes;
}
