import { lstatSync, realpathSync } from "node:fs";
import { dirname, join } from "node:path";
import { type CapturedAhead, captureAhead } from "./capture-ahead.js";
import type { CheckoutHead } from "./checkout-head.js";

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

/** A capture started before `git rev-parse` has said where the checkout is (see seedAhead). */
export interface SeedAhead {
  /** The capture, when the guess and the HEAD it read match the checkout `head` describes. */
  confirm(head: CheckoutHead): Promise<CapturedAhead | undefined>;
}

/**
 * Starts the whole capture of the working state (seeded throwaway index, `add -A`, `write-tree`, the patch; one
 * shell chain, see capture-ahead.ts) beside the `git rev-parse` that finds the checkout, from a guess of where its
 * index is, so no git step of the snapshot waits for Node. The capture is used only when rev-parse confirms the top
 * level, the index path, HEAD and its tree; otherwise it cost some git processes and nothing else.
 */
export function seedAhead(checkout: string): SeedAhead | undefined {
  const guess = guessLayout(checkout);
  if (guess === undefined) return undefined;
  const captured = captureAhead(guess.repoRoot, guess.indexPath);
  return {
    async confirm(head) {
      const layout = head.repoRoot === guess.repoRoot && head.indexPath === guess.indexPath;
      const state = await captured;
      const sameHead = state?.baseCommit === head.baseCommit && state.baseTree === head.headTree;
      return layout && sameHead ? state : undefined;
    },
  };
}
