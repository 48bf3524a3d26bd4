import { parse as parseYaml } from "yaml";
import type { OutputFile } from "../target.js";
import { change, type Change, type DiffSide } from "./change.js";

/**
 * What changes in each target's files beyond the pipeline (steps, agents and tools are reported
 * once, for all targets): the hooks emitted (a file under `hooks/`, named after the pipeline),
 * the permissions a `settings.json` allows or denies, and the GitHub token permissions a
 * workflow asks for. File contents are never compared: they carry the spec's hash, so every edit
 * would show.
 */
export function diffOutputs(before: DiffSide, after: DiffSide): Change[] {
  const changes: Change[] = [];
  for (const [target, files] of before.outputs ?? []) {
    const next = after.outputs?.get(target);
    if (!next) continue;
    changes.push(...setChanges(target, hooks(files, before.pipeline.name), hooks(next, after.pipeline.name), "hook-added", "hook-removed"));
    const [old, now] = [settings(files), settings(next)];
    changes.push(...setChanges(target, old.allow, now.allow, "allow-added", "allow-removed"));
    changes.push(...setChanges(target, old.deny, now.deny, "deny-added", "deny-removed"));
    changes.push(...diffTokenPermissions(target, tokenPermissions(files), tokenPermissions(next)));
  }
  return changes;
}

function setChanges(target: string, old: Set<string>, now: Set<string>, added: string, removed: string): Change[] {
  return [
    ...[...old].filter((name) => !now.has(name)).map((name) => change(removed, { id: name, target })),
    ...[...now].filter((name) => !old.has(name)).map((name) => change(added, { id: name, target })),
  ];
}

/** Hook names: `.claude/hooks/ml-research-spend-guard.mjs` is `spend-guard`. */
function hooks(files: OutputFile[], pipeline: string): Set<string> {
  const names = files.map((file) => /(?:^|\/)hooks\/([^/]+?)(?:\.[a-z]+)?$/.exec(file.path)?.[1]).filter((name): name is string => name !== undefined);
  return new Set(names.map((name) => (name.startsWith(`${pipeline}-`) ? name.slice(pipeline.length + 1) : name)));
}

/** The `permissions.allow` and `permissions.deny` entries of a `settings.json` (Claude Code's). */
function settings(files: OutputFile[]): { allow: Set<string>; deny: Set<string> } {
  const file = files.find((candidate) => /(?:^|\/)settings\.json$/.test(candidate.path));
  const permissions = (file ? (JSON.parse(file.content) as { permissions?: { allow?: unknown; deny?: unknown } }).permissions : undefined) ?? {};
  const list = (value: unknown) => new Set(Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : []);
  return { allow: list(permissions.allow), deny: list(permissions.deny) };
}

const LEVELS = ["none", "read", "write"];

/** The highest level each GitHub token scope gets anywhere in the workflow files (top level or a job). */
function tokenPermissions(files: OutputFile[]): Map<string, string> {
  const scopes = new Map<string, string>();
  const raise = (scope: string, level: string) => {
    if (LEVELS.indexOf(level) > LEVELS.indexOf(scopes.get(scope) ?? "none")) scopes.set(scope, level);
  };
  const read = (permissions: unknown) => {
    if (typeof permissions === "string") raise("*", permissions.replace(/-all$/, ""));
    else if (permissions && typeof permissions === "object") for (const [scope, level] of Object.entries(permissions)) if (typeof level === "string") raise(scope, level);
  };
  for (const file of files.filter((candidate) => /\.github\/workflows\/[^/]+\.ya?ml$/.test(candidate.path))) {
    const workflow = parseYaml(file.content) as { permissions?: unknown; jobs?: Record<string, { permissions?: unknown }> } | null;
    read(workflow?.permissions);
    for (const job of Object.values(workflow?.jobs ?? {})) read(job?.permissions);
  }
  return scopes;
}

function diffTokenPermissions(target: string, old: Map<string, string>, now: Map<string, string>): Change[] {
  const changes: Change[] = [];
  for (const scope of [...new Set([...old.keys(), ...now.keys()])].sort()) {
    const from = old.get(scope) ?? "none";
    const to = now.get(scope) ?? "none";
    if (from === to) continue;
    changes.push(change(LEVELS.indexOf(to) > LEVELS.indexOf(from) ? "permission-raised" : "permission-lowered", { id: scope, from, to, target }));
  }
  return changes;
}
