import { mkdir, readdir, rm, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { PanCodeError, type PatchFile } from "@pancode/core";
import { withFileLock } from "./file-lock.js";
import { type GitTarget, git, gitBytes, objectExists } from "./git-runner.js";
import { assertObjectId, assertRunId } from "./ids.js";
import { KeyedMutex } from "./keyed-mutex.js";
import { type Logger, noopLogger } from "./logger.js";
import { ensureMirror, fetchBundle, mirrorExists, mirrorTarget } from "./mirror.js";
import { readStateTree, type StateTree } from "./state-tree.js";
import { captureWorkingTree } from "./temp-index.js";
import { diffTrees, listChangedFiles } from "./tree-diff.js";

/** Options of {@link WorkspaceCache}. */
export interface WorkspaceCacheOptions {
  /** Holds one bare mirror per repository, `<cacheDir>/<repoId>.git`, shared by all runs (and processes). */
  cacheDir: string;
  /** Parent of the per-run worktrees, `<worktreeRoot>/<runId>`. */
  worktreeRoot: string;
  /** @default a no-op logger */
  logger?: Logger;
}

/** A run's worktree, materialised at the submitter's exact working state. */
export interface PreparedWorktree {
  runId: string;
  repoId: string;
  /** Absolute path of the worktree (what the sandbox mounts). */
  path: string;
  baseCommit: string;
  /** Tree of the worktree right after the submitted state was applied: what `computePatch` diffs against. */
  baselineTree: string;
  /** The worktree's administrative dir inside the mirror. @default `<cacheDir>/<repoId>.git/worktrees/<runId>` */
  gitDir?: string;
}

/** Mirror mutations are serialised per lock dir for every cache instance in this process. */
const repoMutex = new KeyedMutex();

/**
 * The worker side of workspaces: bare mirrors fed by bundles, one detached worktree per run with the submitter's
 * uncommitted state applied, and the run's delta patch. The worker never contacts the developer's machine.
 *
 * Every git command on a worktree runs with an explicit `GIT_DIR`: the worktree's own `.git` file is writable by
 * the agent and must never decide which repository (and config) root-run git commands use.
 */
export class WorkspaceCache {
  private readonly cacheDir: string;
  private readonly worktreeRoot: string;
  private readonly logger: Logger;

  constructor(options: WorkspaceCacheOptions) {
    this.cacheDir = resolve(options.cacheDir);
    this.worktreeRoot = resolve(options.worktreeRoot);
    this.logger = options.logger ?? noopLogger;
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
   * Adds a detached worktree of `baseCommit` at `<worktreeRoot>/<runId>`, applies the submitted state patch and
   * records the baseline tree. An existing worktree of the same run id (a redelivered attempt) is replaced.
   * Throws `NOT_FOUND` when the mirror lacks the commit, `GIT_FAILED` when the patch does not apply.
   */
  async createWorktree(options: {
    repoId: string;
    baseCommit: string;
    statePatch: Buffer;
    /** Applied in order after the state patch (earlier chain steps); the baseline includes them. @default [] */
    basePatches?: readonly Buffer[];
    runId: string;
  }): Promise<PreparedWorktree> {
    const { repoId, baseCommit, statePatch, runId } = options;
    assertObjectId(repoId, "repo id");
    assertObjectId(baseCommit, "base commit");
    assertRunId(runId);
    const mirror = this.mirrorDir(repoId);
    const path = join(this.worktreeRoot, runId);
    const gitDir = join(mirror, "worktrees", runId);
    await this.withRepoLock(repoId, async () => {
      if (!(await this.hasCommit(repoId, baseCommit))) {
        throw new PanCodeError("NOT_FOUND", `commit ${baseCommit} of repo ${repoId} is not in the cache ${mirror}`);
      }
      await mkdir(this.worktreeRoot, { recursive: true });
      await rm(path, { recursive: true, force: true });
      // Prune first, so a leftover admin dir of the same run id cannot make git pick another name for ours.
      await git(mirrorTarget(mirror), ["worktree", "prune"]);
      await git(mirrorTarget(mirror), ["worktree", "add", "--quiet", "--detach", path, baseCommit]);
    });
    const worktree: PreparedWorktree = { runId, repoId, path, baseCommit, baselineTree: "", gitDir };
    try {
      const target = this.worktreeTarget(worktree);
      for (const patch of [statePatch, ...(options.basePatches ?? [])]) {
        if (patch.length > 0)
          await gitBytes(target, ["apply", "--binary", "--whitespace=nowarn", "-"], { input: patch });
      }
      const baseTree = await git(target, ["rev-parse", `${baseCommit}^{tree}`]);
      worktree.baselineTree = await captureWorkingTree({ target, baseTree, seedIndex: join(gitDir, "index") });
    } catch (err) {
      await this.removeWorktree(worktree);
      throw err;
    }
    this.logger.info("worktree created", { runId, repoId, baseCommit, path, stateBytes: statePatch.length });
    return worktree;
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
    const seedIndex = join(this.gitDirOf(worktree), "index");
    const finalTree = await captureWorkingTree({ target, baseTree: worktree.baselineTree, seedIndex });
    const [patch, files] = await Promise.all([
      diffTrees(target, worktree.baselineTree, finalTree),
      listChangedFiles(target, worktree.baselineTree, finalTree),
    ]);
    this.logger.debug("patch computed", { runId: worktree.runId, bytes: patch.length, files: files.length });
    return { patch, files };
  }

  /**
   * Deletes the worktree directory and prunes its registration in the mirror. Idempotent. We delete and prune
   * rather than `git worktree remove`, which would read the agent-writable `.git` file of the worktree.
   */
  async removeWorktree(worktree: PreparedWorktree): Promise<void> {
    await rm(worktree.path, { recursive: true, force: true });
    const mirror = this.mirrorDir(worktree.repoId);
    if (!(await mirrorExists(mirror))) return;
    await this.withRepoLock(worktree.repoId, () => git(mirrorTarget(mirror), ["worktree", "prune"]));
    this.logger.debug("worktree removed", { runId: worktree.runId, path: worktree.path });
  }

  /**
   * Removes every directory under the worktree root whose run `isAlive` rejects (e.g. left by a crashed worker),
   * then prunes all mirrors. `isAlive` must also accept runs whose worktree is still being created. Returns the
   * removed run ids.
   */
  async reapOrphans(isAlive: (runId: string) => boolean): Promise<string[]> {
    const entries = await readdir(this.worktreeRoot).catch(() => [] as string[]);
    const removed: string[] = [];
    for (const runId of entries) {
      if (isAlive(runId)) continue;
      await rm(join(this.worktreeRoot, runId), { recursive: true, force: true });
      removed.push(runId);
    }
    for (const repoId of await this.listMirrors()) {
      await this.withRepoLock(repoId, () => git(mirrorTarget(this.mirrorDir(repoId)), ["worktree", "prune"]));
    }
    if (removed.length > 0) this.logger.info("orphan worktrees reaped", { runIds: removed });
    return removed;
  }

  private mirrorDir(repoId: string): string {
    return join(this.cacheDir, `${repoId}.git`);
  }

  private gitDirOf(worktree: PreparedWorktree): string {
    return worktree.gitDir ?? join(this.mirrorDir(worktree.repoId), "worktrees", worktree.runId);
  }

  private worktreeTarget(worktree: PreparedWorktree): GitTarget {
    return {
      cwd: worktree.path,
      env: { GIT_DIR: this.gitDirOf(worktree), GIT_WORK_TREE: worktree.path },
    };
  }

  private async listMirrors(): Promise<string[]> {
    const names = await readdir(this.cacheDir).catch(() => [] as string[]);
    const ids = names.filter((name) => /^[0-9a-f]{40,64}\.git$/.test(name)).map((name) => name.slice(0, -4));
    const present = await Promise.all(
      ids.map((id) =>
        stat(join(this.mirrorDir(id), "HEAD")).then(
          () => id,
          () => "",
        ),
      ),
    );
    return present.filter(Boolean);
  }

  private async withRepoLock<T>(repoId: string, fn: () => Promise<T>): Promise<T> {
    await mkdir(this.cacheDir, { recursive: true });
    const lockDir = join(this.cacheDir, `${repoId}.lock`);
    return repoMutex.run(lockDir, () => withFileLock(lockDir, fn));
  }
}
