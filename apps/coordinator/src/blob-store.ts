import { randomUUID } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, open, readdir, readFile, rename, rm, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { EMPTY_DIGEST, isDigest, PanCodeError } from "@pancode/core";
import { BlobCheck, type BlobSource, bufferSource, CHUNK_BYTES } from "@pancode/proto";

/** A blob about to be received: what the sender announced, and the ceiling it must stay under. */
export interface IncomingBlob {
  digest: string;
  size: number;
  maxBytes: number;
  /** The setting that raises `maxBytes`, named when a blob is refused for its size. */
  limitSetting: string;
}

/** Temp files older than this at startup belong to no live upload (an upload's deadline is 10 minutes). */
export const LEFTOVER_AGE_MS = 60 * 60_000;

/**
 * Where the coordinator keeps blobs (workspaces, patches, logs), content-addressed by sha256. Every store checks an
 * upload against its announced size, digest and ceiling while it streams, never holds a blob whole in memory on the
 * way in or out (except {@link BlobStore.get}), and lets nobody read half a blob.
 */
export interface BlobStore {
  /** Streams `chunks` in; on any failure nothing is stored and the error is rethrown. */
  write(blob: IncomingBlob, chunks: AsyncIterable<Uint8Array>): Promise<void>;
  /** Stores content already in memory under its digest (idempotent; checked like any upload). */
  put(digest: string, data: Uint8Array): Promise<void>;
  /** True when the blob is stored. The empty blob always exists. */
  has(digest: string): Promise<boolean>;
  /** A stored blob to stream; NOT_FOUND otherwise. */
  source(digest: string): Promise<BlobSource>;
  /** A local file with the blob's bytes, for tools that read files (git bundle import); NOT_FOUND otherwise. */
  file(digest: string): Promise<string>;
  /** The content of a stored blob, whole; NOT_FOUND otherwise. Only for blobs that must be in memory anyway. */
  get(digest: string): Promise<Buffer>;
  /** Removes what crashed uploads left behind; returns how many pieces. */
  removeLeftovers(now?: number): Promise<number>;
}

/**
 * Content-addressed files on the coordinator's disk: `<root>/sha256/<2 hex>/<64 hex>`. Blobs arrive chunk by chunk
 * into a temp file under `<root>/incoming/` (same filesystem, so the final rename is atomic) while their sha256 is
 * computed; only a blob whose size and digest check out is renamed into place. A reader never sees half a blob, a
 * refused or aborted upload leaves nothing, and no blob is ever held whole in memory on the way in or out.
 */
export class FileBlobStore implements BlobStore {
  constructor(private readonly root: string) {}

  private pathOf(digest: string): string {
    if (!isDigest(digest)) throw new PanCodeError("INVALID_ARGUMENT", `not a sha256 digest: "${digest}"`);
    const hex = digest.slice("sha256:".length);
    return join(this.root, "sha256", hex.slice(0, 2), hex);
  }

  private get incomingDir(): string {
    return join(this.root, "incoming");
  }

  /**
   * Writes `chunks` to a temp file as they arrive, refusing the blob the moment it passes its announced size or the
   * ceiling, and renames it into place only when all announced bytes came with the announced digest. On any failure
   * (including the sender going away mid-stream) the temp file is removed and the error rethrown.
   */
  async write(blob: IncomingBlob, chunks: AsyncIterable<Uint8Array>): Promise<void> {
    const check = new BlobCheck({
      expectedDigest: blob.digest,
      expectedSize: blob.size,
      maxBytes: blob.maxBytes,
      limitSetting: blob.limitSetting,
    });
    const path = this.pathOf(blob.digest);
    // Owner-only: workspaces and patches are the submitters' code.
    await mkdir(this.incomingDir, { recursive: true, mode: 0o700 });
    const tmp = join(this.incomingDir, `${randomUUID()}.part`);
    const file = await open(tmp, "wx", 0o600);
    try {
      for await (const chunk of chunks) {
        check.push(chunk);
        await file.write(chunk);
      }
      check.finish();
      // On disk before it has a name: a crash after the rename must not leave a short file under a valid digest.
      await file.sync();
      await file.close();
      await mkdir(dirname(path), { recursive: true, mode: 0o700 });
      await rename(tmp, path);
    } finally {
      await file.close().catch(() => undefined);
      await rm(tmp, { force: true });
    }
  }

  /** Stores content already in memory under its digest (idempotent; checked like any upload). */
  async put(digest: string, data: Uint8Array): Promise<void> {
    if (await this.has(digest)) return;
    await this.write(
      { digest, size: data.length, maxBytes: data.length, limitSetting: "" },
      bufferSource(data).chunks(),
    );
  }

  /** True when the blob is stored. The empty blob always exists. */
  async has(digest: string): Promise<boolean> {
    if (digest === EMPTY_DIGEST) return true;
    try {
      await stat(this.pathOf(digest));
      return true;
    } catch (_err) {
      // Missing file: not stored.
      return false;
    }
  }

  /** A stored blob to stream: its size and its bytes, read from disk chunk by chunk; NOT_FOUND otherwise. */
  async source(digest: string): Promise<BlobSource> {
    if (digest === EMPTY_DIGEST) return bufferSource(Buffer.alloc(0));
    const path = this.pathOf(digest);
    const size = (await stat(path).catch((err) => notStored(digest, err))).size;
    return { digest, size, chunks: () => createReadStream(path, { highWaterMark: CHUNK_BYTES }) };
  }

  /** The file of a stored blob, for tools that read files (git bundle import); NOT_FOUND otherwise. */
  async file(digest: string): Promise<string> {
    const path = this.pathOf(digest);
    await stat(path).catch((err) => notStored(digest, err));
    return path;
  }

  /** The content of a stored blob, whole; NOT_FOUND otherwise. Only for blobs that must be in memory anyway. */
  async get(digest: string): Promise<Buffer> {
    if (digest === EMPTY_DIGEST) return Buffer.alloc(0);
    return readFile(this.pathOf(digest)).catch((err) => notStored(digest, err));
  }

  /** Removes temp files a crashed coordinator left behind (old enough to belong to no live upload). */
  async removeLeftovers(now = Date.now()): Promise<number> {
    const names = await readdir(this.incomingDir).catch(() => [] as string[]);
    let removed = 0;
    for (const name of names) {
      const path = join(this.incomingDir, name);
      const info = await stat(path).catch(() => undefined);
      if (info && now - info.mtimeMs > LEFTOVER_AGE_MS) {
        await rm(path, { force: true });
        removed++;
      }
    }
    return removed;
  }
}

export function notStored(digest: string, cause: unknown): never {
  throw new PanCodeError("NOT_FOUND", `blob ${digest} is not stored on the coordinator`, { cause });
}
