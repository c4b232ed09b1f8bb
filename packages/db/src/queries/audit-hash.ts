import { sha256Digest } from "@pancode/core";

/** The fields of an audit entry its hash covers (everything but the hash itself). */
export interface HashedAuditFields {
  seq: number;
  at: Date;
  category: string;
  action: string;
  runId: string | null;
  actor: string;
  gate: string;
  message: string;
  data: Record<string, unknown>;
  prevHash: string;
}

/**
 * Canonical JSON in the manner of RFC 8785 for the values an audit entry holds: object keys sorted by UTF-16 code
 * units, no whitespace, strings and finite numbers as JSON.stringify writes them. Keys whose value is undefined are
 * dropped, as jsonb would drop them. Kept here (not @pancode/receipts) because adapters never import one another.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === "boolean" || typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new TypeError(`audit data holds a non-finite number: ${value}`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(",")}]`;
  if (typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  throw new TypeError(`audit data holds a value JSON cannot carry: ${typeof value}`);
}

/** "sha256:<hex>" of the canonical JSON of the entry's fields, the timestamp as ISO 8601 with milliseconds. */
export function auditEntryHash(e: HashedAuditFields): string {
  const body = canonicalJson({
    seq: e.seq,
    at: e.at.toISOString(),
    category: e.category,
    action: e.action,
    runId: e.runId,
    actor: e.actor,
    gate: e.gate,
    message: e.message,
    data: e.data,
    prevHash: e.prevHash,
  });
  return sha256Digest(Buffer.from(body, "utf8"));
}
