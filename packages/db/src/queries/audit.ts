import { PanCodeError } from "@pancode/core";
import { and, asc, desc, eq, gt, type SQL, sql } from "drizzle-orm";
import { PgTransaction } from "drizzle-orm/pg-core";
import type { DbHandle } from "../handle.js";
import type { AuditRow, RunRow } from "../rows.js";
import { auditLog } from "../schema/index.js";
import { auditEntryHash } from "./audit-hash.js";
import { toDatabaseError } from "./db-errors.js";
import { insertManyByColumn } from "./insert-many.js";

/** Categories of audit entries. */
export const AUDIT_CATEGORIES = [
  "dispatch",
  "error",
  "budget",
  "safety",
  "run",
  "worker",
  "drain",
  "keys",
  "tokens",
] as const;

/** One of {@link AUDIT_CATEGORIES}. */
export type AuditCategory = (typeof AUDIT_CATEGORIES)[number];

/** An entry to append; the database assigns seq, prev_hash and hash. */
export interface NewAuditEntry {
  category: AuditCategory;
  action: string;
  runId?: string | null;
  actor?: string;
  gate?: string;
  message?: string;
  data?: Record<string, unknown>;
  /** @default new Date() */
  at?: Date;
}

/**
 * The audit entry (or entries, in order) of a run's state change, built from the changed row. Queries that take
 * one append it in the same transaction as the change: both commit, or neither does.
 */
export type AuditFor = (run: RunRow) => NewAuditEntry | readonly NewAuditEntry[];

/**
 * Appends the entries an {@link AuditFor} built, in order, inside the caller's transaction. Several entries (an
 * admission with safety warnings) share one chain lock, one head read and one multi-row insert: the chain lock is
 * held until the caller commits, so every round trip saved is one less that other appenders wait behind.
 */
export async function appendAuditFor(db: DbHandle, entries: NewAuditEntry | readonly NewAuditEntry[]): Promise<void> {
  const list = (Array.isArray(entries) ? entries : [entries]) as readonly NewAuditEntry[];
  if (list.length === 0) return;
  for (const entry of list) checkCategory(entry);
  try {
    await insertEntries(db, list);
  } catch (err) {
    throw appendFailure(list, err);
  }
}

/** Filter of {@link listAudit}; entries come newest first. */
export interface AuditFilter {
  category?: AuditCategory;
  runId?: string;
  /** @default 50 */
  limit?: number;
}

/** Result of {@link verifyAudit}: the whole chain checks out, or the first entry that does not. */
export type AuditVerification =
  | { ok: true; entries: number; headHash: string }
  | {
      ok: false;
      entries: number;
      /** Seq of the first entry that fails (for a deletion: the entry after the gap). */
      seq: number;
      reason: "edited" | "deleted" | "unlinked";
      message: string;
    };

// One key for the whole chain: every appender, in any coordinator process, takes this transaction-scoped lock
// before reading the head, so two appends can never both link to the same previous entry. Advisory locks need no
// row to exist (the first append has no head to lock) and work the same on PGlite.
const CHAIN_LOCK = 0x70616e63; // "panc"

/** Rows read per round trip while verifying. */
const VERIFY_PAGE = 1000;

/**
 * Appends one entry to the chain and returns it. Serialised cluster-wide on an advisory transaction lock. Inside a
 * caller's transaction it joins that transaction and the lock is held until it ends. A failure names the
 * entry it could not record (UNAVAILABLE when the database is unreachable, else INTERNAL).
 */
export async function appendAudit(db: DbHandle, entry: NewAuditEntry): Promise<AuditRow> {
  checkCategory(entry);
  try {
    const [row] = await insertEntries(db, [entry]);
    if (!row) throw new PanCodeError("INTERNAL", `audit append of "${entry.category}/${entry.action}" returned no row`);
    return row;
  } catch (err) {
    throw appendFailure([entry], err);
  }
}

function checkCategory(entry: NewAuditEntry): void {
  if (!(AUDIT_CATEGORIES as readonly string[]).includes(entry.category)) {
    throw new PanCodeError("INVALID_ARGUMENT", `unknown audit category "${entry.category}"`);
  }
}

/** The error of a failed append, naming the entry (or the first of several) it could not record. */
function appendFailure(entries: readonly NewAuditEntry[], err: unknown): PanCodeError {
  const cause = toDatabaseError("appendAudit", err);
  const first = entries[0] as NewAuditEntry;
  const more = entries.length > 1 ? ` and ${entries.length - 1} more` : "";
  const what = `${first.category}/${first.action}${first.runId ? ` of run ${first.runId}` : ""}${more}`;
  return new PanCodeError(cause.code, `audit trail: could not record ${what}: ${cause.message}`, {
    cause: err,
    retryable: cause.retryable,
  });
}

