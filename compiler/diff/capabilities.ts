import type { Binding, Capability } from "../ir.js";
import { change, whereIn, type Change, type DiffSide } from "./change.js";
import { fromTo, normalizeText } from "./text.js";

/** Capabilities by id (added, removed, reworded) and their provider bindings (by provider: added, removed, skills, gap). */
export function diffCapabilities(before: DiffSide, after: DiffSide): Change[] {
  const changes: Change[] = [];
  const old = new Map(before.ir.capabilities.map((capability) => [capability.id, capability]));
  const now = new Map(after.ir.capabilities.map((capability) => [capability.id, capability]));
  for (const [id, capability] of old) {
    const next = now.get(id);
    if (!next) changes.push(change("capability-removed", { id, from: capability.title, where: whereIn(before, capability.source.start.line) }));
    else changes.push(...diffCapability(capability, next, before, after));
  }
  for (const [id, capability] of now) if (!old.has(id)) changes.push(change("capability-added", { id, to: capability.title, where: whereIn(after, capability.source.start.line) }));
  return changes;
}

function diffCapability(capability: Capability, next: Capability, before: DiffSide, after: DiffSide): Change[] {
  const id = capability.id;
  const changes: Change[] = [];
  if (words(capability) !== words(next)) changes.push(change("capability-reworded", { id, ...fromTo(words(capability), words(next)), where: whereIn(after, next.source.start.line) }));
  const old = byProvider(capability.bindings);
  const now = byProvider(next.bindings);
  for (const [provider, binding] of old) {
    const other = now.get(provider);
    if (!other) changes.push(change("binding-removed", { id, from: binding.provider, where: whereIn(before, binding.source.start.line) }));
    else changes.push(...diffBinding(id, binding, other, after));
  }
  for (const [provider, binding] of now) if (!old.has(provider)) changes.push(change("binding-added", { id, to: binding.provider, where: whereIn(after, binding.source.start.line) }));
  return changes;
}

function diffBinding(id: string, binding: Binding, next: Binding, after: DiffSide): Change[] {
  const where = whereIn(after, next.source.start.line);
  const changes: Change[] = [];
  for (const skill of binding.skills) if (!next.skills.includes(skill)) changes.push(change("binding-skill-removed", { id, text: next.provider, from: skill, where }));
  for (const skill of next.skills) if (!binding.skills.includes(skill)) changes.push(change("binding-skill-added", { id, text: next.provider, to: skill, where }));
  if (binding.gap !== next.gap) changes.push(change("binding-gap-changed", { id, text: next.provider, from: binding.gap ?? "unstated", to: next.gap ?? "unstated", where }));
  return changes;
}

function words(capability: Capability): string {
  return normalizeText(`${capability.title}. ${capability.text}`);
}

/** Bindings by provider, compared without case or spacing (`hf-skills + host`). */
function byProvider(bindings: Binding[]): Map<string, Binding> {
  const map = new Map<string, Binding>();
  for (const binding of bindings) {
    const key = normalizeText(binding.provider).toLowerCase();
    if (!map.has(key)) map.set(key, binding);
  }
  return map;
}
