/**
 * @pancode/git: the workspace path of PanCode Cluster, and the only package that runs git.
 *
 * Client side (the developer's checkout): snapshot the exact working state and bundle its history. Worker side:
 * bare mirrors fed by bundles, one worktree per run with that state applied and a repository of its own (HEAD at
 * the developer's HEAD, history read from the mirror), and the run's binary delta patch.
 * Back on the client: a 3-way, all-or-nothing merge of the patch into the working files with a per-file report.
 *
 * ```ts
 * import { createBundle, findRepoRoot, mergePatch, snapshotWorkspace, WorkspaceCache } from "@pancode/git";
 *
 * const snap = await snapshotWorkspace(await findRepoRoot(process.cwd()));
 * const bundle = await createBundle(snap.repoRoot, snap.baseCommit);
 *
 * const cache = new WorkspaceCache({ cacheDir: "/var/lib/pancode/repos", worktreeRoot: "/var/lib/pancode/runs" });
 * if (!(await cache.hasCommit(snap.repoId, snap.baseCommit))) await cache.importBundle(snap.repoId, bundle);
 * const wt = await cache.createWorktree({ ...snap, runId: "run-1" });
 * // ... the agent edits wt.path ...
 * const { patch, files } = await cache.computePatch(wt);
 * await cache.removeWorktree(wt);
 *
 * const report = await mergePatch({ repoRoot: snap.repoRoot, baseTree: snap.stateTree, patch });
 * ```
 */
export { BUNDLE_REF_PREFIX, createBundle, withBundleFile } from "./bundle.js";
export { type MergePatchOptions, mergePatch, type PatchReview } from "./merge-patch.js";
export type { HeldEntry, MergeFileStatus, MergeReport } from "./merge-report.js";
export { findRepoRoot, gitDirOf } from "./repo-root.js";
export { RUN_BRANCH, RUN_GIT_IDENTITY } from "./run-git-dir.js";
export {
  type CapturedWorkspace,
  captureWorkspace,
  STATE_REF_PREFIX,
  snapshotWorkspace,
  type WorkspaceSnapshot,
} from "./snapshot.js";
export type { StateTree, TreeFile } from "./state-tree.js";
export type { EscapingSymlink } from "./symlink-escape.js";
export { type PreparedWorktree, WorkspaceCache, type WorkspaceCacheOptions } from "./workspace-cache.js";
