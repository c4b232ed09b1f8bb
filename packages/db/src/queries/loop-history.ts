import { and, desc, eq, gte, inArray, type SQL, sql } from "drizzle-orm";
import type { DbHandle } from "../handle.js";
import { runs } from "../schema/index.js";
import { rowsOf } from "./raw-rows.js";

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

/** One loop-history question of {@link recentOutcomesMany}: the same options {@link recentOutcomes} takes. */
export interface OutcomeQuery {
  agent: string;
  taskHash: string;
  since: Date;
  limit: number;
}

/**
 * {@link recentOutcomes} for many (agent, task) pairs in one statement: the admissions that arrive together read
 * their loop history in one round trip instead of one each. Each pair is answered by the same index scan as alone
 * (a LATERAL subquery per pair, ordered and limited the same way); answers come back in the order asked.
 */
export async function recentOutcomesMany(db: DbHandle, queries: readonly OutcomeQuery[]): Promise<RunOutcome[][]> {
  const answers: RunOutcome[][] = queries.map(() => []);
  if (queries.length === 0) return answers;
  const result = await db.execute(sql`
    select q.i::int as i, r.status, r.finished_at
    from unnest(
      ${sqlArray(queries.map((q) => q.agent))}::text[],
      ${sqlArray(queries.map((q) => q.taskHash))}::text[],
      ${sqlArray(queries.map((q) => q.since.toISOString()))}::timestamptz[],
      ${sqlArray(queries.map((q) => q.limit))}::int[]
    ) with ordinality as q(agent, task_hash, since, lim, i)
    cross join lateral (
      select ${runs.id} as id, ${runs.status} as status, ${runs.finishedAt} as finished_at
      from ${runs}
      where ${runs.agent} = q.agent and ${runs.taskHash} = q.task_hash
        and ${runs.status} in ('done', 'error', 'timeout') and ${runs.finishedAt} >= q.since
      order by ${runs.finishedAt} desc, ${runs.id} desc
      limit q.lim
    ) r
    order by q.i, r.finished_at desc, r.id desc`);
  for (const row of rowsOf(result)) {
    const query = queries[Number(row.i) - 1];
    if (!query) continue;
    const finishedAt = toDate(row.finished_at) ?? query.since;
    answers[Number(row.i) - 1]?.push({ status: row.status as RunOutcome["status"], finishedAt });
  }
  return answers;
}

function toDate(value: unknown): Date | undefined {
  if (value === null || value === undefined) return undefined;
  return value instanceof Date ? value : new Date(String(value));
}

/** A JS array as one bound parameter (both drivers send it as a Postgres array literal). */
function sqlArray(values: readonly (string | number)[]): SQL {
  return sql`${sql.param(values)}`;
}
