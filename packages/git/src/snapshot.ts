import { access } from "node:fs/promises";
import { join } from "node:path";
import { type CheckoutHead, readCheckoutHead } from "./checkout-head.js";
import { commitTree, updateRef } from "./commit-objects.js";
import { type GitTarget, git } from "./git-runner.js";
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
  // Paths in the patch are relative to the top level, whatever directory the caller passed.
  const head = await readCheckoutHead(checkout);
  const { repoRoot, baseCommit } = head;
  const target: GitTarget = { cwd: repoRoot };
  // Steps that do not need each other's output run side by side: each is a git process, and `pancode dispatch`
  // waits for their start-up one after another otherwise. The repository id needs only HEAD.
  const [repoId, { stateTree, statePatch }] = await Promise.all([
    rootCommit(target, baseCommit),
    captureState(target, head),
  ]);
  return { repoRoot, repoId, baseCommit, stateTree, statePatch, bytes: statePatch.length };
}

/** The state tree (HEAD + staged + unstaged + untracked), its patch against HEAD, and the ref that keeps it. */
async function captureState(target: GitTarget, head: CheckoutHead) {
  const stateTree = await captureWorkingTree({ target, baseTree: head.headTree, seedIndex: head.indexPath });
  const [statePatch] = await Promise.all([
    diffTrees(target, head.headTree, stateTree),
    keepState(target, head, stateTree),
  ]);
  return { stateTree, statePatch };
}

/** The repository id: the first of its root commits, sorted, so every clone agrees. */
async function rootCommit(target: GitTarget, baseCommit: string): Promise<string> {
  const roots = (await git(target, ["rev-list", "--max-parents=0", baseCommit])).split("\n").filter(Boolean).sort();
  return roots[0] ?? baseCommit;
}

/**
 * Commits the state tree on top of HEAD under `refs/pancode/state/<tree>`, so `git gc` keeps its blobs. A ref of
 * that name already keeps the same tree (ref names are tree ids): dispatching the same state again writes nothing.
 * Only a loose ref is looked for; a packed one is simply written again.
 */
async function keepState(target: GitTarget, head: CheckoutHead, stateTree: string): Promise<void> {
  const ref = `${STATE_REF_PREFIX}${stateTree}`;
  if (await fileExists(join(head.commonDir, ref))) return;
  const stateCommit = await commitTree(target, stateTree, [head.baseCommit], "pancode: submitted working state");
  await updateRef(target, ref, stateCommit);
}

function fileExists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}
