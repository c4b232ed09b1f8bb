import type { BatchInfo, ChainInfo, ClientApi, RunInfo } from "@pancode/proto";
import { shortId } from "../../output.js";
import type { CliEnv } from "../cli-env.js";
import { type MergeBackResult, mergeBack, mergeBackSteps } from "../merge/merge-back.js";
import { waitForBatch, waitForChain } from "./orchestration-wait.js";

/** One run of a batch merged into the working tree. */
export interface BatchMerge {
  runId: string;
  merge: MergeBackResult;
}

/** Options of {@link followBatch}. */
export interface FollowBatchOptions {
  /** Per-run progress lines on stderr (the CLI without --json). */
  progress: boolean;
  /** Told of every run as it ends, in completion order, with its merge when there was one. */
  onRunEnded?: (run: RunInfo, merge: MergeBackResult | undefined) => void;
  /** Once aborted (an MCP client cancelled the call), nothing more is merged into the working tree. */
  signal?: AbortSignal;
}

/**
 * Follows a batch to its end and merges every run that ended done with a patch into the checkout at `env.cwd`, one at
 * a time in completion order (isolated runs stay aside). What `pancode batch --wait` and the MCP server's
 * `batch_dispatch` both do.
 */
export async function followBatch(
  api: ClientApi,
  batchId: string,
  env: CliEnv,
  options: FollowBatchOptions,
): Promise<{ batch: BatchInfo; merges: BatchMerge[] }> {
  const merges: BatchMerge[] = [];
  const batch = await waitForBatch(api, batchId, {
    progress: options.progress,
    signal: options.signal,
    onRunEnded: async (run: RunInfo) => {
      let merge: MergeBackResult | undefined;
      if (options.signal?.aborted) return;
      if (run.status === "done" && !run.isolate && run.patch && run.patch.bytes > 0) {
        merge = await mergeBack(api, run, env);
        merges.push({ runId: run.id, merge });
      }
      options.onRunEnded?.(run, merge);
    },
  });
  return { batch, merges };
}

/**
 * Follows a chain (or refine loop) to its end and, when it ended done, not isolated and some step changed files,
 * merges the steps' combined changes into the checkout at `env.cwd` as one change. What `pancode chain --wait`,
 * `pancode refine --wait` and the MCP server's `dispatch_chain` all do. Once `signal` aborted nothing is merged.
 */
export async function followChain(
  api: ClientApi,
  chainId: string,
  env: CliEnv,
  options: { progress: boolean; signal?: AbortSignal },
): Promise<{ chain: ChainInfo; merge: MergeBackResult | undefined }> {
  const chain = await waitForChain(api, chainId, { progress: options.progress, signal: options.signal });
  const changed = chain.runs.some((r) => r.status === "done" && r.patch && r.patch.bytes > 0);
  if (chain.status !== "done" || chain.isolate || !changed || options.signal?.aborted)
    return { chain, merge: undefined };
  const merge = await mergeBackSteps(api, chain.runs, env, `${chain.kind}-${shortId(chain.id)}`);
  return { chain, merge };
}
