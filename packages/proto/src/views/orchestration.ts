import type { BatchInfo, ChainInfo, StatusCount } from "../gen/pancode/v1/coordinator.js";
import { runJson } from "./run.js";

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
