import { createHash, randomBytes } from "node:crypto";
import { chmod, mkdir, readdir, readFile, realpath, rm, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createRepo, type FixtureRepo, makeTempDir, readModes, readTree, writeFiles } from "@pancode/testing/git";
import { afterEach, describe, expect, it } from "vitest";
import { captureAhead } from "./capture-ahead.js";
import { createTestWorker, dispatchTo, type TestWorker, without } from "./fixtures/workspace.js";
import { findRepoRoot } from "./repo-root.js";
import { snapshotWorkspace } from "./snapshot.js";
import { captureWorkingState } from "./temp-index.js";
import { diffTrees } from "./tree-diff.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function repoWith(files: Record<string, string | Buffer>): Promise<FixtureRepo> {
  const repo = await createRepo({ files });
  cleanups.push(repo.cleanup);
  return repo;
}

async function worker(): Promise<TestWorker> {
  const w = await createTestWorker();
  cleanups.push(w.cleanup);
  return w;
}

/**
 * A committed repository with a rename, a deletion, a mode change, a binary and a text file added, a file whose name
 * has a quote modified, and an ignored file, none of it staged.
 */
async function repoWithEveryKindOfChange(): Promise<FixtureRepo> {
  const repo = await repoWith({
    ".gitignore": "*.log\n",
    "moved-from.txt": `${"a line that makes the rename detectable\n".repeat(20)}`,
    "gone.txt": "bye\n",
    "tool.sh": "#!/bin/sh\n",
    "it's quoted.txt": "x\n",
  });
  await writeFiles(repo.dir, { "moved/to.txt": await readFile(join(repo.dir, "moved-from.txt")) });
  await unlink(join(repo.dir, "moved-from.txt"));
  await unlink(join(repo.dir, "gone.txt"));
  await chmod(join(repo.dir, "tool.sh"), 0o755);
  await writeFiles(repo.dir, {
    "bin.dat": randomBytes(2048),
    "new.txt": "new\n",
    "skip.log": "ignored\n",
    "it's quoted.txt": "y\n",
  });
  return repo;
}

const sha = (data: Buffer) => createHash("sha256").update(data).digest("hex");

