import type { AgentSpec, Enforcement, Pipeline, Step } from "../pipeline.js";
import { change, whereIn, type Change, type DiffSide } from "./change.js";

/**
 * What every target's output is made from: the profile, the steps (by id; a step with a new id
 * but the same kind and spec elements is renamed), the agents of matched steps and their tools,
 * and where each rule is enforced (guard over hook over prompt).
 */
export function diffPipelines(before: DiffSide, after: DiffSide): Change[] {
  const changes: Change[] = [];
  if (before.pipeline.profile !== after.pipeline.profile) changes.push(change("profile-changed", { from: before.pipeline.profile, to: after.pipeline.profile }));
  const { pairs, removed, added } = matchSteps(before.pipeline.steps, after.pipeline.steps);
  for (const step of removed) changes.push(change("step-removed", { id: step.id, from: step.kind, where: whereIn(before, step.trace.source?.start.line) }));
  for (const step of added) changes.push(change("step-added", { id: step.id, to: step.kind, where: whereIn(after, step.trace.source?.start.line) }));
  for (const [old, now] of pairs) {
    const where = whereIn(after, now.trace.source?.start.line);
    if (old.id !== now.id) changes.push(change("step-renamed", { id: now.id, from: old.id, to: now.id, where }));
    if (old.kind !== now.kind) changes.push(change("step-kind-changed", { id: now.id, from: old.kind, to: now.kind, where }));
    changes.push(...diffAgents(old, now, before.pipeline, after.pipeline, where));
  }
  changes.push(...diffEnforcement(before, after));
  return changes;
}

/** Steps by id, then the leftovers by kind and the spec elements they realize (a renamed phase renames its step). */
function matchSteps(old: Step[], now: Step[]): { pairs: [Step, Step][]; removed: Step[]; added: Step[] } {
  const nowById = new Map(now.map((step) => [step.id, step]));
  const pairs: [Step, Step][] = [];
  const leftOld: Step[] = [];
  for (const step of old) {
    const next = nowById.get(step.id);
    if (next) {
      pairs.push([step, next]);
      nowById.delete(step.id);
    } else leftOld.push(step);
  }
  const leftNow = now.filter((step) => nowById.has(step.id));
  const removed: Step[] = [];
  for (const step of leftOld) {
    const twin = leftNow.find((candidate) => candidate.kind === step.kind && candidate.trace.elements.join("\n") === step.trace.elements.join("\n"));
    if (twin) {
      pairs.push([step, twin]);
      leftNow.splice(leftNow.indexOf(twin), 1);
    } else removed.push(step);
  }
  return { pairs, removed, added: leftNow };
}

/**
 * The agents of a matched step pair, by their name without the pipeline and step prefix (`-fixer`,
 * `-literature-search`), so renaming the spec or the step renames no agent: added, removed, and
 * tools granted or taken away.
 */
function diffAgents(old: Step, now: Step, before: Pipeline, after: Pipeline, where: string | undefined): Change[] {
  const changes: Change[] = [];
  const suffix = (agent: AgentSpec, pipeline: Pipeline, step: Step) => {
    const prefix = `${pipeline.name}-${step.id}`;
    return agent.name.startsWith(prefix) ? agent.name.slice(prefix.length) : agent.name;
  };
  const nowBySuffix = new Map(now.agents.map((agent) => [suffix(agent, after, now), agent]));
  const oldSuffixes = new Set(old.agents.map((agent) => suffix(agent, before, old)));
  for (const agent of old.agents) {
    const next = nowBySuffix.get(suffix(agent, before, old));
    if (!next) {
      changes.push(change("agent-removed", { id: agent.name, from: agent.role, where }));
      continue;
    }
    for (const tool of next.tools) if (!agent.tools.includes(tool)) changes.push(change("agent-tool-added", { id: next.name, to: tool, where }));
    for (const tool of agent.tools) if (!next.tools.includes(tool)) changes.push(change("agent-tool-removed", { id: next.name, from: tool, where }));
  }
  for (const agent of now.agents) if (!oldSuffixes.has(suffix(agent, after, now))) changes.push(change("agent-added", { id: agent.name, to: agent.role, where }));
  return changes;
}

const RANK = { guard: 3, hook: 2, prompt: 1 } as const;

/**
 * Where a rule kept in both versions is enforced. Fewer enforcers, or a weaker kind (a guard that
 * became a prompt), is a weakening; more is a strengthening; a swap is a change.
 */
function diffEnforcement(before: DiffSide, after: DiffSide): Change[] {
  const now = new Map(after.pipeline.enforcement.map((entry) => [entry.rule, entry]));
  const changes: Change[] = [];
  for (const entry of before.pipeline.enforcement) {
    const next = now.get(entry.rule);
    if (!next) continue;
    const lost = entry.by.filter((name) => !next.by.includes(name));
    const gained = next.by.filter((name) => !entry.by.includes(name));
    if (entry.where === next.where && lost.length === 0 && gained.length === 0) continue;
    const rank = RANK[next.where] - RANK[entry.where];
    const kind = rank < 0 || (rank === 0 && gained.length === 0) ? "enforcement-weakened" : rank > 0 || lost.length === 0 ? "enforcement-strengthened" : "enforcement-changed";
    const line = after.ir.rules.find((rule) => rule.id === entry.rule)?.source.start.line;
    changes.push(change(kind, { id: entry.rule, from: enforcedBy(entry), to: enforcedBy(next), where: whereIn(after, line) }));
  }
  return changes;
}

function enforcedBy(entry: Enforcement): string {
  return entry.by.length > 0 ? `${entry.where}: ${entry.by.join(", ")}` : entry.where;
}
