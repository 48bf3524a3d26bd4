/** JSON with sorted keys, two-space indentation and a final newline: byte-stable output. */
export function stableJson(value: unknown): string {
  return `${JSON.stringify(sortKeys(value), null, 2)}\n`;
}

/** A deep copy with object keys in code-point order (arrays keep their order). */
export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== "object") return value;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const item = (value as Record<string, unknown>)[key];
    // defineProperty, not assignment: a key named `__proto__` (spec text) would set the prototype.
    if (item !== undefined) Object.defineProperty(sorted, key, { value: sortKeys(item), enumerable: true, writable: true, configurable: true });
  }
  return sorted;
}
