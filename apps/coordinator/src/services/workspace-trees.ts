import { EMPTY_DIGEST, isPanCodeError, PanCodeError } from "@pancode/core";
import type { StateTree, WorkspaceCache } from "@pancode/git";
import type { BlobStore } from "../blob-store.js";

/** Trees kept in memory; each is a map of the repository's paths, so a few dozen cover active repositories. */
const CACHE_ENTRIES = 32;

/** The workspace of a dispatch, as far as its files are concerned. */
export interface WorkspaceFiles {
  repoId: string;
  baseCommit: string;
  bundleDigest: string;
  stateDigest: string;
}

/**
 * The coordinator's view of submitted workspaces for path validation: a bare mirror per repository fed from the
 * uploaded bundles, and the state tree (base commit plus uncommitted patch) listed without a checkout. Listings
 * are cached by repository, commit and state, so repeated dispatches over the same state run git once. Built from
 * the uploaded blobs only: nothing the client says about its files is trusted.
 */
export class WorkspaceTrees {
  private readonly cache = new Map<string, Promise<StateTree>>();

  constructor(
    private readonly deps: { mirrors: WorkspaceCache; blobs: BlobStore },
    private readonly capacity = CACHE_ENTRIES,
  ) {}

  /** The state tree of `ws`; its bundle and state blobs must be in the blob store. */
  load(ws: WorkspaceFiles): Promise<StateTree> {
    const state = ws.stateDigest || EMPTY_DIGEST;
    const key = `${ws.repoId}:${ws.baseCommit}:${state}`;
    const cached = this.cache.get(key);
    if (cached) {
      // Refresh its place: the map's insertion order is the eviction order.
      this.cache.delete(key);
      this.cache.set(key, cached);
      return cached;
    }
    const loading = this.read(ws, state).catch((err: unknown) => {
      // Fail closed: without the tree no symlink can be ruled out, and a worker could not build this state either.
      const why = isPanCodeError(err) ? err.message : String(err);
      throw new PanCodeError(
        "INVALID_ARGUMENT",
        `the workspace (repository ${ws.repoId}, commit ${ws.baseCommit}) could not be read to check the paths the task names: ${why}`,
        { cause: err },
      );
    });
    this.cache.set(key, loading);
    // A failure is not cached: the next dispatch tries again.
    loading.catch(() => this.cache.delete(key));
    while (this.cache.size > this.capacity) {
      const oldest = this.cache.keys().next().value;
      if (oldest === undefined) break;
      this.cache.delete(oldest);
    }
    return loading;
  }

  private async read(ws: WorkspaceFiles, state: string): Promise<StateTree> {
    const { mirrors, blobs } = this.deps;
    if (!(await mirrors.hasCommit(ws.repoId, ws.baseCommit))) {
      // git reads the bundle from the blob's own file: a large history never passes through memory here.
      await mirrors.importBundle(ws.repoId, await blobs.file(ws.bundleDigest));
    }
    const statePatch = state === EMPTY_DIGEST ? Buffer.alloc(0) : await blobs.get(state);
    return mirrors.readStateTree({ repoId: ws.repoId, baseCommit: ws.baseCommit, statePatch });
  }
}
