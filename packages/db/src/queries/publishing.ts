import { and, asc, eq, inArray, isNotNull, isNull, sql } from "drizzle-orm";
import type { DbHandle } from "../handle.js";
import type { RunRow } from "../rows.js";
import { runs } from "../schema/index.js";
import { toRunRow } from "./mappers.js";
import { rowsOf } from "./raw-rows.js";

/** Pending runs in admission order (oldest first): what the publish reconciler looks after. */
export async function listPendingRuns(db: DbHandle, limit: number): Promise<RunRow[]> {
  const rows = await db
    .select()
    .from(runs)
    .where(eq(runs.status, "pending"))
    .orderBy(asc(runs.createdAt), asc(runs.id))
    .limit(limit);
  return rows.map(toRunRow);
}

/**
 * Records that the bus confirmed publish `generation` of the run as message `seq`. Only a newer generation than the
 * recorded one counts, so the dispatch's fast path and the reconciler racing on one run record it once. Whatever the
 * status: a worker may claim the run before its publisher gets here, and the sequence is still the run's message.
 */
export async function markPublished(db: DbHandle, runId: string, generation: number, seq: number): Promise<boolean> {
  return (await markPublishedMany(db, [{ runId, generation, seq }])).has(runId);
}

/** One publish the bus confirmed: generation `generation` of run `runId` is message `seq`. */
export interface PublishedMessage {
  runId: string;
  generation: number;
  seq: number;
}

/**
 * {@link markPublished} for many runs in one statement (the publishes of a burst of admissions); returns the ids
 * recorded. Each run keeps the same rule: only a newer generation than the recorded one counts.
 */
export async function markPublishedMany(db: DbHandle, published: readonly PublishedMessage[]): Promise<Set<string>> {
  // One entry per run, its newest generation: both would name one message anyway.
  const newest = new Map<string, PublishedMessage>();
  for (const p of published) if ((newest.get(p.runId)?.generation ?? -1) < p.generation) newest.set(p.runId, p);
  if (newest.size === 0) return new Set();
  const messages = [...newest.values()];
  // One array parameter per column (unnest), not a CASE with two parameters per run: drizzle's building of that
  // CASE was 2% of the coordinator's CPU under a burst of admissions (bench/README.md, admissions).
  const result = await db.execute(sql`
    update ${runs}
    set bus_seq = m.seq, published_at = now(), publish_count = m.generation, unpublished_since = null
    from unnest(
      ${sql.param(messages.map((p) => p.runId))}::text[],
      ${sql.param(messages.map((p) => p.seq))}::bigint[],
      ${sql.param(messages.map((p) => p.generation))}::integer[]
    ) as m(id, seq, generation)
    where ${runs.id} = m.id and ${runs.publishCount} < m.generation
    returning ${runs.id} as id`);
  return new Set(rowsOf(result).map((r) => String(r.id)));
}

/**
 * Hands a pending run whose message is gone back to the publisher (published_at null), only while it is still
 * pending with the generation the caller found gone: a claim or a newer publish in between wins.
 */
export async function markUnpublished(db: DbHandle, runId: string, generation: number): Promise<boolean> {
  const updated = await db
    .update(runs)
    .set({ publishedAt: null, unpublishedSince: sql`now()` })
    .where(
      and(
        eq(runs.id, runId),
        eq(runs.status, "pending"),
        eq(runs.publishCount, generation),
        isNotNull(runs.publishedAt),
      ),
    )
    .returning({ id: runs.id });
  return updated.length > 0;
}

/**
 * Restarts the undeliverable clock of runs the publish gate holds: waiting for the gate is policy, not a delivery
 * failure, so only the time since the gate last held a run counts toward the bound.
 */
export async function touchHeldRuns(db: DbHandle, runIds: readonly string[]): Promise<void> {
  if (runIds.length === 0) return;
  await db
    .update(runs)
    .set({ unpublishedSince: sql`now()` })
    .where(and(inArray(runs.id, [...runIds]), eq(runs.status, "pending"), isNull(runs.publishedAt)));
}
