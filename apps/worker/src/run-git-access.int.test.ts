import { randomUUID } from "node:crypto";
import { readdir, rm, stat } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { createBundle, type PreparedWorktree, snapshotWorkspace, WorkspaceCache } from "@pancode/git";
import { type ContainerRuntime, createDockerRuntime } from "@pancode/sandbox";
import { ensureTestImages, skipWithoutDocker } from "@pancode/testing/docker";
import { createRepo, type FixtureRepo, makeTempDir, writeFiles } from "@pancode/testing/git";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runGitAccess } from "./run-git-access.js";

// git inside real agent containers, with the mounts and environment the worker gives a run: the run's own
// repository works for uid 1000, the shared mirror is read-only, and one run's objects are invisible to another.

let image = "";
let runtime: ContainerRuntime;
let repo: FixtureRepo;
let cache: WorkspaceCache;
let root = "";
let mirrorObjects = "";

beforeAll(async () => {
  if (await skipWithoutDocker()) return;
  ({ agentImage: image } = await ensureTestImages());
  runtime = createDockerRuntime({ owner: { workerId: "git-int", host: hostname(), pid: process.pid } });
  repo = await createRepo({ files: { "a.txt": "a\n", "b.txt": "b\n" } });
  await writeFiles(repo.dir, { "a.txt": "a submitted edit\n" });
  root = await makeTempDir("git-access");
  cache = new WorkspaceCache({ cacheDir: join(root, "mirrors"), worktreeRoot: join(root, "runs") });
});

afterAll(async () => {
  await repo?.cleanup();
  if (root) await rm(root, { recursive: true, force: true });
});

async function prepare(runId: string): Promise<PreparedWorktree> {
  const snapshot = await snapshotWorkspace(repo.dir);
  if (!(await cache.hasCommit(snapshot.repoId, snapshot.baseCommit))) {
    await cache.importBundle(snapshot.repoId, await createBundle(repo.dir, snapshot.baseCommit));
  }
  const worktree = await cache.createWorktree({ ...snapshot, runId });
  mirrorObjects = worktree.sharedObjects;
  return worktree;
}

/** Runs `script` with `sh -c` in a container on the worktree, as the worker would; resolves with its output. */
async function runIn(worktree: PreparedWorktree, script: string, readonly = false) {
  const git = runGitAccess(worktree, { sandbox: "docker", readonly });
  const out = { stdout: "", stderr: "" };
  const result = await runtime.run(
    {
      runId: `git-${randomUUID().slice(0, 8)}`,
      image,
      argv: ["sh", "-c", script],
      env: git.env,
      workspacePath: worktree.path,
      readonly,
      limits: { memoryMb: 256, cpus: 1, pids: 128 },
      network: "none",
      readonlyMounts: git.mounts,
    },
    { onOutput: (stream, text) => (out[stream] += text) },
    new AbortController().signal,
  );
  return { exitCode: result.exitCode, ...out };
}

/** Every file under `dir` with its size, sorted. */
async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files = entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
  return (await Promise.all(files.map(async (file) => `${file} ${(await stat(file)).size}`))).sort();
}

describe.skipIf(await skipWithoutDocker())("git in the sandbox", () => {
  it("works for the container user, cannot write into the mirror, and keeps a run's objects from other runs", async () => {
    const a = await prepare("run-git-a");
    const b = await prepare("run-git-b");
    const mirrorBefore = await listFiles(mirrorObjects);
    const head = await repo.git("rev-parse", "HEAD");

    const inA = await runIn(
      a,
      [
        "set -e",
        "git status --porcelain",
        "git log -1 --format=head=%H",
        "echo x > new.txt && git add new.txt && git commit -q -m msg",
        "git rev-parse HEAD",
        // Writing into the shared store: through git with the mirror as object dir, and directly.
        `if echo y | GIT_OBJECT_DIRECTORY=${mirrorObjects} git hash-object -w --stdin 2>&1; then echo MIRROR-WRITTEN; fi`,
        `if touch ${mirrorObjects}/planted 2>&1; then echo MIRROR-WRITTEN; fi`,
      ].join("\n"),
    );
    expect(inA.stderr).toBe("");
    expect(inA.exitCode).toBe(0);
    const lines = inA.stdout.trimEnd().split("\n");
    expect(lines.slice(0, 2)).toEqual([" M a.txt", `head=${head}`]);
    const commit = lines[2] ?? "";
    expect(commit).toMatch(/^[0-9a-f]{40}$/);
    expect(inA.stdout).toContain("Read-only file system");
    expect(inA.stdout).not.toContain("MIRROR-WRITTEN");
    expect(await listFiles(mirrorObjects)).toEqual(mirrorBefore);

    const inB = await runIn(
      b,
      `git status --porcelain; if git cat-file -e ${commit} 2>/dev/null; then echo SEEN; else echo unseen; fi`,
    );
    expect(inB).toMatchObject({ exitCode: 0, stdout: " M a.txt\nunseen\n" });

    // The commit came back into the worktree's files, which is what the patch is made of.
    const { files } = await cache.computePatch(a);
    expect(files.map((file) => file.path).sort()).toEqual(["new.txt"]);
  });

  it("gives a read-only run git status, diff and log, but no commits", async () => {
    const ro = await prepare("run-git-ro");
    const out = await runIn(
      ro,
      [
        "git status --porcelain",
        "git diff --stat | tail -1",
        "git log --format=%s",
        "if git commit -q --allow-empty -m no 2>/dev/null; then echo COMMITTED; else echo refused; fi",
      ].join("\n"),
      true,
    );
    expect(out).toMatchObject({
      exitCode: 0,
      stdout: " M a.txt\n 1 file changed, 1 insertion(+), 1 deletion(-)\ninitial\nrefused\n",
    });
  });
});
