import { type BatchInfo, batchJson, type ChainInfo, chainJson, type StatusCount } from "@pancode/proto";
import type { MergeBackResult } from "./client/merge/merge-back.js";

export { batchJson, chainJson };

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
