// Deterministic hashing for the inlined runtime core. Workflow scripts cannot
// load a hashing library, so signatures and keys use a small pure hash instead.

/**
 * Serialize a JSON-like value with object keys sorted, so equal data always
 * yields the same text. Follows JSON rules for `undefined` (dropped from
 * objects, `null` in arrays and at the top level) and non-finite numbers
 * (`null`); a value that contains itself prints as `"[Circular]"`.
 */
export function stableStringify(value: unknown): string {
  return hashStringifyValue(value, []);
}

/** Serialize one value; `ancestors` detects cycles without a Set. */
function hashStringifyValue(value: unknown, ancestors: unknown[]): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : "null";
  if (typeof value === "bigint") return String(value);
  if (typeof value === "string" || typeof value === "boolean") return JSON.stringify(value);
  if (typeof value !== "object") return "null";
  if (ancestors.includes(value)) return JSON.stringify("[Circular]");
  const inner = ancestors.concat([value]);
  if (Array.isArray(value)) {
    return "[" + value.map((item) => hashStringifyValue(item, inner)).join(",") + "]";
  }
  return hashStringifyObject(value as Record<string, unknown>, inner);
}

/** Serialize an object's defined, serializable members in key order. */
function hashStringifyObject(value: Record<string, unknown>, ancestors: unknown[]): string {
  const parts: string[] = [];
  for (const key of Object.keys(value).sort()) {
    const member = value[key];
    // JSON drops these members; doing the same keeps `{a: undefined}` equal to `{}`.
    if (member === undefined || typeof member === "function" || typeof member === "symbol") continue;
    parts.push(JSON.stringify(key) + ":" + hashStringifyValue(member, ancestors));
  }
  return "{" + parts.join(",") + "}";
}

/**
 * cyrb53: a fast, pure 53-bit string hash (not cryptographic), returned as
 * 14 lowercase hex digits so every hash has the same width.
 */
export function hashString(text: string, seed = 0): string {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    h1 = Math.imul(h1 ^ code, 2654435761);
    h2 = Math.imul(h2 ^ code, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  const value = 4294967296 * (2097151 & h2) + (h1 >>> 0);
  return value.toString(16).padStart(14, "0");
}
