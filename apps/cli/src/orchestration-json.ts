import type { BatchInfo, ChainInfo, StatusCount } from "@pancode/proto";
import type { MergeBackResult } from "./client/merge/merge-back.js";
import { runJson } from "./output.js";

function countsJson(counts: readonly StatusCount[]): Record<string, number> {
  return Object.fromEntries(counts.map((c) => [c.status, c.count]));
}

/** The stable JSON shape of a batch (`--json`). */
export function batchJson(batch: BatchInfo) {
  return {
    batchId: batch.id,
    status: batch.status,
    concurrency: batch.concurrency,
    staggerMs: batch.staggerMs,
    isolate: batch.isolate,
    tasks: batch.items.length,
    items: batch.items.map((i) => ({ task: i.task, agent: i.agent, runId: i.runId || null, error: i.error || null })),
    counts: countsJson(batch.counts),
    costUsd: batch.costUsd,
    createdAt: batch.createdAt,
    finishedAt: batch.finishedAt || null,
    error: batch.error,
    submitter: batch.submitter,
    receiptId: batch.receiptId,
    runs: batch.runs.map(runJson),
  };
}

/** The stable JSON shape of a chain or refine loop (`--json`). */
export function chainJson(chain: ChainInfo) {
  return {
    chainId: chain.id,
    kind: chain.kind,
    status: chain.status,
    steps: chain.steps.map((s) => ({ agent: s.agent, task: s.task })),
    totalSteps: chain.totalSteps,
    originalTask: chain.originalTask,
    isolate: chain.isolate,
    failedStep: chain.failedStep || null,
    error: chain.error,
    verdict: chain.verdict || null,
    rounds: chain.rounds,
    counts: countsJson(chain.counts),
    costUsd: chain.costUsd,
    createdAt: chain.createdAt,
    finishedAt: chain.finishedAt || null,
    submitter: chain.submitter,
    receiptId: chain.receiptId,
    runs: chain.runs.map(runJson),
  };
}

/**
 * The stable JSON shape of a merge-back (`--json`, MCP results). `protected`: the entries that held the patch
 * back (outcome "held"), each with its reason; empty otherwise.
 */
export function mergeJson(merge: MergeBackResult) {
  return {
    outcome: merge.report.outcome,
    files: merge.report.files,
    protected: merge.report.held ?? [],
    savedPatch: merge.savedPatch || null,
  };
}

/** `pancode batch --wait --json`: the batch with the merges of its runs, in the order they were merged. */
export function batchResultJson(batch: BatchInfo, merges: readonly { runId: string; merge: MergeBackResult }[]) {
  return { ...batchJson(batch), merges: merges.map((m) => ({ runId: m.runId, ...mergeJson(m.merge) })) };
}

/** `pancode chain --wait --json`: the chain with the merge of its combined changes (null when nothing merged). */
export function chainResultJson(chain: ChainInfo, merge: MergeBackResult | undefined) {
  return { ...chainJson(chain), merge: merge ? mergeJson(merge) : null };
}

/** "3 done, 1 error, 2 running" */
export function formatCounts(counts: readonly StatusCount[]): string {
  return counts.length === 0 ? "no runs yet" : counts.map((c) => `${c.count} ${c.status}`).join(", ");
}
