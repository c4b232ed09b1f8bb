import { randomBytes } from "node:crypto";
import { chmod, mkdir, readdir, rename, rm, stat, unlink, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createRepo, type FixtureRepo, readModes, readTree, writeFiles } from "@pancode/testing/git";
import { afterEach, describe, expect, it } from "vitest";
import { createBundle } from "./bundle.js";
import { createTestWorker, dispatchTo, type TestWorker } from "./fixtures/workspace.js";
import { mergePatch } from "./merge-patch.js";
import { snapshotWorkspace } from "./snapshot.js";
import { type PreparedWorktree, WorkspaceCache } from "./workspace-cache.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function setup(files: Record<string, string | Buffer>): Promise<{ repo: FixtureRepo; w: TestWorker }> {
  const repo = await createRepo({ files });
  const w = await createTestWorker();
  cleanups.push(repo.cleanup, w.cleanup);
  return { repo, w };
}

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

describe("WorkspaceCache", () => {
  it("computes a binary-safe patch that mergePatch reproduces byte for byte in the developer checkout", async () => {
    const { repo, w } = await setup({
      ".gitignore": "node_modules/\n",
      "edit.txt": "line 1\nline 2\nline 3\n",
      "gone.txt": "delete me\n",
      "old-name.txt": "a file that moves\nwith several lines\nof content\n",
      "tool.sh": "#!/bin/sh\necho tool\n",
    });
    await writeFiles(repo.dir, { "wip.txt": "uncommitted work\n" });
    const { snapshot, worktree } = await dispatchTo(w, repo.dir, "run-all-kinds");
    // The worker's baseline is the developer's working state, object for object.
    expect(worktree.baselineTree).toBe(snapshot.stateTree);

    // What an agent does inside the worktree.
    const binary = Buffer.concat([Buffer.from([0, 0, 255, 0]), randomBytes(20_000)]);
    await writeFiles(worktree.path, {
      "edit.txt": "line 1\nline 2 edited\nline 3\n",
      "assets/blob.bin": binary,
      "a/b/c/nested.txt": "deep\n",
      "node_modules/pkg/index.js": "ignored by design\n",
    });
    await unlink(join(worktree.path, "gone.txt"));
    await rename(join(worktree.path, "old-name.txt"), join(worktree.path, "new-name.txt"));
    await chmod(join(worktree.path, "tool.sh"), 0o755);

    const { patch, files } = await w.cache.computePatch(worktree);
    const byPath = new Map(files.map((file) => [file.path, file]));
    expect(byPath.get("edit.txt")).toMatchObject({ status: "modified", binary: false });
    expect(byPath.get("assets/blob.bin")).toMatchObject({ status: "added", binary: true });
    expect(byPath.get("a/b/c/nested.txt")).toMatchObject({ status: "added" });
    expect(byPath.get("gone.txt")).toMatchObject({ status: "deleted" });
    expect(byPath.get("new-name.txt")).toMatchObject({ status: "renamed", oldPath: "old-name.txt" });
    expect(byPath.get("tool.sh")).toMatchObject({ status: "modified" });
    expect([...byPath.keys()].some((path) => path.startsWith("node_modules") || path.includes(".git/"))).toBe(false);
    expect(files).toHaveLength(6);

    const report = await mergePatch({ repoRoot: repo.dir, baseTree: snapshot.stateTree, patch });
    expect(report.outcome).toBe("clean");
    const statuses = Object.fromEntries(report.files.map((file) => [file.path, file.status]));
    expect(statuses).toEqual({
      "edit.txt": "applied",
      "assets/blob.bin": "added",
      "a/b/c/nested.txt": "added",
      "gone.txt": "deleted",
      "new-name.txt": "applied",
      "tool.sh": "applied",
    });
    const workerTree = await readTree(worktree.path);
    workerTree.delete("node_modules/pkg/index.js");
    expect(await readTree(repo.dir)).toEqual(workerTree);
    expect((await readModes(repo.dir)).get("tool.sh")).toBe("100755");
    // Merge-back writes working files only; the user's staging area is untouched.
    expect(await repo.git("diff", "--cached", "--name-only")).toBe("");
  });

  it("returns an empty patch and no files when the run changed nothing (or only ignored files)", async () => {
    const { repo, w } = await setup({ ".gitignore": "*.tmp\n", "a.txt": "a\n" });
    await writeFiles(repo.dir, { "b.txt": "uncommitted\n" });
    const { snapshot, worktree } = await dispatchTo(w, repo.dir, "run-noop");
    await writeFiles(worktree.path, { "scratch.tmp": "ignored\n" });
    const { patch, files } = await w.cache.computePatch(worktree);
    expect(patch.length).toBe(0);
    expect(files).toEqual([]);
    expect(await mergePatch({ repoRoot: repo.dir, baseTree: snapshot.stateTree, patch })).toEqual({
      outcome: "empty",
      files: [],
    });
  });

  it("sees a change that keeps the file's size and puts its times back, also when nothing else changed", async () => {
    const { repo, w } = await setup({ "a.txt": "aaaa\n", "b.txt": "bbbb\n" });
    const { worktree } = await dispatchTo(w, repo.dir, "run-stealth");
    // Past git's racy window (a second): from here on the baseline's entries are trusted by their stat data alone,
    // which is what a forged mtime aims at (within the window git re-reads every file anyway).
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect((await w.cache.computePatch(worktree)).patch.length).toBe(0);
    // What a hostile agent might try so that the change looks like nothing happened: same size, old times.
    const path = join(worktree.path, "a.txt");
    const before = await stat(path);
    await writeFile(path, "AAAA\n");
    await utimes(path, before.atime, before.mtime);
    const { patch, files } = await w.cache.computePatch(worktree);
    expect(files.map((f) => f.path)).toEqual(["a.txt"]);
    expect(patch.toString("utf8")).toContain("+AAAA");
    // Put back, the file is the baseline's again: every capture starts from the baseline's own index.
    await writeFile(path, "aaaa\n");
    expect((await w.cache.computePatch(worktree)).patch.length).toBe(0);
  });

  it("creates two worktrees of one repo in parallel, and a second cache instance on the same dir can too", async () => {
    const { repo, w } = await setup({ "a.txt": "a\n" });
    await writeFiles(repo.dir, { "a.txt": "changed\n" });
    const snapshot = await snapshotWorkspace(repo.dir);
    const bundle = await createBundle(repo.dir, snapshot.baseCommit);
    const other = new WorkspaceCache({ cacheDir: w.cacheDir, worktreeRoot: w.worktreeRoot });
    await Promise.all([w.cache.importBundle(snapshot.repoId, bundle), other.importBundle(snapshot.repoId, bundle)]);
    const mirror = join(w.cacheDir, `${snapshot.repoId}.git`);
    const mirrorBefore = await listFiles(mirror);
    const spec = { repoId: snapshot.repoId, baseCommit: snapshot.baseCommit, statePatch: snapshot.statePatch };
    const trees = await Promise.all([
      w.cache.createWorktree({ ...spec, runId: "run-p1" }),
      w.cache.createWorktree({ ...spec, runId: "run-p2" }),
      other.createWorktree({ ...spec, runId: "run-p3" }),
    ]);
    for (const worktree of trees) expect(await readTree(worktree.path)).toEqual(await readTree(repo.dir));
    await writeFiles(trees[0]?.path ?? "", { "b.txt": "a run's own file\n" });
    await w.cache.computePatch(trees[0] as PreparedWorktree);
    // Runs read the mirror and write their own stores: the shared mirror is exactly what the bundles made it.
    expect(await listFiles(mirror)).toEqual(mirrorBefore);
  });

  it("reaps orphaned run directories; removeWorktree is idempotent and leaves nothing of the run", async () => {
    const { repo, w } = await setup({ "a.txt": "a\n" });
    const { worktree: orphan } = await dispatchTo(w, repo.dir, "run-orphan");
    const { worktree: alive } = await dispatchTo(w, repo.dir, "run-alive");
    await mkdir(join(w.worktreeRoot, "run-stray"));
    await writeFile(join(w.worktreeRoot, "owner.json"), "{}");
    const removed = await w.cache.reapOrphans((runId) => runId === "run-alive");
    expect(removed.sort()).toEqual(["run-orphan", "run-stray"]);
    expect(await exists(orphan.path)).toBe(false);
    expect(await exists(orphan.gitDir)).toBe(false);
    expect(await exists(alive.path)).toBe(true);

    await w.cache.removeWorktree(alive);
    await w.cache.removeWorktree(alive);
    expect(await readdir(w.worktreeRoot)).toEqual(["owner.json"]);
  });

  it("replaces the worktree of a redelivered run id with a fresh one", async () => {
    const { repo, w } = await setup({ "a.txt": "a\n" });
    const { worktree } = await dispatchTo(w, repo.dir, "run-again");
    await writeFiles(worktree.path, { "a.txt": "dirty from attempt 1\n" });
    const { worktree: second } = await dispatchTo(w, repo.dir, "run-again");
    expect(second.path).toBe(worktree.path);
    expect(await readTree(second.path)).toEqual(await readTree(repo.dir));
  });

  it("reports a missing commit as NOT_FOUND and a corrupt bundle as GIT_FAILED", async () => {
    const { repo, w } = await setup({ "a.txt": "a\n" });
    const snapshot = await snapshotWorkspace(repo.dir);
    const spec = { repoId: snapshot.repoId, baseCommit: snapshot.baseCommit, statePatch: Buffer.alloc(0) };
    expect(await w.cache.hasCommit(snapshot.repoId, snapshot.baseCommit)).toBe(false);
    await expect(w.cache.createWorktree({ ...spec, runId: "run-missing" })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    await expect(w.cache.importBundle(snapshot.repoId, Buffer.from("not a bundle\n"))).rejects.toMatchObject({
      code: "GIT_FAILED",
    });
    const path = join(w.cacheDir, "junk.bundle");
    await writeFile(path, randomBytes(512));
    await expect(w.cache.importBundle(snapshot.repoId, path)).rejects.toMatchObject({ code: "GIT_FAILED" });
    await expect(w.cache.createWorktree({ ...spec, runId: "../escape" })).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
    });
    // A base that names the commit's tree (present in the mirror) is no commit either.
    await w.cache.importBundle(snapshot.repoId, await createBundle(repo.dir, snapshot.baseCommit));
    const tree = await repo.git("rev-parse", `${snapshot.baseCommit}^{tree}`);
    await expect(w.cache.createWorktree({ ...spec, baseCommit: tree, runId: "run-tree" })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    expect(await readdir(w.worktreeRoot)).toEqual([]);
  });

  it("checks out while the submitted state is on its way; a state that never comes leaves no directory", async () => {
    const { repo, w } = await setup({ "a.txt": "a\n" });
    await writeFiles(repo.dir, { "a.txt": "changed\n", "new.txt": "untracked\n" });
    const snapshot = await snapshotWorkspace(repo.dir);
    await w.cache.importBundle(snapshot.repoId, await createBundle(repo.dir, snapshot.baseCommit));
    const base = { repoId: snapshot.repoId, baseCommit: snapshot.baseCommit };
    const late = new Promise<Buffer>((resolve) => setTimeout(() => resolve(snapshot.statePatch), 50));
    const worktree = await w.cache.createWorktree({ ...base, statePatch: late, runId: "run-late" });
    expect(await readTree(worktree.path)).toEqual(await readTree(repo.dir));
    expect(worktree.baselineTree).toBe(snapshot.stateTree);
    const lost = Promise.reject(new Error("state blob lost on the way"));
    await expect(w.cache.createWorktree({ ...base, statePatch: lost, runId: "run-lost" })).rejects.toThrow(
      "state blob lost on the way",
    );
    expect(await readdir(w.worktreeRoot)).toEqual(["run-late"]);
  });

  it("never lets the agent's .git steer the worker's git: hostile config, hooks, index, or a gitdir file", async () => {
    const { repo, w } = await setup({ "a.txt": "a\n" });
    const marker = join(w.cacheDir, "pwned");
    const { worktree } = await dispatchTo(w, repo.dir, "run-hostile");
    const agentGit = join(worktree.path, ".git");
    // What an agent may write into its repository: commands git would run (fsmonitor, hooks), a junk index.
    await writeFile(join(agentGit, "config"), `[core]\n\tfsmonitor = touch ${marker}\n\thooksPath = hooks\n`);
    await writeFiles(agentGit, { "hooks/post-index-change": `#!/bin/sh\ntouch ${marker}\n`, index: "junk" });
    await chmod(join(agentGit, "hooks", "post-index-change"), 0o755);
    await writeFiles(worktree.path, { "a.txt": "edited\n" });
    expect((await w.cache.computePatch(worktree)).files.map((file) => file.path)).toEqual(["a.txt"]);
    expect(await exists(marker)).toBe(false);

    // The whole .git replaced by a file pointing at another repository.
    const decoy = await createRepo({ files: { "decoy.txt": "x\n" } });
    cleanups.push(decoy.cleanup);
    await rm(agentGit, { recursive: true, force: true });
    await writeFile(agentGit, `gitdir: ${join(decoy.dir, ".git")}\n`);
    expect((await w.cache.computePatch(worktree)).files.map((file) => file.path)).toEqual(["a.txt"]);
    await w.cache.removeWorktree(worktree);
    expect(await exists(join(decoy.dir, ".git", "HEAD"))).toBe(true);
  });
});

/** Every file under `dir` with its size, sorted: equal lists mean nothing was added, removed or rewritten. */
async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files = entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
  const sized = await Promise.all(files.map(async (file) => `${file} ${(await stat(file)).size}`));
  return sized.sort();
}