/** Links `entries`, in order, after the chain's head under the chain lock and inserts them in one statement. */
async function insertEntries(db: DbHandle, entries: readonly NewAuditEntry[]): Promise<AuditRow[]> {
  const append = async (tx: DbHandle): Promise<AuditRow[]> => {
    await tx.execute(sql`select pg_advisory_xact_lock(${CHAIN_LOCK})`);
    const [head] = await tx
      .select({ seq: auditLog.seq, hash: auditLog.hash })
      .from(auditLog)
      .orderBy(desc(auditLog.seq))
      .limit(1);
    let seq = head?.seq ?? 0;
    let prevHash = head?.hash ?? "";
    const rows = entries.map((entry) => {
      const fields = {
        seq: ++seq,
        // Millisecond precision, so the timestamp read back from timestamptz hashes the same.
        at: new Date((entry.at ?? new Date()).getTime()),
        category: entry.category,
        action: entry.action,
        runId: entry.runId ?? null,
        actor: entry.actor ?? "",
        gate: entry.gate ?? "",
        message: entry.message ?? "",
        // What jsonb will hand back: undefined dropped, Dates as strings; the hash must cover exactly that.
        data: JSON.parse(JSON.stringify(entry.data ?? {})) as Record<string, unknown>,
        prevHash,
      };
      prevHash = auditEntryHash(fields);
      return { ...fields, hash: prevHash };
    });
    await insertRows(tx, rows);
    return rows;
  };
  // Inside the caller's transaction the entry simply joins it (a failed append fails the whole change anyway);
  // a savepoint would only add two round trips to every run's admission, claim and completion.
  return (db as unknown) instanceof PgTransaction ? append(db) : db.transaction(append);
}

/**
 * Inserts linked entries as one statement with one array parameter per column ({@link insertManyByColumn}), not one
 * parameter per field: an admission batch appends hundreds of entries, and building a statement of thousands of
 * parameters cost more coordinator CPU than the rest of the batch's transaction (bench/README.md, admissions). Every
 * column is given, so the rows stored are exactly `rows`, which is what the caller gets back.
 */
async function insertRows(tx: DbHandle, rows: readonly AuditRow[]): Promise<void> {
  if (!(await insertManyByColumn(tx, auditLog, rows))) await tx.insert(auditLog).values([...rows]);
}

/** Entries matching the filter, newest first. */
export async function listAudit(db: DbHandle, filter: AuditFilter): Promise<AuditRow[]> {
  const where: SQL[] = [];
  if (filter.category) where.push(eq(auditLog.category, filter.category));
  if (filter.runId) where.push(eq(auditLog.runId, filter.runId));
  const limit = filter.limit !== undefined && filter.limit > 0 ? Math.min(filter.limit, 10_000) : 50;
  return db
    .select()
    .from(auditLog)
    .where(where.length > 0 ? and(...where) : undefined)
    .orderBy(desc(auditLog.seq))
    .limit(limit);
}

/**
 * Walks the chain from the first entry: every seq must follow the previous one (a gap is a deleted entry), every
 * prev_hash must equal the previous entry's hash, and every hash must match the entry's fields (an edit). Reports
 * the first entry that fails. Deleting the newest entries leaves a shorter valid chain: only an external copy of
 * the head hash (printed by `pancode audit verify`) detects that.
 */
export async function verifyAudit(db: DbHandle): Promise<AuditVerification> {
  let prevSeq = 0;
  let prevHash = "";
  let entries = 0;
  for (;;) {
    const page = await db
      .select()
      .from(auditLog)
      .where(gt(auditLog.seq, prevSeq))
      .orderBy(asc(auditLog.seq))
      .limit(VERIFY_PAGE);
    for (const row of page) {
      const broken = checkEntry(row, prevSeq, prevHash);
      if (broken) return { ok: false, entries, seq: row.seq, ...broken };
      prevSeq = row.seq;
      prevHash = row.hash;
      entries++;
    }
    if (page.length < VERIFY_PAGE) return { ok: true, entries, headHash: prevHash };
  }
}

function checkEntry(
  row: AuditRow,
  prevSeq: number,
  prevHash: string,
): { reason: "edited" | "deleted" | "unlinked"; message: string } | undefined {
  if (row.seq !== prevSeq + 1) {
    const missing =
      row.seq - 1 === prevSeq + 1 ? `entry ${prevSeq + 1} is` : `entries ${prevSeq + 1}-${row.seq - 1} are`;
    return { reason: "deleted", message: `${missing} missing before entry ${row.seq} (deleted)` };
  }
  if (row.prevHash !== prevHash) {
    return {
      reason: "unlinked",
      message: `entry ${row.seq} does not link to entry ${prevSeq}: prev_hash ${row.prevHash || "(none)"} != ${prevHash || "(none)"}`,
    };
  }
  const expected = auditEntryHash(row);
  if (row.hash !== expected) {
    return {
      reason: "edited",
      message: `entry ${row.seq} was modified: its hash ${row.hash} does not match its content (${expected})`,
    };
  }
  return undefined;
}
