import { resolve } from "node:path";
import { PanCodeError } from "@pancode/core/errors";
import { type GitTarget, git, gitBytes } from "./git-runner.js";
import { findRepoRoot } from "./repo-root.js";

/** Where a checkout is and what HEAD is in it: what a snapshot needs before it reads any file. */
export interface CheckoutHead {
  /** The top level of the checkout (symlinks resolved). */
  repoRoot: string;
  /** HEAD as a full commit id. */
  baseCommit: string;
  /** HEAD's tree. */
  headTree: string;
  /** The checkout's own index file (absolute): a seed for the snapshot's throwaway index. */
  indexPath: string;
  /** The repository's common git directory (absolute), where refs live (shared by all worktrees). */
  commonDir: string;
}

/**
 * The one `rev-parse` that finds a checkout and its HEAD: top level, index, common git dir, HEAD and its tree, a line
 * each (also run by the snapshot's shell chain, capture-ahead.ts).
 */
export const HEAD_QUERY = [
  "rev-parse",
  "--show-toplevel",
  "--path-format=absolute",
  "--git-path",
  "index",
  "--git-common-dir",
  "HEAD^{commit}",
  "HEAD^{tree}",
] as const;

/**
 * Finds the checkout containing `checkout` and its HEAD with one `git rev-parse`, as `pancode dispatch` waits for
 * every git process it starts one after another. Any failure (not a checkout, a foreign owner, no commit yet, a git
 * older than 2.31) takes the step-by-step path, which says exactly what is wrong.
 */
export async function readCheckoutHead(checkout: string): Promise<CheckoutHead> {
  const res = await gitBytes({ cwd: checkout }, HEAD_QUERY, {
    okExitCodes: [0, 1, 128, 129],
  }).catch(() => undefined);
  const lines = res?.exitCode === 0 ? res.stdout.toString("utf8").split("\n") : [];
  const [repoRoot = "", indexPath = "", commonDir = "", baseCommit = "", headTree = ""] = lines;
  if (lines.length >= 5 && [repoRoot, indexPath, commonDir, baseCommit, headTree].every((line) => line !== "")) {
    return { repoRoot, baseCommit, headTree, indexPath, commonDir };
  }
  return readCheckoutHeadStepByStep(checkout);
}

async function readCheckoutHeadStepByStep(checkout: string): Promise<CheckoutHead> {
  const repoRoot = await findRepoRoot(checkout);
  const target: GitTarget = { cwd: repoRoot };
  const baseCommit = await resolveHead(target, repoRoot);
  const [headTree = "", indexPath = "", commonDir = ""] = (
    await git(target, ["rev-parse", `${baseCommit}^{tree}`, "--git-path", "index", "--git-common-dir"])
  ).split("\n");
  return {
    repoRoot,
    baseCommit,
    headTree,
    indexPath: resolve(repoRoot, indexPath),
    commonDir: resolve(repoRoot, commonDir),
  };
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
