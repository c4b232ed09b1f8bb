import { mkdir, readdir, rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import { type LoggerPort, type PatchFile, silentLogger } from "@pancode/core";
import { PanCodeError } from "@pancode/core/errors";
import { withFileLock } from "./file-lock.js";
import { type GitTarget, git, gitBytes, objectExists } from "./git-runner.js";
import { assertObjectId, assertRunId } from "./ids.js";
import { KeyedMutex } from "./keyed-mutex.js";
import { ensureMirror, fetchBundle, mirrorExists, mirrorTarget } from "./mirror.js";
import { createRunGitDir } from "./run-git-dir.js";
import { readStateTree, type StateTree } from "./state-tree.js";
import { captureWorkingTree } from "./temp-index.js";
import { diffTrees, listChangedFiles } from "./tree-diff.js";
import { initWorkerGitDir } from "./worker-git-dir.js";

/** Options of {@link WorkspaceCache}. */
export interface WorkspaceCacheOptions {
  /** Holds one bare mirror per repository, `<cacheDir>/<repoId>.git`, shared by all runs (and processes). */
  cacheDir: string;
  /** Parent of the per-run directories, `<worktreeRoot>/<runId>`. */
  worktreeRoot: string;
  /** @default a no-op logger */
  logger?: LoggerPort;
}

/** A run's worktree, materialised at the submitter's exact working state. */
export interface PreparedWorktree {
  runId: string;
  repoId: string;
  /** Absolute path of the worktree (what the sandbox mounts), `<worktreeRoot>/<runId>/workspace`. */
  path: string;
  baseCommit: string;
  /** Tree of the worktree right after the submitted state was applied: what `computePatch` diffs against. */
  baselineTree: string;
  /**
   * The worker's own git dir for this worktree, `<worktreeRoot>/<runId>/worker.git`: never mounted into the
   * sandbox, so nothing the agent does steers the git commands that compute the patch.
   */
  gitDir: string;
  /**
   * The shared mirror's object store, the alternate of the run's own repository (`<path>/.git`). The sandbox
   * must mount it read-only at this same path, where the alternates entry points.
   */
  sharedObjects: string;
}

/** Mirror mutations are serialised per lock dir for every cache instance in this process. */
const repoMutex = new KeyedMutex();

/**
 * The worker side of workspaces: bare mirrors fed by bundles, one worktree per run with the submitter's
 * uncommitted state applied, and the run's delta patch. The worker never contacts the developer's machine.
 *
 * Each run gets two git dirs, each with its own object store and the mirror as its only alternate, so a run never
 * writes into the mirror and never sees another run's objects:
 * - `<path>/.git`, the agent's: HEAD at the developer's HEAD, the submitted changes as uncommitted changes, so
 *   `git status/diff/log/commit` work in the sandbox (see {@link createRunGitDir}).
 * - `gitDir`, the worker's: every git command of the worker runs with it as explicit `GIT_DIR`, because the
 *   agent's `.git` (config, hooks, index) is writable by the agent and must never decide what root-run git does.
 */
export class WorkspaceCache {
  private readonly cacheDir: string;
  private readonly worktreeRoot: string;
  private readonly logger: LoggerPort;

  constructor(options: WorkspaceCacheOptions) {
    this.cacheDir = resolve(options.cacheDir);
    this.worktreeRoot = resolve(options.worktreeRoot);
    this.logger = options.logger ?? silentLogger;
  }

  /** True when the mirror of `repoId` exists and contains `commit`. */
  async hasCommit(repoId: string, commit: string): Promise<boolean> {
    assertObjectId(repoId, "repo id");
    assertObjectId(commit, "commit");
    const mirror = this.mirrorDir(repoId);
    if (!(await mirrorExists(mirror))) return false;
    return objectExists(mirrorTarget(mirror), commit, "commit");
  }

  /**
   * Imports a bundle (bytes or a file path) into the mirror of `repoId`, creating the mirror if needed. Throws
   * `GIT_FAILED` for a corrupt bundle or one whose prerequisites the mirror lacks.
   */
  async importBundle(repoId: string, bundle: Buffer | string): Promise<void> {
    assertObjectId(repoId, "repo id");
    await this.withRepoLock(repoId, async () => {
      const mirror = this.mirrorDir(repoId);
      await ensureMirror(mirror);
      const commits = await fetchBundle(mirrorTarget(mirror), repoId, bundle);
      this.logger.info("bundle imported", { repoId, commits });
    });
  }

  /**
   * Checks out `baseCommit` at `<worktreeRoot>/<runId>/workspace`, applies the submitted state patch (and earlier
   * chain steps' patches), records the baseline tree and gives the worktree the agent's repository. An existing
   * directory of the same run id (a redelivered attempt) is replaced. Throws `NOT_FOUND` when the mirror lacks the
   * commit, `GIT_FAILED` when a patch does not apply. The patches may still be on their way (promises): the
   * checkout does not need them, so it runs meanwhile.
   */
  async createWorktree(options: {
    repoId: string;
    baseCommit: string;
    statePatch: Buffer | Promise<Buffer>;
    /** Applied in order after the state patch (earlier chain steps); the baseline includes them. @default [] */
    basePatches?: readonly Buffer[] | Promise<readonly Buffer[]>;
    runId: string;
  }): Promise<PreparedWorktree> {
    const { repoId, baseCommit, runId } = options;
    assertObjectId(repoId, "repo id");
    assertObjectId(baseCommit, "base commit");
    assertRunId(runId);
    const patches = Promise.all([options.statePatch, options.basePatches ?? []]);
    // Awaited below; a rejection that comes while the checkout runs must not count as unhandled meanwhile.
    patches.catch(() => undefined);
    const mirror = this.mirrorDir(repoId);
    const runDir = this.runDir(runId);
    const worktree: PreparedWorktree = {
      runId,
      repoId,
      path: join(runDir, "workspace"),
      baseCommit,
      baselineTree: "",
      gitDir: join(runDir, "worker.git"),
      sharedObjects: join(mirror, "objects"),
    };
    await rm(runDir, { recursive: true, force: true });
    let stateBytes = 0;
    try {
      // Settled both before anything is thrown: the cleanup below must not race a checkout still writing.
      const [checkout, fetched] = await Promise.allSettled([this.checkOut(worktree), patches]);
      if (checkout.status === "rejected") throw checkout.reason;
      if (fetched.status === "rejected") throw fetched.reason;
      const [statePatch, basePatches] = fetched.value;
      stateBytes = statePatch.length;
      const target = this.worktreeTarget(worktree);
      for (const patch of [statePatch, ...basePatches]) {
        if (patch.length > 0)
          await gitBytes(target, ["apply", "--binary", "--whitespace=nowarn", "-"], { input: patch });
      }
      await this.recordBaseline(worktree);
    } catch (err) {
      await this.removeWorktree(worktree);
      if (!(await this.hasCommit(repoId, baseCommit))) {
        throw new PanCodeError("NOT_FOUND", `commit ${baseCommit} of repo ${repoId} is not in the cache ${mirror}`);
      }
      throw err;
    }
    this.logger.info("worktree created", { runId, repoId, baseCommit, path: worktree.path, stateBytes });
    return worktree;
  }

  /**
   * The worker's git dir and a checkout of the base commit; its index (HEAD, with the stat data of the fresh files)
   * is what the agent's index and the baseline start from.
   */
  private async checkOut(worktree: PreparedWorktree): Promise<void> {
    await mkdir(worktree.path, { recursive: true });
    const target = this.worktreeTarget(worktree);
    await initWorkerGitDir(target, {
      gitDir: worktree.gitDir,
      workTree: worktree.path,
      sharedObjects: worktree.sharedObjects,
    });
    // ^{commit}: a base that names any other object is refused, as a missing commit is.
    await git(target, ["read-tree", "--reset", "-u", `${worktree.baseCommit}^{commit}`]);
  }

  /**
   * The baseline tree (the worktree right after the submitted state was applied), its index kept for
   * `computePatch`, and the agent's repository: the two are independent (git never adds `.git`), so side by side.
   */
  private async recordBaseline(worktree: PreparedWorktree): Promise<void> {
    const headIndex = join(worktree.gitDir, "index");
    const [baseline, agentRepo] = await Promise.allSettled([
      captureWorkingTree({
        target: this.worktreeTarget(worktree),
        baseTree: worktree.baseCommit,
        seedIndex: headIndex,
        seedHoldsBase: true,
        keepIndexAt: baselineIndexOf(worktree),
      }),
      createRunGitDir({
        workTree: worktree.path,
        sharedObjects: worktree.sharedObjects,
        baseCommit: worktree.baseCommit,
        headIndex,
      }),
    ]);
    if (baseline.status === "rejected") throw baseline.reason;
    if (agentRepo.status === "rejected") throw agentRepo.reason;
    worktree.baselineTree = baseline.value;
  }

  /**
   * The files of a submitted state (base commit plus uncommitted patch) without checking it out: the coordinator
   * resolves the paths a task names against it. Throws `NOT_FOUND` when the mirror lacks the commit, `GIT_FAILED`
   * when the patch does not apply.
   */
  async readStateTree(options: { repoId: string; baseCommit: string; statePatch: Buffer }): Promise<StateTree> {
    const { repoId, baseCommit, statePatch } = options;
    assertObjectId(repoId, "repo id");
    assertObjectId(baseCommit, "base commit");
    if (!(await this.hasCommit(repoId, baseCommit))) {
      throw new PanCodeError("NOT_FOUND", `commit ${baseCommit} of repo ${repoId} is not in the cache`);
    }
    return readStateTree(mirrorTarget(this.mirrorDir(repoId)), baseCommit, statePatch);
  }

  /**
   * The run's delta: the worktree's current tree (tracked and untracked files, not ignored ones, never `.git`)
   * against the baseline, as binary-safe patch bytes plus the file list. No change gives an empty buffer and [].
   */
  async computePatch(worktree: PreparedWorktree): Promise<{ patch: Buffer; files: PatchFile[] }> {
    const target = this.worktreeTarget(worktree);
    // The baseline's own index: its stat data spares re-hashing unchanged files, and it needs no reset.
    const finalTree = await captureWorkingTree({
      target,
      baseTree: worktree.baselineTree,
      seedIndex: baselineIndexOf(worktree),
      seedHoldsBase: true,
    });
    const [patch, files] = await Promise.all([
      diffTrees(target, worktree.baselineTree, finalTree),
      listChangedFiles(target, worktree.baselineTree, finalTree),
    ]);
    this.logger.debug("patch computed", { runId: worktree.runId, bytes: patch.length, files: files.length });
    return { patch, files };
  }

  /** Deletes the run's directory: worktree, the agent's repository and the worker's git dir. Idempotent. */
  async removeWorktree(worktree: PreparedWorktree): Promise<void> {
    await rm(this.runDir(worktree.runId), { recursive: true, force: true });
    this.logger.debug("worktree removed", { runId: worktree.runId, path: worktree.path });
  }

  /**
   * Removes every directory under the worktree root whose run `isAlive` rejects (e.g. left by a crashed worker).
   * `isAlive` must also accept runs whose worktree is still being created. Returns the removed run ids.
   */
  async reapOrphans(isAlive: (runId: string) => boolean): Promise<string[]> {
    const entries = await readdir(this.worktreeRoot, { withFileTypes: true }).catch(() => []);
    const removed: string[] = [];
    for (const entry of entries) {
      if (!entry.isDirectory() || isAlive(entry.name)) continue;
      await rm(join(this.worktreeRoot, entry.name), { recursive: true, force: true });
      removed.push(entry.name);
    }
    if (removed.length > 0) this.logger.info("orphan worktrees reaped", { runIds: removed });
    return removed;
  }

  private mirrorDir(repoId: string): string {
    return join(this.cacheDir, `${repoId}.git`);
  }

  private runDir(runId: string): string {
    assertRunId(runId);
    return join(this.worktreeRoot, runId);
  }

  private worktreeTarget(worktree: PreparedWorktree): GitTarget {
    return { cwd: worktree.path, env: { GIT_DIR: worktree.gitDir, GIT_WORK_TREE: worktree.path } };
  }

  private async withRepoLock<T>(repoId: string, fn: () => Promise<T>): Promise<T> {
    await mkdir(this.cacheDir, { recursive: true });
    const lockDir = join(this.cacheDir, `${repoId}.lock`);
    return repoMutex.run(lockDir, () => withFileLock(lockDir, fn));
  }
}

/** The index of a worktree's baseline tree, in the worker's git dir (never mounted into the sandbox). */
function baselineIndexOf(worktree: PreparedWorktree): string {
  return join(worktree.gitDir, "baseline-index");
}
