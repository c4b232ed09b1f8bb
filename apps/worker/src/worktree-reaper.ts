import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { WorkspaceCache } from "@pancode/git";
import { isOwnerAlive, processStartTime } from "@pancode/sandbox";
import type { Logger } from "@pancode/telemetry";

/** File in each worker process's worktree root naming the process that owns it. */
const OWNER_FILE = "owner.json";

interface Owner {
  host: string;
  pid: number;
  start: string;
}

/**
 * Creates this process's worktree root, `<cache>/worktrees/<host>-<pid>-<worker id>`, with an owner file (host,
 * pid, process start time) so a later worker can tell a crashed owner from a live sibling or a reused pid.
 */
export async function claimWorktreeRoot(cacheRoot: string, workerId: string): Promise<string> {
  const root = join(
    cacheRoot,
    "worktrees",
    `${hostname()}-${process.pid}-${workerId.replace(/[^A-Za-z0-9_.-]/g, "_")}`,
  );
  await mkdir(root, { recursive: true });
  const owner: Owner = { host: hostname(), pid: process.pid, start: processStartTime(process.pid) };
  await writeFile(join(root, OWNER_FILE), JSON.stringify(owner));
  return root;
}

async function readOwner(dir: string): Promise<Owner | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, OWNER_FILE), "utf8")) as Owner;
  } catch (_err) {
    // No owner file: not a worktree root of ours, leave it alone.
    return undefined;
  }
}

/**
 * At start-up, removes the run directories of worker processes of this host that are no longer alive (left-overs of
 * a crash): worktree, the agent's repository and the worker's git dir of each run all live there. Roots of live
 * processes belong to sibling workers and stay.
 */
export async function reapDeadWorktrees(cacheRoot: string, logger: Logger): Promise<number> {
  const root = join(cacheRoot, "worktrees");
  let entries: string[];
  try {
    entries = await readdir(root);
  } catch (_err) {
    // No worktrees yet: nothing to reap.
    return 0;
  }
  let removed = 0;
  for (const entry of entries) {
    const dir = join(root, entry);
    const owner = await readOwner(dir);
    if (!owner || owner.host !== hostname() || isOwnerAlive(owner)) continue;
    const cache = new WorkspaceCache({ cacheDir: join(cacheRoot, "mirrors"), worktreeRoot: dir, logger });
    removed += (await cache.reapOrphans(() => false)).length;
    await rm(dir, { recursive: true, force: true });
  }
  if (removed > 0) logger.info("reaped worktrees of dead workers", { count: removed });
  return removed;
}
