import { execFile } from "node:child_process";
import { readFile, unlink } from "node:fs/promises";
import { join } from "node:path";
import { createRepo, type FixtureRepo, writeFiles } from "@pancode/testing/git";
import { afterEach, describe, expect, it } from "vitest";
import { createTestWorker, dispatchTo, type TestWorker } from "./fixtures/workspace.js";
import { mergePatch } from "./merge-patch.js";
import { RUN_BRANCH, RUN_GIT_IDENTITY } from "./run-git-dir.js";

// The agent's view of git in its worktree: the developer's HEAD and history, the submitted uncommitted changes,
// a repository of its own (objects never in the mirror, never seen by another run), and the patch that follows
// whatever the agent committed, stashed or left.

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** Plain `git` in `cwd` as an agent runs it: repository found from the cwd, no identity or user config given. */
function agentGit(cwd: string, ...args: string[]): Promise<string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith("GIT_")) env[key] = value;
  }
  Object.assign(env, { GIT_CONFIG_GLOBAL: "/dev/null", GIT_CONFIG_NOSYSTEM: "1", LC_ALL: "C" });
  return new Promise((resolve, reject) => {
    execFile("git", args, { cwd, env }, (err, stdout, stderr) => {
      if (err) reject(new Error(`git ${args.join(" ")}: ${stderr || err.message}`));
      else resolve(stdout.trimEnd());
    });
  });
}

/** Exit code of an agent's git command (0 = success), for commands expected to fail. */
function agentGitCode(cwd: string, ...args: string[]): Promise<number> {
  return agentGit(cwd, ...args).then(
    () => 0,
    () => 1,
  );
}

async function setup(): Promise<{ repo: FixtureRepo; w: TestWorker }> {
  const repo = await createRepo({
    files: { "staged.txt": "s\n", "unstaged.txt": "u\n", "same-size.txt": "1\n", "gone.txt": "g\n", "keep.txt": "k\n" },
  });
  await writeFiles(repo.dir, { "keep.txt": "k\nsecond commit\n" });
  await repo.git("commit", "--quiet", "-am", "second");
  await writeFiles(repo.dir, { "staged.txt": "s staged\n" });
  await repo.git("add", "staged.txt");
  // A same-size edit: the worker applies it within the second of its checkout, which git's stat cache must not miss.
  await writeFiles(repo.dir, { "unstaged.txt": "u unstaged\n", "same-size.txt": "2\n", "untracked.txt": "new\n" });
  await unlink(join(repo.dir, "gone.txt"));
  const w = await createTestWorker();
  cleanups.push(repo.cleanup, w.cleanup);
  return { repo, w };
}

describe("the run's own repository", () => {
  it("shows the developer's HEAD, history and the submitted changes as uncommitted ones", async () => {
    const { repo, w } = await setup();
    const { worktree } = await dispatchTo(w, repo.dir, "run-view");
    const cwd = worktree.path;
    expect(await agentGit(cwd, "rev-parse", "HEAD")).toBe(await repo.git("rev-parse", "HEAD"));
    expect(await agentGit(cwd, "log", "--format=%s")).toBe("second\ninitial");
    expect(await agentGit(cwd, "branch", "--show-current")).toBe(RUN_BRANCH);
    // The snapshot does not keep the staging area: every submitted change is an unstaged or untracked one.
    expect((await agentGit(cwd, "status", "--porcelain")).split("\n").sort()).toEqual([
      " D gone.txt",
      " M same-size.txt",
      " M staged.txt",
      " M unstaged.txt",
      "?? untracked.txt",
    ]);
    expect(await agentGit(cwd, "diff", "--cached", "--name-only")).toBe("");
    const diff = await agentGit(cwd, "diff", "unstaged.txt");
    expect(diff).toContain("-u\n+u unstaged");
    expect(await readFile(join(cwd, ".git", "objects", "info", "alternates"), "utf8")).toBe(
      `${worktree.sharedObjects}\n`,
    );
  });

  it("keeps the agent's commits in its own store: not in the mirror, not visible to another run", async () => {
    const { repo, w } = await setup();
    const { worktree: a } = await dispatchTo(w, repo.dir, "run-a");
    const { worktree: b } = await dispatchTo(w, repo.dir, "run-b");
    await writeFiles(a.path, { "new.txt": "x\n" });
    await agentGit(a.path, "add", "new.txt");
    await agentGit(a.path, "commit", "--quiet", "-m", "msg");
    const commit = await agentGit(a.path, "rev-parse", "HEAD");
    const blob = await agentGit(a.path, "rev-parse", "HEAD:new.txt");
    expect(await agentGit(a.path, "log", "-1", "--format=%an <%ae>")).toBe(
      `${RUN_GIT_IDENTITY.name} <${RUN_GIT_IDENTITY.email}>`,
    );
    expect(await agentGit(a.path, "rev-parse", "HEAD~1")).toBe(a.baseCommit);

    const mirror = join(w.cacheDir, `${a.repoId}.git`);
    for (const oid of [commit, blob]) {
      expect(await agentGitCode(a.path, "cat-file", "-e", oid)).toBe(0);
      expect(await agentGitCode(mirror, "cat-file", "-e", oid)).toBe(1);
      expect(await agentGitCode(b.path, "cat-file", "-e", oid)).toBe(1);
    }
    // Not even by listing every object it can reach (its own store and the mirror).
    const visibleToB = await agentGit(b.path, "cat-file", "--batch-all-objects", "--batch-check=%(objectname)");
    expect(visibleToB.split("\n")).not.toContain(commit);
    expect(visibleToB.split("\n")).not.toContain(blob);
  });

  it("patches the final working tree, whatever the agent committed, stashed or left uncommitted", async () => {
    const { repo, w } = await setup();
    const { snapshot, worktree } = await dispatchTo(w, repo.dir, "run-commits");
    const cwd = worktree.path;
    const headBefore = await repo.git("rev-parse", "HEAD");
    const stagedBefore = await repo.git("diff", "--cached", "--name-only");
    await writeFiles(cwd, { "committed.txt": "committed\n", "keep.txt": "k\nsecond commit\ncommitted edit\n" });
    await agentGit(cwd, "add", "-A");
    await agentGit(cwd, "commit", "--quiet", "-m", "agent work");
    await writeFiles(cwd, { "stashed.txt": "stashed\n" });
    await agentGit(cwd, "stash", "--quiet", "--include-untracked");
    await writeFiles(cwd, { "left.txt": "left uncommitted\n" });
    await agentGit(cwd, "branch", "agent-side-branch");

    const { patch, files } = await w.cache.computePatch(worktree);
    expect(files.map((file) => file.path).sort()).toEqual(["committed.txt", "keep.txt", "left.txt"]);
    expect(patch.toString("utf8")).not.toContain(".git/");

    const report = await mergePatch({ repoRoot: repo.dir, baseTree: snapshot.stateTree, patch });
    expect(report.outcome).toBe("clean");
    expect(await readFile(join(repo.dir, "committed.txt"), "utf8")).toBe("committed\n");
    // Merge-back writes working files only: the developer's HEAD, branches and index stay theirs.
    expect(await repo.git("rev-parse", "HEAD")).toBe(headBefore);
    expect(await repo.git("diff", "--cached", "--name-only")).toBe(stagedBefore);
    expect(await repo.git("branch", "--list", "agent-side-branch")).toBe("");
  });
});
