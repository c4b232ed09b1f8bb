import { type GitTarget, git } from "./git-runner.js";

/**
 * Writes a commit object for `tree` with the given parents and returns its id. Identity and dates are fixed (see
 * git-env.ts), so the same inputs always give the same id. Neither HEAD nor any branch moves.
 */
export function commitTree(target: GitTarget, tree: string, parents: readonly string[], message: string) {
  const parentArgs = parents.flatMap((parent) => ["-p", parent]);
  return git(target, ["commit-tree", tree, ...parentArgs, "-m", message]);
}

/** Points `ref` at `commit` (creating it if needed). Used only for refs under `refs/pancode/`. */
export async function updateRef(target: GitTarget, ref: string, commit: string): Promise<void> {
  await git(target, ["update-ref", ref, commit]);
}
