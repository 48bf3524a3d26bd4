import type { Rule } from "../ir.js";
import { change, whereIn, type Change, type DiffSide } from "./change.js";
import { diffParamsOf } from "./params-of.js";
import { fromTo, normalizeText, proseOf, shorten, withoutKeywords } from "./text.js";
import { strengthMove, strengthName } from "./strength-move.js";

/**
 * Rules by id: added, removed, weakened or strengthened (MUST → SHOULD is a weakening), reworded
 * (same id, other words), their parameters, and the keys the scope guard protects (one key
 * fewer is a loosening).
 */
export function diffRules(before: DiffSide, after: DiffSide): Change[] {
  const changes: Change[] = [];
  const now = new Map(after.ir.rules.map((rule) => [rule.id, rule]));
  const old = new Map(before.ir.rules.map((rule) => [rule.id, rule]));
  for (const rule of before.ir.rules) {
    const next = now.get(rule.id);
    if (!next) changes.push(change("rule-removed", { id: rule.id, from: shorten(ruleText(rule)), where: whereIn(before, rule.source.start.line) }));
    else changes.push(...diffRule(rule, next, before, after));
  }
  for (const rule of after.ir.rules) {
    if (!old.has(rule.id)) changes.push(change("rule-added", { id: rule.id, to: shorten(ruleText(rule)), where: whereIn(after, rule.source.start.line) }));
  }
  return changes;
}

function diffRule(rule: Rule, next: Rule, before: DiffSide, after: DiffSide): Change[] {
  const changes: Change[] = [];
  const where = whereIn(after, next.source.start.line);
  const move = strengthMove(rule.strength, next.strength);
  if (move) changes.push(change(`rule-${move}`, { id: rule.id, from: strengthName(rule.strength), to: strengthName(next.strength), where }));
  if (withoutKeywords(ruleText(rule)) !== withoutKeywords(ruleText(next))) changes.push(change("rule-reworded", { id: rule.id, ...fromTo(ruleText(rule), ruleText(next)), where }));
  changes.push(...diffProtected(rule, next, before, after));
  const kinds = { added: "rule-param-added", removed: "rule-param-removed", changed: "rule-param-changed" };
  changes.push(...diffParamsOf(rule.id, { side: before, params: rule.params }, { side: after, params: next.params }, kinds, new Set(["protected"])));
  return changes;
}

/** A rule's words as compared: its title and its prose, without the parameter lines. */
function ruleText(rule: Rule): string {
  const prose = proseOf(rule.text, rule.params.map((param) => param.key));
  return normalizeText(`${rule.title}${rule.title && prose ? ". " : ""}${prose}`);
}

/** The protected keys of a rule, one change per key, since each is a separate promise to the user. */
function diffProtected(rule: Rule, next: Rule, before: DiffSide, after: DiffSide): Change[] {
  const keys = (subject: Rule) => {
    const param = subject.params.find((candidate) => candidate.key === "protected");
    const value = param?.value;
    return { line: param?.source.start.line, keys: new Set((Array.isArray(value) ? value : typeof value === "string" ? [value] : []).map((key) => normalizeText(key))) };
  };
  const old = keys(rule);
  const now = keys(next);
  const removed = [...old.keys].filter((key) => !now.keys.has(key)).map((key) => change("protected-key-removed", { id: rule.id, from: key, where: whereIn(now.line ? after : before, now.line ?? old.line) }));
  const added = [...now.keys].filter((key) => !old.keys.has(key)).map((key) => change("protected-key-added", { id: rule.id, to: key, where: whereIn(after, now.line) }));
  return [...removed, ...added];
}
