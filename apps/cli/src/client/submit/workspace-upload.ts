import { EMPTY_DIGEST, PanCodeError } from "@pancode/core";
import { findRepoRoot, snapshotWorkspace, type WorkspaceSnapshot, withBundleFile } from "@pancode/git";
import { type ClientApi, fileSource } from "@pancode/proto";

/** Largest uncommitted state the CLI sends before asking the user to commit or ignore files (matches the server). */
const DEFAULT_MAX_WORKSPACE_BYTES = 512 * 1024 * 1024;

/** A workspace as sent: its reference for DispatchRequest, and the snapshot (merge-back needs its state tree). */
export interface UploadedWorkspace {
  snapshot: WorkspaceSnapshot;
  ref: { repoId: string; baseCommit: string; bundleDigest: string; stateDigest: string; stateTree: string };
}

/**
 * Snapshots the developer's exact working state (HEAD + staged + unstaged + untracked) and uploads what the
 * coordinator lacks: the history bundle only when it does not have the base commit yet, and the uncommitted delta.
 */
export async function uploadWorkspace(
  api: ClientApi,
  cwd: string,
  maxBytes = DEFAULT_MAX_WORKSPACE_BYTES,
): Promise<UploadedWorkspace> {
  const snapshot = await snapshotWorkspace(await findRepoRoot(cwd));
  if (snapshot.statePatch.length > maxBytes) {
    throw new PanCodeError(
      "WORKSPACE_TOO_LARGE",
      `uncommitted changes are ${snapshot.statePatch.length} bytes, over the limit of ${maxBytes}; commit them or add large files to .gitignore`,
    );
  }
  let bundleDigest = "";
  if (!(await api.hasCommit(snapshot.repoId, snapshot.baseCommit))) {
    // Streamed from git's bundle file: a large history is never held whole in the CLI's memory.
    bundleDigest = await withBundleFile(snapshot.repoRoot, snapshot.baseCommit, async (file) => {
      const bundle = await fileSource(file);
      if (bundle.size > maxBytes) {
        throw new PanCodeError(
          "WORKSPACE_TOO_LARGE",
          `repository history bundle is ${bundle.size} bytes, over the limit of ${maxBytes} (PANCODE_MAX_WORKSPACE_BYTES)`,
        );
      }
      return (await api.uploadBlobFrom("bundle", bundle)).digest;
    });
  }
  const stateDigest =
    snapshot.statePatch.length === 0 ? EMPTY_DIGEST : (await api.uploadBlob("state", snapshot.statePatch)).digest;
  return {
    snapshot,
    ref: {
      repoId: snapshot.repoId,
      baseCommit: snapshot.baseCommit,
      bundleDigest,
      stateDigest,
      stateTree: snapshot.stateTree,
    },
  };
}
