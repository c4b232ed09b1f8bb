import { randomUUID } from "node:crypto";
import { EMPTY_DIGEST, isDigest, PanCodeError } from "@pancode/core";
import type { Database } from "@pancode/db";
import { BlobCheck, type BlobSource, bufferSource, CHUNK_BYTES } from "@pancode/proto";
import { type BlobStore, type FileBlobStore, type IncomingBlob, LEFTOVER_AGE_MS, notStored } from "./blob-store.js";

/**
 * Blobs in Postgres (PANCODE_BLOB_STORE=postgres), so every coordinator replica serves what any of them received.
 * An upload is written as 1 MiB rows while it streams (at most about two chunks in memory) under a fresh upload id;
 * only when its size and digest check out does a `blob_contents` row name it, so a reader never sees half a blob.
 * `file()` copies a blob into a local cache on first use (git reads bundles from files).
 */
export class PostgresBlobStore implements BlobStore {
  constructor(
    private readonly db: Database,
    /** Local copies for {@link file}; verified on the way in like any upload. */
    private readonly cache: FileBlobStore,
  ) {}

  async write(blob: IncomingBlob, chunks: AsyncIterable<Uint8Array>): Promise<void> {
    requireDigest(blob.digest);
    const check = new BlobCheck({
      expectedDigest: blob.digest,
      expectedSize: blob.size,
      maxBytes: blob.maxBytes,
      limitSetting: blob.limitSetting,
    });
    const uploadId = randomUUID();
    let seq = 0;
    let pending: Uint8Array[] = [];
    let pendingBytes = 0;
    const flush = async (): Promise<void> => {
      if (pendingBytes === 0) return;
      await this.db.putBlobChunk(uploadId, seq++, Buffer.concat(pending, pendingBytes));
      pending = [];
      pendingBytes = 0;
    };
    try {
      for await (const chunk of chunks) {
        check.push(chunk);
        pending.push(chunk);
        pendingBytes += chunk.length;
        if (pendingBytes >= CHUNK_BYTES) await flush();
      }
      check.finish();
      await flush();
    } catch (err) {
      await this.db.discardBlobUpload(uploadId).catch(() => undefined);
      throw err;
    }
    await this.db.commitBlobUpload(blob.digest, { uploadId, bytes: blob.size, chunks: seq });
  }

  async put(digest: string, data: Uint8Array): Promise<void> {
    if (await this.has(digest)) return;
    await this.write(
      { digest, size: data.length, maxBytes: data.length, limitSetting: "" },
      bufferSource(data).chunks(),
    );
  }

  async has(digest: string): Promise<boolean> {
    if (digest === EMPTY_DIGEST) return true;
    requireDigest(digest);
    return (await this.db.getBlobContent(digest)) !== undefined;
  }

  async source(digest: string): Promise<BlobSource> {
    if (digest === EMPTY_DIGEST) return bufferSource(Buffer.alloc(0));
    requireDigest(digest);
    const content = await this.db.getBlobContent(digest);
    if (!content) notStored(digest, undefined);
    const db = this.db;
    return {
      digest,
      size: content.bytes,
      // One row at a time: a blob is never whole in memory on the way out.
      async *chunks() {
        for (let seq = 0; seq < content.chunks; seq++) {
          const data = await db.readBlobChunk(content.uploadId, seq);
          if (!data) throw new PanCodeError("INTERNAL", `blob ${digest} lost its chunk ${seq}`);
          yield data;
        }
      },
    };
  }

  async file(digest: string): Promise<string> {
    if (!(await this.cache.has(digest))) {
      const source = await this.source(digest);
      await this.cache.write({ digest, size: source.size, maxBytes: source.size, limitSetting: "" }, source.chunks());
    }
    return this.cache.file(digest);
  }

  async get(digest: string): Promise<Buffer> {
    const source = await this.source(digest);
    const parts: Uint8Array[] = [];
    for await (const chunk of source.chunks()) parts.push(chunk);
    return Buffer.concat(parts);
  }

  async removeLeftovers(now = Date.now()): Promise<number> {
    const rows = await this.db.removeBlobLeftovers(new Date(now - LEFTOVER_AGE_MS));
    return rows + (await this.cache.removeLeftovers(now));
  }
}

function requireDigest(digest: string): void {
  if (!isDigest(digest)) throw new PanCodeError("INVALID_ARGUMENT", `not a sha256 digest: "${digest}"`);
}
