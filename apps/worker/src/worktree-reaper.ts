import { readdir, rm } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { WorkspaceCache } from "@pancode/git";
import { isProcessAlive } from "@pancode/sandbox";
import type { Logger } from "@pancode/telemetry";

/**
 * Worktrees live under `<cache>/worktrees/<host>-<pid>-<worker id>/<run id>`. At start-up, the directories of worker
 * processes of this host that are no longer alive are left-overs of a crash: remove their worktrees (and prune the
 * mirrors' bookkeeping). Directories of live processes belong to sibling workers and are left alone.
 */
export async function reapDeadWorktrees(cacheRoot: string, logger: Logger): Promise<number> {
  const root = join(cacheRoot, "worktrees");
  let owners: string[];
  try {
    owners = await readdir(root);
  } catch (_err) {
    // No worktrees yet: nothing to reap.
    return 0;
  }
  const host = hostname();
  let removed = 0;
  for (const owner of owners) {
    if (!owner.startsWith(`${host}-`)) continue;
    const pid = Number(owner.slice(host.length + 1).split("-")[0]);
    if (!Number.isInteger(pid) || pid === process.pid || isProcessAlive(pid)) continue;
    const cache = new WorkspaceCache({ cacheDir: join(cacheRoot, "mirrors"), worktreeRoot: join(root, owner), logger });
    removed += (await cache.reapOrphans(() => false)).length;
    await rm(join(root, owner), { recursive: true, force: true });
  }
  if (removed > 0) logger.info("reaped worktrees of dead workers", { count: removed });
  return removed;
}