describe("snapshotWorkspace", () => {
  it("materialises staged, unstaged and untracked changes byte for byte on a worker that only has the bundle", async () => {
    const repo = await repoWith({
      ".gitignore": "*.log\nbuild/\n",
      "staged.txt": "one\n",
      "unstaged.txt": "two\n",
      "both.txt": "v1\n",
      "doomed.txt": "bye\n",
      "script.sh": "#!/bin/sh\necho hi\n",
    });
    await writeFiles(repo.dir, { "staged.txt": "one, staged\n", "both.txt": "v2 staged\n" });
    await repo.git("add", "staged.txt", "both.txt");
    await writeFiles(repo.dir, {
      "unstaged.txt": "two, unstaged\n",
      "both.txt": "v3 working\n",
      "new/deep/untracked.txt": "fresh\n",
      "blob.bin": randomBytes(4096),
      "debug.log": "ignored\n",
      "build/out.js": "ignored too\n",
    });
    await unlink(join(repo.dir, "doomed.txt"));
    await chmod(join(repo.dir, "script.sh"), 0o755);
    const headBefore = await repo.git("rev-parse", "HEAD");
    const statusBefore = await repo.git("status", "--porcelain");
    const indexBefore = sha(await readFile(join(repo.dir, ".git", "index")));

    const w = await worker();
    const { snapshot, worktree } = await dispatchTo(w, repo.dir, "run-snap");

    expect(snapshot.baseCommit).toBe(headBefore);
    expect(snapshot.repoId).toBe(await repo.git("rev-list", "--max-parents=0", "HEAD"));
    expect(snapshot.bytes).toBe(snapshot.statePatch.length);
    expect(snapshot.bytes).toBeGreaterThan(0);
    const developer = without(await readTree(repo.dir), "debug.log", "build/out.js");
    expect(await readTree(worktree.path)).toEqual(developer);
    expect((await readModes(worktree.path)).get("script.sh")).toBe("100755");
    // The user's HEAD, index and status are untouched; the state is pinned by a ref.
    expect(await repo.git("rev-parse", "HEAD")).toBe(headBefore);
    expect(await repo.git("status", "--porcelain")).toBe(statusBefore);
    expect(sha(await readFile(join(repo.dir, ".git", "index")))).toBe(indexBefore);
    expect(await repo.git("rev-parse", `refs/pancode/state/${snapshot.stateTree}^{tree}`)).toBe(snapshot.stateTree);
  });

  it("reads the patch from the index: the same bytes diff-tree gives from HEAD to the state tree", async () => {
    const repo = await repoWithEveryKindOfChange();
    const snapshot = await snapshotWorkspace(repo.dir);
    const viaTrees = await diffTrees({ cwd: repo.dir }, await repo.git("rev-parse", "HEAD^{tree}"), snapshot.stateTree);
    expect(snapshot.statePatch.equals(viaTrees)).toBe(true);
    expect(snapshot.statePatch.toString("latin1")).toContain("rename to moved/to.txt");
  });

  it("captures in one shell chain exactly the tree and patch of the ordinary capture, renames and modes included", async () => {
    const repo = await repoWithEveryKindOfChange();
    const baseTree = await repo.git("rev-parse", "HEAD^{tree}");
    const ordinary = await captureWorkingState({
      target: { cwd: repo.dir },
      baseTree,
      seedIndex: join(repo.dir, ".git", "index"),
    });
    // From a subdirectory, as `pancode dispatch` run there.
    const ahead = await captureAhead(join(repo.dir, "moved"));
    expect(ahead?.head).toMatchObject({ baseCommit: await repo.git("rev-parse", "HEAD"), headTree: baseTree });
    expect(ahead?.head.indexPath).toBe(join(await realpath(repo.dir), ".git", "index"));
    expect(ahead?.stateTree).toBe(ordinary.stateTree);
    expect(ahead?.statePatch.equals(ordinary.statePatch)).toBe(true);
    expect(ahead?.statePatch.toString("latin1")).toContain("rename to moved/to.txt");
    expect(ahead?.statePatch.toString("latin1")).not.toContain("skip.log");
    // Outside a repository, or with no index to seed from, it gives up quietly: the snapshot takes its ordinary path.
    const noGit = await makeTempDir("pancode-nogit-");
    cleanups.push(() => rm(noGit, { recursive: true, force: true }));
    expect(await captureAhead(noGit)).toBeUndefined();
  });

  it("keeps the repository id of the last HEAD in the git directory, and recomputes it for another HEAD", async () => {
    const repo = await repoWith({ "a.txt": "one\n" });
    const root = await repo.git("rev-list", "--max-parents=0", "HEAD");
    const kept = join(repo.dir, ".git", "pancode-repo-id");
    expect((await snapshotWorkspace(repo.dir)).repoId).toBe(root);
    expect(await readFile(kept, "utf8")).toBe(`${root} ${root}\n`);
    await writeFiles(repo.dir, { "a.txt": "two\n" });
    await repo.git("commit", "--quiet", "-am", "two");
    const head = await repo.git("rev-parse", "HEAD");
    expect((await snapshotWorkspace(repo.dir)).repoId).toBe(root);
    expect(await readFile(kept, "utf8")).toBe(`${head} ${root}\n`);
    // A file that does not hold a commit id is not believed.
    await writeFile(kept, `${head} not-an-id\n`);
    expect((await snapshotWorkspace(repo.dir)).repoId).toBe(root);
  });

  it("captures the checkout git finds (not an empty .git below it) and leaves no temp index behind", async () => {
    const repo = await repoWith({ "a.txt": "one\n", "inner/b.txt": "two\n" });
    await writeFiles(repo.dir, { "a.txt": "changed\n" });
    const expected = await snapshotWorkspace(repo.dir);
    // An empty `.git` directory is no repository: git goes on up to the real one.
    await mkdir(join(repo.dir, "inner", ".git"));
    const temp = await makeTempDir("pancode-tmpdir-");
    const noGit = await makeTempDir("pancode-nogit-");
    cleanups.push(() => rm(temp, { recursive: true, force: true }));
    cleanups.push(() => rm(noGit, { recursive: true, force: true }));
    const before = process.env.TMPDIR;
    process.env.TMPDIR = temp;
    try {
      const fromInner = await snapshotWorkspace(join(repo.dir, "inner"));
      expect(fromInner.repoRoot).toBe(expected.repoRoot);
      expect(fromInner.stateTree).toBe(expected.stateTree);
      expect(fromInner.statePatch.equals(expected.statePatch)).toBe(true);
      const fromRoot = await snapshotWorkspace(repo.dir);
      expect(fromRoot.stateTree).toBe(expected.stateTree);
      await expect(snapshotWorkspace(noGit)).rejects.toMatchObject({ code: "NOT_A_GIT_REPO" });
    } finally {
      if (before === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = before;
    }
    // The capture removes its temp index in the background, right after it.
    await expect.poll(() => readdir(temp), { timeout: 5000 }).toEqual([]);
  });

  it("gives an empty patch and HEAD's tree for a clean checkout", async () => {
    const repo = await repoWith({ "a.txt": "a\n" });
    const snapshot = await snapshotWorkspace(repo.dir);
    expect(snapshot.statePatch.length).toBe(0);
    expect(snapshot.bytes).toBe(0);
    expect(snapshot.stateTree).toBe(await repo.git("rev-parse", "HEAD^{tree}"));
  });

  it("still works when the user's index has unresolved merge conflicts", async () => {
    const repo = await repoWith({ "f.txt": "base\n" });
    await repo.git("checkout", "--quiet", "-b", "side");
    await writeFiles(repo.dir, { "f.txt": "side\n" });
    await repo.git("commit", "--quiet", "-am", "side");
    await repo.git("checkout", "--quiet", "main");
    await writeFiles(repo.dir, { "f.txt": "main\n" });
    await repo.git("commit", "--quiet", "-am", "main");
    await expect(repo.git("merge", "side")).rejects.toThrow();
    const w = await worker();
    const { worktree } = await dispatchTo(w, repo.dir, "run-conflicted");
    expect(await readTree(worktree.path)).toEqual(await readTree(repo.dir));
  });

  it("sees a same-size edit made right after staging (stat cache of the seeded index is not trusted blindly)", async () => {
    const repo = await repoWith({ "a.txt": "aaaa\n" });
    for (const content of ["bbbb\n", "cccc\n", "dddd\n"]) {
      await repo.git("add", "a.txt");
      await writeFiles(repo.dir, { "a.txt": content });
      const snapshot = await snapshotWorkspace(repo.dir);
      const blob = await repo.git("rev-parse", `${snapshot.stateTree}:a.txt`);
      expect(await repo.git("cat-file", "blob", blob)).toBe(content.trim());
    }
  });

  it("rejects a directory outside any repository with NOT_A_GIT_REPO", async () => {
    const dir = await makeTempDir("plain");
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    await expect(findRepoRoot(dir)).rejects.toMatchObject({ code: "NOT_A_GIT_REPO" });
    await expect(findRepoRoot(join(dir, "missing"))).rejects.toMatchObject({ code: "NOT_A_GIT_REPO" });
  });

  it("finds the checkout root from a subdirectory", async () => {
    const repo = await repoWith({ "src/deep/a.txt": "a\n" });
    expect(await findRepoRoot(join(repo.dir, "src", "deep"))).toBe(await repo.git("rev-parse", "--show-toplevel"));
  });

  it("takes the same snapshot from a subdirectory, and a linked worktree's own state with refs in the shared git dir", async () => {
    const repo = await repoWith({ "src/deep/a.txt": "a\n", "b.txt": "b\n" });
    await writeFiles(repo.dir, { "b.txt": "b, edited\n", "new.txt": "new\n" });
    const fromRoot = await snapshotWorkspace(repo.dir);
    const fromSub = await snapshotWorkspace(join(repo.dir, "src", "deep"));
    expect(fromSub).toEqual(fromRoot);
    expect(fromSub.repoRoot).toBe(await repo.git("rev-parse", "--show-toplevel"));

    const linked = await makeTempDir("linked");
    cleanups.push(() => rm(linked, { recursive: true, force: true }));
    await repo.git("worktree", "add", "--quiet", "--detach", join(linked, "wt"));
    await writeFiles(join(linked, "wt"), { "b.txt": "b, in the linked worktree\n" });
    const fromLinked = await snapshotWorkspace(join(linked, "wt", "src"));
    expect(fromLinked.repoRoot).toBe(join(linked, "wt"));
    expect(fromLinked.stateTree).not.toBe(fromRoot.stateTree);
    expect(fromLinked.statePatch.toString()).toContain("+b, in the linked worktree");
    expect(await repo.git("rev-parse", `refs/pancode/state/${fromLinked.stateTree}^{tree}`)).toBe(fromLinked.stateTree);
  });

  it("leaves an existing state ref as it is, and writes it again once it is gone", async () => {
    const repo = await repoWith({ "a.txt": "a\n" });
    await writeFiles(repo.dir, { "a.txt": "a, edited\n" });
    const first = await snapshotWorkspace(repo.dir);
    const ref = `refs/pancode/state/${first.stateTree}`;
    const kept = await repo.git("rev-parse", ref);
    // Its name is the tree it keeps: an existing ref of that name already does the job, whatever commit it holds.
    const marker = await repo.git("commit-tree", first.stateTree, "-m", "marker");
    await repo.git("update-ref", ref, marker);
    await snapshotWorkspace(repo.dir);
    expect(await repo.git("rev-parse", ref)).toBe(marker);
    await repo.git("update-ref", "-d", ref);
    await snapshotWorkspace(repo.dir);
    expect(await repo.git("rev-parse", ref)).toBe(kept);
  });

  it("rejects a snapshot outside any repository with NOT_A_GIT_REPO", async () => {
    const dir = await makeTempDir("plain");
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    await expect(snapshotWorkspace(dir)).rejects.toMatchObject({ code: "NOT_A_GIT_REPO" });
    await expect(snapshotWorkspace(join(dir, "missing"))).rejects.toMatchObject({ code: "NOT_A_GIT_REPO" });
  });

  it("explains that a repository without commits cannot be dispatched", async () => {
    const repo = await createRepo();
    cleanups.push(repo.cleanup);
    await writeFiles(repo.dir, { "a.txt": "a\n" });
    await expect(snapshotWorkspace(repo.dir)).rejects.toMatchObject({
      code: "NOT_A_GIT_REPO",
      message: expect.stringContaining("has no commits yet"),
    });
  });
});
