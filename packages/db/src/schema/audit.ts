import { sql } from "drizzle-orm";
import { bigint, check, index, jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";

/**
 * The tamper-evident audit trail: append-only, one hash chain. Each entry's `hash` covers its own fields and the
 * previous entry's hash, so editing an entry breaks its hash and deleting one breaks the link (and the seq run) of
 * the next. Appends serialise on an advisory transaction lock (see src/queries/audit.ts), so the chain stays linear
 * with any number of coordinator processes on one database.
 */
export const auditLog = pgTable(
  "audit_log",
  {
    /** 1, 2, 3... gap-free: assigned as the previous entry's seq + 1 under the append lock. */
    seq: bigint("seq", { mode: "number" }).primaryKey(),
    at: timestamp("at", { withTimezone: true, mode: "date" }).notNull(),
    /** dispatch | error | budget | safety | run | worker | drain. */
    category: text("category").notNull(),
    /** What happened: admitted, refused, started, completed, failed, ceiling_set, joined, left, drain_started... */
    action: text("action").notNull(),
    /** The run concerned, when there is one (no foreign key: the trail outlives deleted runs). */
    runId: text("run_id"),
    /** Who caused it: the submitter, a worker id, or "coordinator". */
    actor: text("actor").notNull().default(""),
    /** The admission gate of a refusal (mode, mutation, drain, ...); '' otherwise. */
    gate: text("gate").notNull().default(""),
    message: text("message").notNull().default(""),
    data: jsonb("data").$type<Record<string, unknown>>().notNull().default({}),
    /** Hash of the previous entry; '' for the first entry. */
    prevHash: text("prev_hash").notNull(),
    /** "sha256:<hex>" over the canonical JSON of this entry's fields including prev_hash. */
    hash: text("hash").notNull(),
  },
  (t) => [
    index("audit_log_category_idx").on(t.category, t.seq),
    index("audit_log_run_idx").on(t.runId, t.seq),
    check("audit_log_seq_check", sql`${t.seq} > 0`),
  ],
);
