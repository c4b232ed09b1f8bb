import { spawnSync } from "node:child_process";
import { mkdir, readdir, rm, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { createBundle, snapshotWorkspace, WorkspaceCache } from "@pancode/git";
import { noopLogger } from "@pancode/telemetry";
import { createRepo, makeTempDir } from "@pancode/testing/git";
import { afterEach, expect, it } from "vitest";
import { claimWorktreeRoot, reapDeadWorktrees } from "./worktree-reaper.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

it("removes a dead worker's runs with their repositories and keeps a live worker's", async () => {
  const repo = await createRepo({ files: { "a.txt": "a\n" } });
  const cacheRoot = await makeTempDir("reaper");
  cleanups.push(repo.cleanup, () => rm(cacheRoot, { recursive: true, force: true }));
  const snapshot = await snapshotWorkspace(repo.dir);
  const bundle = await createBundle(repo.dir, snapshot.baseCommit);

  // A root whose owner has exited (a crashed worker) and this process's own root, each with a run in flight.
  const deadPid = spawnSync("true").pid ?? 0;
  const deadRoot = join(cacheRoot, "worktrees", "dead-worker");
  await mkdir(deadRoot, { recursive: true });
  await writeFile(join(deadRoot, "owner.json"), JSON.stringify({ host: hostname(), pid: deadPid, start: "" }));
  const liveRoot = await claimWorktreeRoot(cacheRoot, "live");
  const worktrees = [];
  for (const root of [deadRoot, liveRoot]) {
    const cache = new WorkspaceCache({ cacheDir: join(cacheRoot, "mirrors"), worktreeRoot: root });
    await cache.importBundle(snapshot.repoId, bundle);
    worktrees.push(await cache.createWorktree({ ...snapshot, runId: "run-1" }));
  }

  expect(await reapDeadWorktrees(cacheRoot, noopLogger)).toBe(1);
  expect(await readdir(join(cacheRoot, "worktrees"))).toEqual([liveRoot.split("/").pop()]);
  expect(await readdir(join(worktrees[1]?.path ?? "", ".git"))).toContain("HEAD");
});
