import type { AuditEntry, VerifyAuditResponse } from "../gen/pancode/v1/coordinator.js";

/** `pancode audit --json`: one entry, stable camelCase fields. */
export interface AuditEntryJson {
  seq: number;
  at: string;
  category: string;
  action: string;
  runId: string | null;
  actor: string;
  gate: string | null;
  message: string;
  data: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

/** `pancode audit verify --json`. */
export interface AuditVerifyJson {
  ok: boolean;
  entries: number;
  /** First broken entry; null when the chain is intact. */
  brokenSeq: number | null;
  /** edited | deleted | unlinked; null when intact. */
  reason: string | null;
  message: string;
  /** Hash of the newest entry when intact: keep a copy elsewhere to detect a truncated trail later. */
  headHash: string | null;
}

/** One entry as `pancode audit --json` and the MCP server's `audit` show it. */
export function auditEntryJson(e: AuditEntry): AuditEntryJson {
  let data: Record<string, unknown> = {};
  try {
    data = JSON.parse(e.dataJson || "{}") as Record<string, unknown>;
  } catch (_err) {
    // Never fail a listing over a detail field; the hash chain is what proves integrity.
  }
  return {
    seq: e.seq,
    at: e.at,
    category: e.category,
    action: e.action,
    runId: e.runId || null,
    actor: e.actor,
    gate: e.gate || null,
    message: e.message,
    data,
    prevHash: e.prevHash,
    hash: e.hash,
  };
}

/** The outcome of walking the hash chain as `pancode audit verify --json` and the MCP server's `audit` show it. */
export function auditVerifyJson(v: VerifyAuditResponse): AuditVerifyJson {
  return {
    ok: v.ok,
    entries: v.entries,
    brokenSeq: v.ok ? null : v.brokenSeq,
    reason: v.ok ? null : v.reason,
    message: v.ok ? `audit chain OK (${v.entries} entries)` : v.message,
    headHash: v.ok ? v.headHash : null,
  };
}
