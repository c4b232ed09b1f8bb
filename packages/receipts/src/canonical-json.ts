import { PanCodeError } from "@pancode/core";

/**
 * JSON Canonicalization Scheme (RFC 8785): object keys sorted by UTF-16 code units, no whitespace, numbers and
 * strings serialised exactly as ECMAScript's JSON.stringify does (which is what RFC 8785 specifies). A verifier in
 * any language that implements JCS gets the same bytes, so the same hash.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === "boolean" || typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new PanCodeError("INVALID_ARGUMENT", `cannot canonicalise number ${value}`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value))
    return `[${value.map((item) => canonicalJson(item === undefined ? null : item)).join(",")}]`;
  if (typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      // Default sort compares UTF-16 code units, exactly RFC 8785's rule.
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(",")}}`;
  }
  throw new PanCodeError("INVALID_ARGUMENT", `cannot canonicalise a value of type ${typeof value}`);
}
