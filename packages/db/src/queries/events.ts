import { PanCodeError } from "@pancode/core";
import { and, asc, eq, gt, sql } from "drizzle-orm";
import type { DbHandle } from "../handle.js";
import type { EventRow } from "../rows.js";
import { runEvents, runs } from "../schema/index.js";
import { toEventRow } from "./mappers.js";

/** One event to append; the database assigns its seq. */
export interface NewEvent {
  at: Date;
  kind: string;
  text: string;
}

// Postgres binds at most 65535 parameters per statement; 6 per event row leaves ample room at this size.
const INSERT_CHUNK = 1000;

/**
 * Appends events to a run and returns the last seq assigned (the current last seq when `events` is empty).
 * Seqs come from `runs.event_seq`, bumped in the same transaction: the row lock orders concurrent appenders, so
 * seqs are unique and gap-free per run. Rejects nothing but unknown runs (NOT_FOUND): callers check the lease first.
 */
export async function appendEvents(db: DbHandle, runId: string, attempt: number, events: NewEvent[]): Promise<number> {
  if (events.length === 0) {
    const [row] = await db.select({ eventSeq: runs.eventSeq }).from(runs).where(eq(runs.id, runId));
    if (!row) throw new PanCodeError("NOT_FOUND", `run not found: ${runId}`);
    return row.eventSeq;
  }
  return db.transaction(async (tx) => {
    const [bumped] = await tx
      .update(runs)
      .set({ eventSeq: sql`${runs.eventSeq} + ${events.length}` })
      .where(eq(runs.id, runId))
      .returning({ eventSeq: runs.eventSeq });
    if (!bumped) throw new PanCodeError("NOT_FOUND", `run not found: ${runId}`);
    await insertEventRows(tx, runId, attempt, events, bumped.eventSeq);
    return bumped.eventSeq;
  });
}

/**
 * Inserts `events` as the last ones of the run, whose `event_seq` the caller already bumped by their count to
 * `lastSeq` in its transaction (which holds the run row's lock, so the seqs are the caller's alone).
 */
export async function insertEventRows(
  tx: DbHandle,
  runId: string,
  attempt: number,
  events: readonly NewEvent[],
  lastSeq: number,
): Promise<void> {
  const first = lastSeq - events.length + 1;
  const rows = events.map((e, i) => ({ runId, attempt, seq: first + i, at: e.at, kind: e.kind, text: e.text }));
  for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
    await tx.insert(runEvents).values(rows.slice(i, i + INSERT_CHUNK));
  }
}

/** Events of a run with seq > `afterSeq`, in seq order, at most `limit`. */
export async function listEvents(db: DbHandle, runId: string, afterSeq: number, limit: number): Promise<EventRow[]> {
  const rows = await db
    .select()
    .from(runEvents)
    .where(and(eq(runEvents.runId, runId), gt(runEvents.seq, afterSeq)))
    .orderBy(asc(runEvents.seq))
    .limit(limit);
  return rows.map(toEventRow);
}
