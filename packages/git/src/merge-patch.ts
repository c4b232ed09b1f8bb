import { resolve } from "node:path";
import type { PatchFile } from "@pancode/core";
import { PanCodeError } from "@pancode/core/errors";
import { resolveHead } from "./checkout-head.js";
import { type GitTarget, git, gitBytes, objectExists, withEnv } from "./git-runner.js";
import { buildMergeReport, type HeldEntry, type MergeReport } from "./merge-report.js";
import { mergeTrees, type TreeMerge } from "./merge-tree.js";
import { findRepoRoot } from "./repo-root.js";
import { type EscapingSymlink, findEscapingSymlinks } from "./symlink-escape.js";
import { captureWorkingTree, withTempIndex } from "./temp-index.js";
import { diffTrees, listChangedFiles, listChangedPaths } from "./tree-diff.js";
import { changedSymlinks, readSymlinks, revertPaths } from "./tree-symlinks.js";

/** What a patch would change, for a caller that decides whether it may be merged without review. */
export interface PatchReview {
  /** Files of the patch (base tree -> run result). */
  files: readonly PatchFile[];
  /** Symlinks the patch adds or changes: path -> target. */
  symlinks: ReadonlyMap<string, string>;
  /** Symlinks of the patch that would lead out of the working tree (never created, whatever the review says). */
  escapingSymlinks: readonly EscapingSymlink[];
}

/** Inputs of {@link mergePatch}. */
export interface MergePatchOptions {
  /** The developer's checkout (its top level is used when a subdirectory is given). */
  repoRoot: string;
  /** The tree the patch was computed against: the snapshot's `stateTree`. */
  baseTree: string;
  /**
   * The run's binary patch (`computePatch` output), or several applied in order, each relative to the result of the
   * ones before it (the steps of a chain): they are merged as one change.
   */
  patch: Buffer | readonly Buffer[];
  /**
   * Called once the patch's changes are known, before anything is merged: entries it returns hold the whole patch
   * back (outcome "held", nothing written). Absent: nothing is held back.
   */
  review?: (review: PatchReview) => readonly HeldEntry[];
}

/**
 * Merges a run's patch into the developer's working files, 3-way and all-or-nothing.
 *
 * R = `baseTree` + patch and C = the current working state (HEAD + staged + unstaged + untracked) are merged with
 * base `baseTree`. A clean merge M is written to the working files by applying C -> M with `git apply` (never
 * `--index`: the user's staging area is left alone). With any conflict nothing is written and every file of the
 * patch is reported. Outcome "empty" for an empty patch, without touching anything.
 *
 * A symlink of the patch whose target leaves the working tree (absolute, climbing above the root, into `.git`, or
 * through other links) is never created: the merge keeps the working state at that path and reports it "skipped".
 * Every file is written by `git apply`, which refuses to write beyond a symbolic link.
 *
 * Throws `NOT_FOUND` when `baseTree` is not in the repository, `GIT_FAILED` when the patch does not apply to it.
 */
