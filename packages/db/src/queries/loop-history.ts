import { and, desc, eq, gte, inArray } from "drizzle-orm";
import type { DbHandle } from "../handle.js";
import { runs } from "../schema/index.js";

/** Statuses that say something about whether an agent can do a task: a success, or a failure of its own. */
const OUTCOMES = ["done", "error", "timeout"] as const;

/** One ended run of an agent on a task, for loop detection. */
export interface RunOutcome {
  status: "done" | "error" | "timeout";
  finishedAt: Date;
}

/**
 * The ended runs (done, error, timeout) of `agent` on the task with `taskHash` that finished at or after `since`,
 * newest first, at most `limit`. Interrupted and over-budget runs are left out: they say nothing about the task.
 */
export async function recentOutcomes(
  db: DbHandle,
  options: { agent: string; taskHash: string; since: Date; limit: number },
): Promise<RunOutcome[]> {
  const rows = await db
    .select({ status: runs.status, finishedAt: runs.finishedAt })
    .from(runs)
    .where(
      and(
        eq(runs.agent, options.agent),
        eq(runs.taskHash, options.taskHash),
        inArray(runs.status, [...OUTCOMES]),
        gte(runs.finishedAt, options.since),
      ),
    )
    .orderBy(desc(runs.finishedAt), desc(runs.id))
    .limit(options.limit);
  return rows.map((r) => ({ status: r.status as RunOutcome["status"], finishedAt: r.finishedAt ?? options.since }));
}
