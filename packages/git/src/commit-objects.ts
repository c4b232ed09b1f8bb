import { type GitTarget, git } from "./git-runner.js";

/**
 * Writes a commit object for `tree` with the given parents and returns its id. Identity and dates are fixed (see
 * git-env.ts), so the same inputs always give the same id. Neither HEAD nor any branch moves.
 */
export function commitTree(target: GitTarget, tree: string, parents: readonly string[], message: string) {
  const parentArgs = parents.flatMap((parent) => ["-p", parent]);
  return git(target, ["commit-tree", tree, ...parentArgs, "-m", message]);
}

/** Tries before a contended ref update gives up, and the pause before each retry (ms, growing). */
const REF_LOCK_TRIES = 6;
const REF_LOCK_PAUSE_MS = 25;

/**
 * Points `ref` at `commit` (creating it if needed). Used only for refs under `refs/pancode/`, whose names are
 * content hashes: several dispatches from one checkout at once write the same ref with the same commit, and git
 * refuses all but the one holding `<ref>.lock`. The others wait for that writer and succeed once the ref holds the
 * commit they wanted.
 */
export async function updateRef(target: GitTarget, ref: string, commit: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await git(target, ["update-ref", ref, commit]);
      return;
    } catch (err) {
      if (!/cannot lock ref/.test((err as Error).message) || attempt >= REF_LOCK_TRIES) throw err;
      if ((await currentValue(target, ref)) === commit) return;
      await new Promise((resolve) => setTimeout(resolve, REF_LOCK_PAUSE_MS * attempt));
    }
  }
}

async function currentValue(target: GitTarget, ref: string): Promise<string> {
  try {
    return (await git(target, ["rev-parse", "--verify", "--quiet", ref])).trim();
  } catch {
    return "";
  }
}
