import { PanCodeError } from "@pancode/core";
import type { AuditEntry, ClientServiceServer } from "@pancode/proto";
import { AUDIT_CATEGORIES, type AuditCategory, type AuditLog, type AuditRow } from "../services/audit-log.js";
import type { RunQueries } from "../services/run-queries.js";
import { type HandlerContext, unary } from "./handlers.js";

/** The ClientService methods of the audit trail. */
export type AuditHandlers = Pick<ClientServiceServer, "listAudit" | "verifyAudit">;

/** What the audit handlers need. */
export interface AuditHandlerDeps {
  /** The audit trail (ListAudit, VerifyAudit). */
  audit: AuditLog;
  runs: RunQueries;
}

/** An audit row as it goes on the wire. */
function toAuditEntry(row: AuditRow): AuditEntry {
  return {
    seq: row.seq,
    at: row.at.toISOString(),
    category: row.category,
    action: row.action,
    runId: row.runId ?? "",
    actor: row.actor,
    gate: row.gate,
    message: row.message,
    dataJson: JSON.stringify(row.data),
    prevHash: row.prevHash,
    hash: row.hash,
  };
}

/** INVALID_ARGUMENT unless `category` is "" or a known audit category. */
function auditCategory(category: string): AuditCategory | undefined {
  if (category === "") return undefined;
  if (!(AUDIT_CATEGORIES as readonly string[]).includes(category)) {
    throw new PanCodeError(
      "INVALID_ARGUMENT",
      `unknown audit category "${category}"; use one of: ${AUDIT_CATEGORIES.join(", ")}`,
    );
  }
  return category as AuditCategory;
}

/** Builds ListAudit and VerifyAudit. */
export function createAuditHandlers(hc: HandlerContext, deps: AuditHandlerDeps): AuditHandlers {
  return {
    listAudit: unary(hc, "ListAudit", async (req) => {
      const category = auditCategory(req.category);
      // A run id may be a prefix, as everywhere else in the CLI.
      const runId = req.runId ? (await deps.runs.resolve(req.runId)).id : undefined;
      const limit = req.limit > 0 ? Math.min(req.limit, 1000) : 50;
      return { entries: (await deps.audit.list({ category, runId, limit })).map(toAuditEntry) };
    }),
    verifyAudit: unary(hc, "VerifyAudit", async () => {
      const v = await deps.audit.verify();
      return v.ok
        ? { ok: true, entries: v.entries, brokenSeq: 0, reason: "", message: "", headHash: v.headHash }
        : { ok: false, entries: v.entries, brokenSeq: v.seq, reason: v.reason, message: v.message, headHash: "" };
    }),
  };
}
