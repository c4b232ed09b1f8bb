import { EMPTY_PROGRESS, foldAgentEventTexts, type RunProgress } from "@pancode/core";
import { desc, eq, inArray } from "drizzle-orm";
import type { DbHandle } from "../handle.js";
import { runs, runUsage } from "../schema/index.js";

/** Live progress of one run's current attempt, as stored. */
export interface RunUsageRow extends RunProgress {
  runId: string;
  attempt: number;
}

/** A run with its usage: one line of `pancode cost`, one sample of `pancode metrics`. */
export interface RunCostRow {
  runId: string;
  agent: string;
  model: string;
  status: string;
  /** Authenticated submitter and team ("" when unknown or none). */
  userName: string;
  team: string;
  /** Settled cost (runs.cost_usd) once ended; the reported cost so far while active. */
  costUsd: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  createdAt: Date;
  /** -1 unless the run started and ended. */
  durationMs: number;
}

type UsageRecord = typeof runUsage.$inferSelect;

function toUsageRow(r: UsageRecord): RunUsageRow {
  return {
    runId: r.runId,
    attempt: r.attempt,
    turns: r.turns,
    currentTool: r.currentTool,
    usage: {
      input: r.inputTokens,
      output: r.outputTokens,
      cacheRead: r.cacheReadTokens,
      cacheWrite: r.cacheWriteTokens,
      costUsd: r.costUsd,
    },
  };
}

/**
 * Folds `agent` event texts of one attempt into the run's stored progress and returns it. The row is locked for the
 * fold (created empty first when missing), so concurrent reports of the same run add up; a newer attempt starts from zero (a requeued run's earlier
 * work is not counted twice), an older one changes nothing.
 */
export async function recordProgress(
  db: DbHandle,
  runId: string,
  attempt: number,
  agentEventTexts: readonly string[],
): Promise<RunUsageRow> {
  return db.transaction(async (tx) => {
    // Make sure there is a row to lock: with none, concurrent first reports would each insert and overwrite.
    await tx.insert(runUsage).values({ runId, attempt }).onConflictDoNothing({ target: runUsage.runId });
    const [row] = await tx.select().from(runUsage).where(eq(runUsage.runId, runId)).for("update");
    const current = row ? toUsageRow(row) : undefined;
    if (current && current.attempt > attempt) return current;
    const base = current && current.attempt === attempt ? current : EMPTY_PROGRESS;
    const next = foldAgentEventTexts(base, agentEventTexts);
    const values = {
      runId,
      attempt,
      turns: next.turns,
      currentTool: next.currentTool,
      inputTokens: next.usage.input,
      outputTokens: next.usage.output,
      cacheReadTokens: next.usage.cacheRead,
      cacheWriteTokens: next.usage.cacheWrite,
      costUsd: next.usage.costUsd,
      updatedAt: new Date(),
    };
    await tx.insert(runUsage).values(values).onConflictDoUpdate({ target: runUsage.runId, set: values });
    return { runId, attempt, ...next };
  });
}

/** Stored progress of these runs (runs that reported no agent event are absent). */
export async function getRunUsage(db: DbHandle, runIds: readonly string[]): Promise<Map<string, RunUsageRow>> {
  if (runIds.length === 0) return new Map();
  const rows = await db
    .select()
    .from(runUsage)
    .where(inArray(runUsage.runId, [...runIds]));
  return new Map(rows.map((r) => [r.runId, toUsageRow(r)]));
}

/** The newest `limit` runs with their tokens and cost, newest first. */
export async function listRunCosts(db: DbHandle, limit: number): Promise<RunCostRow[]> {
  const rows = await db
    .select({ run: runs, usage: runUsage })
    .from(runs)
    .leftJoin(runUsage, eq(runUsage.runId, runs.id))
    .orderBy(desc(runs.createdAt), desc(runs.id))
    .limit(limit);
  return rows.map(({ run, usage }) => {
    const ended = run.finishedAt !== null;
    return {
      runId: run.id,
      agent: run.agent,
      model: run.model,
      status: run.status,
      userName: run.userName ?? "",
      team: run.team ?? "",
      costUsd: ended ? run.costUsd : (usage?.costUsd ?? 0),
      inputTokens: usage?.inputTokens ?? 0,
      outputTokens: usage?.outputTokens ?? 0,
      cacheReadTokens: usage?.cacheReadTokens ?? 0,
      cacheWriteTokens: usage?.cacheWriteTokens ?? 0,
      createdAt: run.createdAt,
      durationMs:
        run.startedAt && run.finishedAt ? Math.max(0, run.finishedAt.getTime() - run.startedAt.getTime()) : -1,
    };
  });
}
