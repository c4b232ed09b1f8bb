import { isTerminalStatus, RunStatus } from "@pancode/core";
import type { BatchInfo, ChainInfo, ClientApi, RunInfo } from "@pancode/proto";
import { formatDuration, shortId } from "../../output.js";

/** How often an explicit wait polls the coordinator (the orchestration itself never depends on the client). */
const POLL_MS = 400;

/** Sleeps `ms`, or less when `signal` aborts first. */
function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

function ended(run: RunInfo): boolean {
  const status = RunStatus.safeParse(run.status);
  return status.success && isTerminalStatus(status.data);
}

function progressLine(run: RunInfo, label: string): string {
  const why = run.error ? `: ${run.error}` : "";
  return `[pancode] ${label} ${shortId(run.id)} (${run.agent}) ${run.status}${why} in ${formatDuration(run.durationMs)}\n`;
}

/**
 * Follows a batch until it ended, calling `onRunEnded` for every run in completion order (merge-back happens
 * there, one run at a time). Progress goes to stderr. An aborted `signal` ends the wait with the batch as it is
 * then (the batch itself goes on: it runs on the coordinator).
 */
export async function waitForBatch(
  api: ClientApi,
  batchId: string,
  options: { progress: boolean; onRunEnded: (run: RunInfo) => Promise<void>; signal?: AbortSignal },
): Promise<BatchInfo> {
  const seen = new Set<string>();
  for (;;) {
    const batch = await api.getBatch(batchId);
    const fresh = batch.runs
      .filter((r) => ended(r) && !seen.has(r.id))
      .sort((a, b) => a.finishedAt.localeCompare(b.finishedAt));
    for (const run of fresh) {
      seen.add(run.id);
      if (options.progress) {
        const item = batch.items.findIndex((i) => i.runId === run.id) + 1;
        process.stderr.write(progressLine(run, `item ${item}/${batch.items.length}`));
      }
      await options.onRunEnded(run);
    }
    if ((batch.status !== "running" && batch.runs.every(ended)) || options.signal?.aborted) return batch;
    await pause(POLL_MS, options.signal);
  }
}

/** Follows a chain (or refine loop) until it ended, or `signal` aborted; progress per step on stderr. */
export async function waitForChain(
  api: ClientApi,
  chainId: string,
  options: { progress: boolean; signal?: AbortSignal },
): Promise<ChainInfo> {
  const seen = new Set<string>();
  for (;;) {
    const chain = await api.getChain(chainId);
    for (const [i, run] of chain.runs.entries()) {
      if (!ended(run) || seen.has(run.id)) continue;
      seen.add(run.id);
      if (options.progress) process.stderr.write(progressLine(run, `step ${i + 1}`));
    }
    if ((chain.status !== "running" && chain.runs.every(ended)) || options.signal?.aborted) return chain;
    await pause(POLL_MS, options.signal);
  }
}
