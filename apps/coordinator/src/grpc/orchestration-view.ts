import type { BatchInfo, ChainInfo, StatusCount } from "@pancode/proto";
import { totalSteps } from "../orchestration/chain-plan.js";
import { totalCost } from "../orchestration/group-cost.js";
import type { BatchRow, ChainRow, RunRow } from "../orchestration/orchestration-queries.js";
import { toRunInfo } from "./run-info.js";

/** Runs per status (plus `refused` items that never became runs), in a stable order. */
function statusCounts(runs: readonly RunRow[], refused = 0): StatusCount[] {
  const counts = new Map<string, number>();
  for (const run of runs) counts.set(run.status, (counts.get(run.status) ?? 0) + 1);
  if (refused > 0) counts.set("refused", refused);
  return [...counts.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([status, count]) => ({ status, count }));
}

/** The client view of a batch; `withRuns` false for listings. */
export function toBatchInfo(batch: BatchRow, runs: readonly RunRow[], withRuns: boolean): BatchInfo {
  const byStep = new Map(runs.map((r) => [r.step, r]));
  return {
    id: batch.id,
    status: batch.status,
    concurrency: batch.concurrency,
    staggerMs: batch.staggerMs,
    isolate: batch.request.isolate,
    items: batch.items.map((item, i) => ({
      task: item.task,
      agent: item.agent,
      runId: byStep.get(i + 1)?.id ?? "",
      error: item.error ?? "",
    })),
    runs: withRuns ? runs.map((r) => toRunInfo(r)) : [],
    counts: statusCounts(runs, batch.items.filter((i) => i.error).length),
    costUsd: totalCost(runs),
    createdAt: batch.createdAt.toISOString(),
    finishedAt: batch.finishedAt?.toISOString() ?? "",
    error: batch.error,
    submitter: batch.submitter,
    receiptId: batch.receiptId,
  };
}

/** The client view of a chain; `withRuns` false for listings. */
export function toChainInfo(chain: ChainRow, runs: readonly RunRow[], withRuns: boolean): ChainInfo {
  return {
    id: chain.id,
    kind: chain.kind,
    status: chain.status,
    steps: chain.steps,
    originalTask: chain.originalTask,
    isolate: chain.request.isolate,
    runs: withRuns ? runs.map((r) => toRunInfo(r)) : [],
    failedStep: chain.failedStep,
    error: chain.error,
    costUsd: totalCost(runs),
    createdAt: chain.createdAt.toISOString(),
    finishedAt: chain.finishedAt?.toISOString() ?? "",
    verdict: chain.verdict,
    rounds: chain.rounds,
    submitter: chain.submitter,
    refine: chain.refine ?? undefined,
    counts: statusCounts(runs),
    receiptId: chain.receiptId,
    totalSteps: totalSteps(chain),
  };
}
