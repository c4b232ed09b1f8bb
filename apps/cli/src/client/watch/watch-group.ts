import type { BatchInfo, ChainInfo, ClientApi } from "@pancode/proto";
import { shortId } from "../../output.js";
import type { GroupInfo, ViewOutput } from "./renderer.js";
import { watchRuns } from "./watch-runs.js";

/** Options of {@link watchBatch} and {@link watchChain}. */
export interface WatchGroupOptions {
  /** Where the view goes, and whether it is a terminal (in-place redraw) or not (plain lines). */
  out: ViewOutput & { isTTY?: boolean };
  signal?: AbortSignal;
  /** How often the group is asked for runs started since, ms. @default 1000 */
  discoverMs?: number;
  /** NDJSON lines instead of the human view. */
  json?: boolean;
}

/** What the view needs of a batch or a chain: its status and the runs it started so far. */
type Group = Pick<BatchInfo, "id" | "status" | "runs">;

/** The progress line of a batch: its status, and the runs it will have (items refused at admission have none). */
export function batchGroupInfo(batch: BatchInfo): GroupInfo {
  const expected = batch.items.filter((i) => i.runId || !i.error).length;
  return {
    title: `batch ${shortId(batch.id)} ${batch.status}`,
    total: Math.max(expected, batch.runs.length),
    kind: "batch",
    id: batch.id,
    status: batch.status,
  };
}

/**
 * The progress line of a chain or refine loop: the current step of `total_steps`. A loop that ended done (a refine
 * approved early) took all the steps it needed, so its bar ends full; a failed chain keeps the steps never run.
 */
export function chainGroupInfo(chain: ChainInfo): GroupInfo {
  const total = chain.status === "done" ? chain.runs.length : Math.max(chain.totalSteps, chain.runs.length);
  const round = chain.kind === "refine" && chain.rounds > 0 ? `, round ${chain.rounds}` : "";
  return {
    title: `${chain.kind} ${shortId(chain.id)} step ${chain.runs.length}/${total}${round} ${chain.status}`,
    total,
    kind: chain.kind === "refine" ? "refine" : "chain",
    id: chain.id,
    status: chain.status,
  };
}

/**
 * Shows a group's runs live until the group is no longer running and each of its runs ended; the runs the
 * coordinator starts meanwhile join the view. Returns the group as last seen (its final record unless aborted).
 */
async function watchGroup<G extends Group>(
  api: ClientApi,
  first: G,
  load: () => Promise<G>,
  describe: (group: G) => GroupInfo,
  options: WatchGroupOptions,
): Promise<G> {
  let latest = first;
  // One object the renderer reads on every frame, refreshed in place by each look at the group.
  const group: GroupInfo = describe(latest);
  const refresh = async () => {
    latest = await load();
    Object.assign(group, describe(latest));
    return latest.runs.map((r) => r.id);
  };
  await watchRuns(api, {
    runIds: latest.runs.map((r) => r.id),
    group,
    discover: refresh,
    discoverMs: options.discoverMs,
    active: () => latest.status === "running",
    out: options.out,
    json: options.json,
    signal: options.signal,
  });
  return latest;
}

/** The live view of a batch (id or unique prefix) with its progress bar, until the batch ended. */
export async function watchBatch(api: ClientApi, batchId: string, options: WatchGroupOptions): Promise<BatchInfo> {
  const first = await api.getBatch(batchId);
  // The full id from here on: a prefix could become ambiguous while the view runs.
  return watchGroup(api, first, () => api.getBatch(first.id), batchGroupInfo, options);
}

/** The live view of a chain or refine loop (id or unique prefix): the current step of all, until it ended. */
export async function watchChain(api: ClientApi, chainId: string, options: WatchGroupOptions): Promise<ChainInfo> {
  const first = await api.getChain(chainId);
  return watchGroup(api, first, () => api.getChain(first.id), chainGroupInfo, options);
}
