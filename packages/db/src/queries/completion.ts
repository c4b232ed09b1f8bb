import { isTerminalStatus, PanCodeError, type PatchSummary, type RunStatus } from "@pancode/core";
import { and, eq, inArray, lt, ne, sql } from "drizzle-orm";
import type { DbHandle } from "../handle.js";
import type { RunRow } from "../rows.js";
import { receipts, runs } from "../schema/index.js";
import { type AuditFor, appendAuditFor } from "./audit.js";
import { settleRun } from "./budget.js";
import { insertEventRows, type NewEvent } from "./events.js";
import { toRunRow } from "./mappers.js";
import type { NewReceipt } from "./receipts.js";

/** Options of {@link completeRun}: the worker's final report of one attempt. */
export interface CompleteRunOptions {
  runId: string;
  attempt: number;
  leaseToken: string;
  /** A terminal status. */
  status: RunStatus;
  exitCode: number | null;
  error: string;
  outputTail: string;
  finishedAt: Date;
  costUsd: number;
  /** The result patch, or null when the run produced none. */
  patch: PatchSummary | null;
  /** Model tokens the attempt used (totals over the run); 0 or absent when the runtime reports none. */
  inputTokens?: number;
  outputTokens?: number;
  /** Audit entry of the terminal transition, appended in its transaction. */
  audit?: AuditFor;
  /**
   * Events appended in the same transaction (the terminal status event; one per run): a watcher that sees the
   * ended run also finds them. They take the attempt of the report.
   */
  events?: NewEvent[];
  /**
   * The run's receipt, stored in the same transaction (`runs.receipt_id` points at it): the ended run is never seen
   * without it. A run has at most one receipt, so one already stored fails the whole completion.
   */
  receipt?: NewReceipt;
}

/** Result of {@link completeRun}. */
export type CompleteRunResult = { ok: true; run: RunRow } | { ok: false; reason: "stale" | "finished" | "not_found" };

/**
 * Ends the run with the worker's result, only if `attempt` and `leaseToken` still name the run's current attempt:
 * running (its lease may have expired), or put back to `pending` by the reaper but not claimed again (the result of
 * a worker that could not reach the coordinator in time is accepted late rather than executed twice).
 * One conditional UPDATE decides, so of any number of concurrent reports exactly one commits; the run's budget
 * reservation is settled to its actual cost in the same transaction.
 */
export async function completeRun(db: DbHandle, options: CompleteRunOptions): Promise<CompleteRunResult> {
  assertTerminal(options.status, options.runId);
  const events = options.events ?? [];
  return db.transaction(async (tx) => {
    const [done] = await tx
      .update(runs)
      .set({
        status: options.status,
        exitCode: options.exitCode,
        error: options.error,
        outputTail: options.outputTail,
        finishedAt: options.finishedAt,
        costUsd: options.costUsd,
        inputTokens: tokenCount(options.inputTokens),
        outputTokens: tokenCount(options.outputTokens),
        patchDigest: options.patch?.digest ?? "",
        patchBytes: options.patch?.bytes ?? 0,
        patchFiles: options.patch?.files ?? [],
        leaseToken: "",
        leaseExpiresAt: null,
        ...(events.length > 0 ? { eventSeq: sql`${runs.eventSeq} + ${events.length}` } : {}),
        ...(options.receipt ? { receiptId: options.receipt.id } : {}),
      })
      .where(
        and(
          eq(runs.id, options.runId),
          eq(runs.attempt, options.attempt),
          eq(runs.leaseToken, options.leaseToken),
          ne(runs.leaseToken, ""),
          inArray(runs.status, ["running", "pending"]),
        ),
      )
      .returning();
    if (done) {
      // Same transaction as the terminal transition, which only one caller can win: settled exactly once.
      await settleRun(tx, options.runId);
      const run = toRunRow({ ...done, reservedUsd: 0 });
      if (options.audit) await appendAuditFor(tx, options.audit(run));
      if (events.length > 0) await insertEventRows(tx, run.id, run.attempt, events, done.eventSeq);
      if (options.receipt) await tx.insert(receipts).values({ ...options.receipt, runId: run.id });
      return { ok: true as const, run };
    }
    const [row] = await tx.select({ status: runs.status }).from(runs).where(eq(runs.id, options.runId));
    const reason = !row ? "not_found" : isTerminalStatus(row.status) ? "finished" : "stale";
    return { ok: false as const, reason };
  });
}

