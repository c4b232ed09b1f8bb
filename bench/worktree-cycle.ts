import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { WorkspaceCache, type WorkspaceSnapshot } from "@pancode/git";

/** Durations in ms of each worker-side git step, one entry per cycle. */
export interface WorktreeCycleTimes {
  hasCommit: number[];
  createWorktree: number[];
  computePatch: number[];
  removeWorktree: number[];
}

/**
 * The worker's git work for one run, in isolation (no coordinator, no Docker): hasCommit, createWorktree with the
 * submitted state, computePatch of an untouched tree, removeWorktree, on a private cache fed the same bundle. It
 * tells the git share of the pipeline apart from the RPCs around it.
 */
export async function timeWorktreeCycles(
  snapshot: WorkspaceSnapshot,
  bundle: Buffer,
  cycles: number,
): Promise<WorktreeCycleTimes> {
  const root = await mkdtemp(join(tmpdir(), "pancode-bench-git-"));
  const times: WorktreeCycleTimes = { hasCommit: [], createWorktree: [], computePatch: [], removeWorktree: [] };
  try {
    const cache = new WorkspaceCache({ cacheDir: join(root, "mirrors"), worktreeRoot: join(root, "worktrees") });
    await cache.importBundle(snapshot.repoId, bundle);
    for (let i = 0; i < cycles; i++) {
      let t = performance.now();
      const lap = (list: number[]) => {
        const now = performance.now();
        list.push(now - t);
        t = now;
      };
      await cache.hasCommit(snapshot.repoId, snapshot.baseCommit);
      lap(times.hasCommit);
      const worktree = await cache.createWorktree({
        repoId: snapshot.repoId,
        baseCommit: snapshot.baseCommit,
        statePatch: snapshot.statePatch,
        runId: `bench-${i}`,
      });
      lap(times.createWorktree);
      await cache.computePatch(worktree);
      lap(times.computePatch);
      await cache.removeWorktree(worktree);
      lap(times.removeWorktree);
    }
    return times;
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
