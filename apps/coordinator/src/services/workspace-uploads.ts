import type { Database } from "@pancode/db";
import type { BlobStore, IncomingBlob } from "../blob-store.js";

/** The blob index as client uploads use it: which blobs exist, and which commit each bundle holds. */
export type BlobIndex = Pick<Database, "putBlob" | "findCommit">;

/** The parts of a workspace clients upload (bundles and state), and what the cluster already has of them. */
export class WorkspaceUploads {
  constructor(private readonly deps: { index: BlobIndex; blobs: BlobStore }) {}

  /** Streams a blob into the store, then indexes it under `kind`; nothing is indexed when the bytes are refused. */
  async store(blob: IncomingBlob, kind: string, data: AsyncIterable<Uint8Array>): Promise<void> {
    await this.deps.blobs.write(blob, data);
    await this.deps.index.putBlob(blob.digest, blob.size, kind);
  }

  /** True when a bundle of `commit` of the repository was uploaded and is still stored. */
  async hasCommit(repoId: string, commit: string): Promise<boolean> {
    const known = await this.deps.index.findCommit(repoId, commit);
    return known !== undefined && (await this.deps.blobs.has(known.bundleDigest));
  }
}