/** Options of {@link finishRun}: a coordinator-side terminal transition. */
export interface FinishRunOptions {
  runId: string;
  /** A terminal status. */
  status: RunStatus;
  error: string;
  /** Non-terminal statuses the run must be in for the transition to happen. */
  onlyIf: RunStatus[];
  /** @default new Date() */
  finishedAt?: Date;
  /** Audit entry of the terminal transition, appended in its transaction. */
  audit?: AuditFor;
}

/**
 * Ends a run from the coordinator (cancel of a pending run, reaper ending a lost one) when its current status is
 * one of `onlyIf`, settling its budget reservation in the same transaction. Returns the updated row, or undefined
 * when the run was not in such a status (or does not exist).
 */
export async function finishRun(db: DbHandle, options: FinishRunOptions): Promise<RunRow | undefined> {
  assertTerminal(options.status, options.runId);
  const leaving = options.onlyIf.find(isTerminalStatus);
  if (leaving !== undefined) {
    throw new PanCodeError(
      "INVALID_ARGUMENT",
      `finishRun ${options.runId}: a run never leaves terminal status ${leaving}`,
    );
  }
  if (options.onlyIf.length === 0) return undefined;
  return db.transaction(async (tx) => {
    const [row] = await tx
      .update(runs)
      .set({
        status: options.status,
        error: options.error,
        finishedAt: options.finishedAt ?? new Date(),
        leaseToken: "",
        leaseExpiresAt: null,
      })
      .where(and(eq(runs.id, options.runId), inArray(runs.status, options.onlyIf)))
      .returning();
    if (!row) return undefined;
    // The run is charged what it spent so far (its stored cost) and its reservation is released.
    await settleRun(tx, options.runId);
    const run = toRunRow({ ...row, reservedUsd: 0 });
    if (options.audit) await appendAuditFor(tx, options.audit(run));
    return run;
  });
}

/**
 * Puts a running run whose lease was lost back to 'pending' (no lease), only while `attempt` is still the current
 * one. Its worker and lease token stay: until another claim replaces them, that worker may still deliver the
 * attempt's result late (see completeRun). Returns whether it did; false means a newer attempt or a result got there
 * first.
 */
export async function requeueRun(db: DbHandle, runId: string, attempt: number): Promise<boolean> {
  const updated = await db
    .update(runs)
    .set({ status: "pending", leaseExpiresAt: null })
    .where(and(eq(runs.id, runId), eq(runs.attempt, attempt), eq(runs.status, "running")))
    .returning({ id: runs.id });
  return updated.length > 0;
}

/** Running runs whose lease expired before `now`, oldest lease first. */
export async function findExpiredLeases(db: DbHandle, now: Date): Promise<RunRow[]> {
  const rows = await db
    .select()
    .from(runs)
    .where(and(eq(runs.status, "running"), lt(runs.leaseExpiresAt, now)))
    .orderBy(runs.leaseExpiresAt);
  return rows.map(toRunRow);
}

function assertTerminal(status: RunStatus, runId: string): void {
  if (!isTerminalStatus(status)) {
    throw new PanCodeError("INVALID_ARGUMENT", `run ${runId} cannot finish with non-terminal status ${status}`);
  }
}

/** A token count as stored: a non-negative integer, 0 for anything else (older workers send none). */
function tokenCount(n: number | undefined): number {
  return n !== undefined && Number.isFinite(n) && n > 0 ? Math.floor(n) : 0;
}
