import { EMPTY_DIGEST } from "@pancode/core/digest";
import { PanCodeError } from "@pancode/core/errors";
import { type CapturedWorkspace, captureWorkspace, type WorkspaceSnapshot, withBundleFile } from "@pancode/git";
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
  options: { maxBytes?: number; snapshot?: Promise<CapturedWorkspace> } = {},
): Promise<UploadedWorkspace> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_WORKSPACE_BYTES;
  // The connection comes up while git takes the snapshot, not after it.
  api.preconnect();
  const { snapshot, stateKept } = await (options.snapshot ?? captureWorkspace(cwd));
  if (snapshot.statePatch.length > maxBytes) {
    throw new PanCodeError(
      "WORKSPACE_TOO_LARGE",
      `uncommitted changes are ${snapshot.statePatch.length} bytes, over the limit of ${maxBytes}; commit them or add large files to .gitignore`,
    );
  }
  // The history check (and bundle upload) and the state upload do not depend on each other: one round trip, not two;
  // git writes the ref that keeps the state's blobs meanwhile.
  const [bundleDigest, stateDigest] = await Promise.all([
    uploadHistory(api, snapshot, maxBytes),
    snapshot.statePatch.length === 0
      ? EMPTY_DIGEST
      : api.uploadBlob("state", snapshot.statePatch).then((blob) => blob.digest),
    stateKept,
  ]);
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

/** Uploads the history bundle when the coordinator lacks the base commit; returns its digest, or "" when not sent. */
async function uploadHistory(api: ClientApi, snapshot: WorkspaceSnapshot, maxBytes: number): Promise<string> {
  if (await api.hasCommit(snapshot.repoId, snapshot.baseCommit)) return "";
  // Streamed from git's bundle file: a large history is never held whole in the CLI's memory.
  return withBundleFile(snapshot.repoRoot, snapshot.baseCommit, async (file) => {
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
