import { eq, inArray } from "drizzle-orm";
import type { DbHandle } from "../handle.js";
import { runs } from "../schema/index.js";

/** Sub-runs one tree of runs may start in total: the tree's root run and how many. */
export interface SubRunQuota {
  rootRunId: string;
  max: number;
}

/** Levels walked at most: far deeper than any PANCODE_DISPATCH_MAX_DEPTH, a guard against a cycle in bad data. */
const MAX_LEVELS = 64;

/**
 * Runs below `rootRunId` at any depth, ended or not (a sub-run that finished still counts against the quota).
 * Walks the tree level by level; the quota keeps trees small.
 */
async function countSubRuns(db: DbHandle, rootRunId: string): Promise<number> {
  let total = 0;
  let frontier = [rootRunId];
  for (let level = 0; level < MAX_LEVELS && frontier.length > 0; level++) {
    const children = await db.select({ id: runs.id }).from(runs).where(inArray(runs.parentRunId, frontier));
    total += children.length;
    frontier = children.map((c) => c.id);
  }
  return total;
}

/**
 * Locks the root run's row, so concurrent dispatches of one tree count one after the other and a burst of sub-runs
 * cannot slip past the quota together; returns how many sub-runs the tree has started.
 */
export async function lockAndCountSubRuns(tx: DbHandle, rootRunId: string): Promise<number> {
  await tx.select({ id: runs.id }).from(runs).where(eq(runs.id, rootRunId)).for("update");
  return countSubRuns(tx, rootRunId);
}