export async function mergePatch(options: MergePatchOptions): Promise<MergeReport> {
  const { baseTree } = options;
  const patches = (Buffer.isBuffer(options.patch) ? [options.patch] : options.patch).filter((p) => p.length > 0);
  if (patches.length === 0) return { outcome: "empty", files: [] };
  // git apply resolves patch paths against its cwd, so it must run at the top level, never in a subdirectory.
  const repoRoot = await findRepoRoot(options.repoRoot);
  const target: GitTarget = { cwd: repoRoot };
  if (!(await objectExists(target, baseTree, "tree"))) {
    throw new PanCodeError("NOT_FOUND", `base tree ${baseTree} not found in repository ${repoRoot}`);
  }
  let resultTree = baseTree;
  for (const patch of patches) resultTree = await applyToTree(target, resultTree, patch);
  const patchFiles = await listChangedFiles(target, baseTree, resultTree);
  if (patchFiles.length === 0) return { outcome: "empty", files: [] };

  const review = await reviewPatch(target, baseTree, resultTree, patchFiles);
  const held = options.review?.(review) ?? [];
  if (held.length > 0) {
    return {
      ...buildMergeReport({ patchFiles, userChanged: new Set(), conflicts: new Map() }),
      outcome: "held",
      held: [...held],
    };
  }
  const skipped = review.escapingSymlinks.map((link) => link.path);
  resultTree = await revertPaths(target, resultTree, baseTree, skipped);

  const head = await resolveHead(target, repoRoot);
  const seedIndex = resolve(repoRoot, await git(target, ["rev-parse", "--git-path", "index"]));
  const headTree = await git(target, ["rev-parse", `${head}^{tree}`]);
  const currentTree = await captureWorkingTree({ target, baseTree: headTree, seedIndex });
  const userChanged = await listChangedPaths(target, baseTree, currentTree);

  // Nothing changed on the user's side since submission: the result is simply R, no merge needed.
  const merge: TreeMerge =
    currentTree === baseTree
      ? { tree: resultTree, conflicts: new Map() }
      : await mergeTrees(target, { base: baseTree, ours: currentTree, theirs: resultTree });
  if (merge.conflicts.size > 0) {
    return withSkipped(buildMergeReport({ patchFiles, userChanged, conflicts: merge.conflicts }), review);
  }
  const applied = await applyToWorkingFiles(target, currentTree, merge.tree);
  if (applied !== undefined) {
    // git apply refused (files changed since C was captured, or an ignored file sits where the patch adds one).
    // It checks everything before writing, so nothing was written: report it like a conflict and keep the patch.
    const conflicts = new Map(patchFiles.map((file) => [file.path, `working files changed during merge: ${applied}`]));
    return withSkipped(buildMergeReport({ patchFiles, userChanged, conflicts }), review);
  }
  return withSkipped(buildMergeReport({ patchFiles, userChanged, conflicts: new Map() }), review);
}

/**
 * The symlinks the patch adds or changes, and which of them would lead out of the working tree. Only a changed
 * link can be to blame, so without one the tree's other links are not even read.
 */
async function reviewPatch(
  target: GitTarget,
  baseTree: string,
  resultTree: string,
  files: readonly PatchFile[],
): Promise<PatchReview> {
  const changedLinks = await changedSymlinks(target, baseTree, resultTree);
  if (changedLinks.length === 0) return { files, symlinks: new Map(), escapingSymlinks: [] };
  const links = await readSymlinks(target, resultTree);
  const changed = new Set(changedLinks);
  const symlinks = new Map([...links].filter(([path]) => changed.has(path)));
  return { files, symlinks, escapingSymlinks: findEscapingSymlinks(links, changed) };
}

/** Marks the symlinks that were never created as "skipped", with the reason. */
function withSkipped(report: MergeReport, review: PatchReview): MergeReport {
  const escaping = new Map(review.escapingSymlinks.map((link) => [link.path, link.reason]));
  if (escaping.size === 0) return report;
  const files = report.files.map((file) => {
    const reason = escaping.get(file.path);
    return reason === undefined
      ? file
      : { path: file.path, status: "skipped" as const, detail: `${reason}; never created` };
  });
  return { ...report, files };
}

/** R: `baseTree` with the patch applied, computed in a temp index (`git apply --cached --binary`). */
async function applyToTree(target: GitTarget, baseTree: string, patch: Buffer): Promise<string> {
  return withTempIndex(async (indexFile) => {
    const indexed = withEnv(target, { GIT_INDEX_FILE: indexFile });
    await git(indexed, ["read-tree", baseTree]);
    const res = await gitBytes(indexed, ["apply", "--cached", "--binary", "--whitespace=nowarn", "-"], {
      input: patch,
      okExitCodes: [0, 1, 128],
    });
    if (res.exitCode !== 0) {
      throw new PanCodeError("GIT_FAILED", `patch does not apply to its base tree ${baseTree}: ${res.stderr.trim()}`);
    }
    return git(indexed, ["write-tree"]);
  });
}

/**
 * Writes `to` over the working files, which are at `from`. `git apply` verifies every hunk before writing any, so
 * it either applies fully or not at all. Returns undefined on success, git's message when it refused.
 */
async function applyToWorkingFiles(target: GitTarget, from: string, to: string): Promise<string | undefined> {
  const diff = await diffTrees(target, from, to);
  if (diff.length === 0) return undefined;
  const res = await gitBytes(target, ["apply", "--binary", "--whitespace=nowarn", "-"], {
    input: diff,
    okExitCodes: [0, 1, 128],
  });
  return res.exitCode === 0 ? undefined : res.stderr.trim() || `git apply exited ${res.exitCode}`;
}
