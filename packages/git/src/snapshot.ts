import { resolve } from "node:path";
import { PanCodeError } from "@pancode/core/errors";
import { commitTree, updateRef } from "./commit-objects.js";
import { type GitTarget, git, gitBytes } from "./git-runner.js";
import { findRepoRoot } from "./repo-root.js";
import { captureWorkingTree } from "./temp-index.js";
import { diffTrees } from "./tree-diff.js";

/** Everything a worker needs to rebuild the developer's exact working state, computed in the developer's checkout. */
export interface WorkspaceSnapshot {
  /** The checkout root the snapshot was taken from. */
  repoRoot: string;
  /** Stable repository id: the sha of the first root commit (sorted), the same on every clone. */
  repoId: string;
  /** HEAD at snapshot time (40 hex). */
  baseCommit: string;
  /** Tree of HEAD + staged + unstaged + untracked (not ignored) files: the merge base of merge-back. */
  stateTree: string;
  /** `HEAD^{tree}` -> `stateTree` as a binary-safe patch; empty when the checkout is clean. */
  statePatch: Buffer;
  /** Size of the uncommitted state in bytes (the patch length), for size limits. */
  bytes: number;
}

/** Ref namespace that keeps each submitted state (and so its blobs) reachable, safe from `git gc`. */
export const STATE_REF_PREFIX = "refs/pancode/state/";

/**
 * Captures the working state of the checkout at `repoRoot` without touching its index, HEAD or files. The blobs of
 * uncommitted files are written to the object database and kept reachable through `refs/pancode/state/<tree>`,
 * because merge-back later needs them as its 3-way base.
 *
 * `checkout` may be any directory of the checkout; `repoRoot` in the result is its top level. Throws
 * `NOT_A_GIT_REPO` outside a checkout or when the repository has no commit yet.
 */
export async function snapshotWorkspace(checkout: string): Promise<WorkspaceSnapshot> {
  // Normalise to the top level: paths in the patch are relative to it, whatever directory the caller passed.
  const repoRoot = await findRepoRoot(checkout);
  const target: GitTarget = { cwd: repoRoot };
  const baseCommit = await resolveHead(target, repoRoot);
  // Steps that do not need each other's output run side by side: each is a git process, and `pancode dispatch`
  // waits for their start-up one after another otherwise.
  const [repoId, [headTree = "", indexPath = ""]] = await Promise.all([
    rootCommit(target, baseCommit),
    git(target, ["rev-parse", `${baseCommit}^{tree}`, "--git-path", "index"]).then((out) => out.split("\n")),
  ]);
  const stateTree = await captureWorkingTree({ target, baseTree: headTree, seedIndex: resolve(repoRoot, indexPath) });
  const [statePatch] = await Promise.all([
    diffTrees(target, headTree, stateTree),
    keepState(target, baseCommit, stateTree),
  ]);
  return { repoRoot, repoId, baseCommit, stateTree, statePatch, bytes: statePatch.length };
}

/** The repository id: the first of its root commits, sorted, so every clone agrees. */
async function rootCommit(target: GitTarget, baseCommit: string): Promise<string> {
  const roots = (await git(target, ["rev-list", "--max-parents=0", baseCommit])).split("\n").filter(Boolean).sort();
  return roots[0] ?? baseCommit;
}

/** Commits the state tree on top of HEAD under `refs/pancode/state/<tree>`, so `git gc` keeps its blobs. */
async function keepState(target: GitTarget, baseCommit: string, stateTree: string): Promise<void> {
  const stateCommit = await commitTree(target, stateTree, [baseCommit], "pancode: submitted working state");
  await updateRef(target, `${STATE_REF_PREFIX}${stateTree}`, stateCommit);
}

/** HEAD as a full commit id, or `NOT_A_GIT_REPO` when the branch is unborn (no commit yet). */
export async function resolveHead(target: GitTarget, repoRoot: string): Promise<string> {
  const res = await gitBytes(target, ["rev-parse", "--verify", "--quiet", "HEAD^{commit}"], {
    okExitCodes: [0, 1, 128],
  });
  const head = res.stdout.toString("utf8").trim();
  if (res.exitCode !== 0 || head === "") {
    throw new PanCodeError(
      "NOT_A_GIT_REPO",
      `git repository ${repoRoot} has no commits yet; commit once before dispatching`,
    );
  }
  return head;
}
