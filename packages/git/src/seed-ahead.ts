import { lstatSync, realpathSync } from "node:fs";
import { dirname, join } from "node:path";
import type { CheckoutHead } from "./checkout-head.js";
import { type SeededIndex, seedIndexAhead } from "./temp-index.js";

/** Where a plain checkout's top level and index are, found from the file system alone. */
interface GuessedLayout {
  repoRoot: string;
  indexPath: string;
}

/**
 * The nearest directory at or above `checkout` with a `.git` directory: a plain checkout's top level, whose index is
 * `.git/index` (git never sees the user's GIT_* variables, see git-env.ts). Undefined for anything else (a linked
 * worktree or submodule has a `.git` file): the snapshot then takes its steps one after another, as the guess is
 * only a head start.
 */
function guessLayout(checkout: string): GuessedLayout | undefined {
  try {
    for (let dir = realpathSync(checkout); ; dir = dirname(dir)) {
      const dotGit = lstatSync(join(dir, ".git"), { throwIfNoEntry: false });
      if (dotGit) return dotGit.isDirectory() ? { repoRoot: dir, indexPath: join(dir, ".git", "index") } : undefined;
      if (dirname(dir) === dir) return undefined;
    }
  } catch {
    return undefined;
  }
}

/** A capture's index seeding started before `git rev-parse` has said where the checkout is (see seedAhead). */
export interface SeedAhead {
  /** The seeded index when the guess matches the checkout `head` describes; otherwise disposes of it. */
  confirm(head: CheckoutHead): Promise<SeededIndex | undefined>;
  /** Disposes of the seeded index (the snapshot failed before it was used). */
  abandon(): Promise<void>;
}

/**
 * Starts seeding the snapshot's throwaway index (copy of the checkout's index, `read-tree --reset HEAD`) beside the
 * `git rev-parse` that finds the checkout, from a guess of where its index is: one git step fewer one after
 * another. The guess is used only when rev-parse confirms both the top level and the index path; otherwise it cost
 * one git process and nothing else. (HEAD is read by each process on its own, as any two steps of a snapshot do.)
 */
export function seedAhead(checkout: string): SeedAhead | undefined {
  const guess = guessLayout(checkout);
  if (guess === undefined) return undefined;
  const seeded = seedIndexAhead({ cwd: guess.repoRoot }, guess.indexPath, "HEAD");
  const dispose = async () => {
    await (await seeded)?.dispose();
  };
  return {
    async confirm(head) {
      const matches = head.repoRoot === guess.repoRoot && head.indexPath === guess.indexPath;
      if (matches) return seeded;
      await dispose();
      return undefined;
    },
    abandon: dispose,
  };
}
