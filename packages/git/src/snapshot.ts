import { access, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { captureAhead } from "./capture-ahead.js";
import { type CheckoutHead, readCheckoutHead } from "./checkout-head.js";
import { commitTree, updateRef } from "./commit-objects.js";
import { type GitTarget, git } from "./git-runner.js";
import { captureWorkingState } from "./temp-index.js";

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
  const { snapshot, stateKept } = await captureWorkspace(checkout);
  await stateKept;
  return snapshot;
}

/** A snapshot as soon as its tree and patch are known, and the ref that keeps its blobs as it is being written. */
export interface CapturedWorkspace {
  snapshot: WorkspaceSnapshot;
  /** Settles once `refs/pancode/state/<tree>` exists (rejects when it could not be written): await it. */
  stateKept: Promise<void>;
}

/**
 * {@link snapshotWorkspace} without waiting for the state ref: `pancode dispatch` uploads the state while git writes
 * the ref (two git processes when the state is new), and awaits `stateKept` before it dispatches.
 */
export async function captureWorkspace(checkout: string): Promise<CapturedWorkspace> {
  // One shell chain finds the checkout and captures its state; only when it fails are the steps taken one by one,
  // for the exact error. Paths in the patch are relative to the top level, whatever directory the caller passed.
  const ahead = await captureAhead(checkout);
  const head = ahead?.head ?? (await readCheckoutHead(checkout));
  const { repoRoot, baseCommit } = head;
  const target: GitTarget = { cwd: repoRoot };
  // Steps that do not need each other's output run side by side: each is a git process, and `pancode dispatch`
  // waits for their start-up one after another otherwise. The repository id needs only HEAD.
  const [repoId, { stateTree, statePatch }] = await Promise.all([
    repositoryId(target, head),
    ahead ?? captureWorkingState({ target, baseTree: head.headTree, seedIndex: head.indexPath }),
  ]);
  const stateKept = keepState(target, head, stateTree);
  // Awaited by the caller; until then a failure must not count as unhandled.
  stateKept.catch(() => {});
  return {
    snapshot: { repoRoot, repoId, baseCommit, stateTree, statePatch, bytes: statePatch.length },
    stateKept,
  };
}

/**
 * The repository id: the first of HEAD's root commits, sorted, so every clone agrees. A commit's roots never change,
 * so the answer for the last HEAD is kept in the git directory (`pancode-repo-id`) and a dispatch from the same
 * HEAD spares the `rev-list` over its history.
 */
async function repositoryId(target: GitTarget, head: CheckoutHead): Promise<string> {
  const file = join(head.commonDir, REPO_ID_FILE);
  const [commit, id] = (await readFile(file, "utf8").catch(() => "")).trim().split(" ");
  if (commit === head.baseCommit && id && /^[0-9a-f]{40,64}$/.test(id)) return id;
  const roots = (await git(target, ["rev-list", "--max-parents=0", head.baseCommit])).split("\n").filter(Boolean);
  const repoId = roots.sort()[0] ?? head.baseCommit;
  await writeFileAtomically(file, `${head.baseCommit} ${repoId}\n`).catch(() => {});
  return repoId;
}

/** Where {@link repositoryId} keeps its last answer, in the repository's common git directory. */
const REPO_ID_FILE = "pancode-repo-id";

async function writeFileAtomically(path: string, text: string): Promise<void> {
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, text);
  await rename(temp, path);
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
