import { chown, lstat, readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createRepo, type FixtureRepo, makeTempDir } from "@pancode/testing/git";
import { afterEach, describe, expect, it } from "vitest";
import { findRepoRoot } from "./repo-root.js";
import { snapshotWorkspace } from "./snapshot.js";

/** Another user's uid: we run as root in CI and chown the repository to it. */
const STRANGER = 12345;
const asRoot = process.getuid?.() === 0;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** A repository whose `core.fsmonitor` is a script that leaves `marker` behind when git runs it. */
async function trappedRepo(): Promise<{ repo: FixtureRepo; marker: string }> {
  const repo = await createRepo({ files: { "a.txt": "one\n" } });
  cleanups.push(repo.cleanup);
  const outside = await makeTempDir("pancode-fsmonitor-");
  cleanups.push(() => rm(outside, { recursive: true, force: true }));
  const marker = join(outside, "fsmonitor-ran");
  const hook = join(outside, "hook.sh");
  await writeFile(hook, `#!/bin/sh\ntouch ${marker}\n`, { mode: 0o755 });
  await repo.git("config", "core.fsmonitor", hook);
  await writeFile(join(repo.dir, "a.txt"), "two\n");
  return { repo, marker };
}

async function chownTree(dir: string, uid: number): Promise<void> {
  await chown(dir, uid, uid);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await chownTree(path, uid);
    else await chown(path, uid, uid);
  }
}

const exists = (path: string) =>
  lstat(path).then(
    () => true,
    () => false,
  );

describe.skipIf(!asRoot)("a repository owned by another user (CVE-2022-24765)", () => {
  it("is refused with a clear message and its core.fsmonitor never runs", async () => {
    const { repo, marker } = await trappedRepo();
    await chownTree(repo.dir, STRANGER);
    const refusal = new RegExp(`repository ${repo.dir} is owned by another user \\(uid ${STRANGER}\\)`);
    await expect(findRepoRoot(repo.dir)).rejects.toThrow(refusal);
    await expect(snapshotWorkspace(repo.dir)).rejects.toThrow(refusal);
    expect(await exists(marker)).toBe(false);
  });

  it("the trap is real: our own repository with the same config runs the hook", async () => {
    const { repo, marker } = await trappedRepo();
    await snapshotWorkspace(repo.dir);
    expect(await exists(marker)).toBe(true);
  });
});
