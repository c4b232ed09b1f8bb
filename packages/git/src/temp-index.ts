import { copyFile, mkdtemp, rm, stat, utimes } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type GitTarget, git, withEnv } from "./git-runner.js";
import { diffTreeToIndex } from "./tree-diff.js";

/**
 * Runs `fn` with the path of a fresh index file in a private temp dir, removed afterwards. Every tree this package
 * computes goes through such an index, so the user's real `.git/index` (their staging area) is never written.
 */
export async function withTempIndex<T>(fn: (indexFile: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "pancode-index-"));
  try {
    return await fn(join(dir, "index"));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Inputs of {@link captureWorkingTree}. */
export interface CaptureTreeOptions {
  /** The checkout or worktree whose files are captured (cwd = its root). */
  target: GitTarget;
  /** The tree the index starts from (HEAD's tree, or a run's baseline); a commit names its tree. */
  baseTree: string;
  /**
   * An existing index of the same work tree whose cached file stats may be reused, so unchanged files are not
   * re-hashed. It is only copied, never written. Optional: without it every file is hashed.
   */
  seedIndex?: string;
  /**
   * The seed holds exactly `baseTree` (it was written for it: the checkout of it, or the capture that produced it),
   * so the copy is used as it is, without the `read-tree` that would reset it to `baseTree` (one git process less).
   */
  seedHoldsBase?: boolean;
  /** Where the index of the captured tree is left, for a later capture to seed from. @default a throwaway one */
  keepIndexAt?: string;
}

/**
 * Writes the tree of everything in the work tree that git would track after `git add -A` on top of `baseTree`:
 * staged, unstaged and untracked files, minus ignored ones. Blobs land in the object database; the index used
 * is a throwaway copy unless `keepIndexAt` says where to keep it. Returns the tree id.
 */
export function captureWorkingTree(options: CaptureTreeOptions): Promise<string> {
  if (options.keepIndexAt !== undefined) return captureWith(options, options.keepIndexAt);
  return withTempIndex((indexFile) => captureWith(options, indexFile));
}

async function captureWith(options: CaptureTreeOptions, indexFile: string): Promise<string> {
  const target = await addAll(options, indexFile);
  return git(target, ["write-tree"]);
}

/**
 * {@link captureWorkingTree} plus the binary patch from `baseTree` to the captured tree (empty when equal): the
 * patch is read from the index by a `diff-index` that runs beside the `write-tree`, one git start-up saved.
 */
export async function captureWorkingState(
  options: Omit<CaptureTreeOptions, "keepIndexAt">,
): Promise<{ stateTree: string; statePatch: Buffer }> {
  return withTempIndex(async (indexFile) => {
    const target = await addAll(options, indexFile);
    const [stateTree, statePatch] = await Promise.all([
      git(target, ["write-tree"]),
      diffTreeToIndex(target, options.baseTree),
    ]);
    return { stateTree, statePatch };
  });
}

/** Fills `indexFile` with `baseTree` plus everything `git add -A` sees; returns the target that uses that index. */
async function addAll(options: CaptureTreeOptions, indexFile: string): Promise<GitTarget> {
  const { baseTree, seedIndex } = options;
  const target = withEnv(options.target, { GIT_INDEX_FILE: indexFile });
  const resetTo = options.seedHoldsBase ? undefined : baseTree;
  const seeded = seedIndex !== undefined && (await seedFromIndex(target, seedIndex, indexFile, resetTo));
  if (!seeded) await git(target, ["read-tree", baseTree]);
  await git(target, ["add", "-A"]);
  return target;
}

/**
 * Copies `seedIndex` and, given `resetTo`, resets its content to that tree with `read-tree --reset`, which keeps
 * the stat data of entries whose content matches. Returns false (leaving no file behind) when the seed is missing
 * or unusable, e.g. an index with unresolved merge conflicts.
 */
async function seedFromIndex(target: GitTarget, seedIndex: string, indexFile: string, resetTo: string | undefined) {
  try {
    const seedStat = await stat(seedIndex);
    await copyFile(seedIndex, indexFile);
    // Keep the original mtime: git's racy-clean detection compares file mtimes against the index's own mtime, and a
    // fresh mtime on the copy would make recently modified files look clean.
    await utimes(indexFile, seedStat.atime, seedStat.mtime);
    // --reset, not -m: -m refuses ("not uptodate") as soon as a tracked file differs from the seed, which is the
    // normal case after an agent edited files, and the fallback then re-hashes every file of the repository.
    if (resetTo !== undefined) await git(target, ["read-tree", "--reset", resetTo]);
    return true;
  } catch (_err) {
    // A missing or conflicted seed only costs speed: fall back to hashing every file from a plain read-tree.
    await rm(indexFile, { force: true });
    return false;
  }
}
