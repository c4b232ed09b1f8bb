import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { DIGEST_PREFIX, sha256Digest } from "@pancode/core/digest";
import { PanCodeError } from "@pancode/core/errors";

/** Size of one streamed chunk. Well under gRPC's 4 MiB default message limit, big enough to keep overhead low. */
export const CHUNK_BYTES = 1024 * 1024;

/**
 * Largest single gRPC message we accept or send (a chunk plus headers); the coordinator refuses bigger ones with
 * INVALID_ARGUMENT before reading them (docs/grpc-statuses.md).
 */
export const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

/** Splits `data` into chunks of at most {@link CHUNK_BYTES} (views of it, not copies). Empty data yields nothing. */
export function* chunksOf(data: Uint8Array): Generator<Uint8Array> {
  for (let offset = 0; offset < data.length; offset += CHUNK_BYTES) {
    yield data.subarray(offset, Math.min(offset + CHUNK_BYTES, data.length));
  }
}

/** What a streamed blob must be, for {@link BlobCheck}. */
export interface BlobCheckOptions {
  /** Digest the assembled content must have (`sha256:<hex>`). */
  expectedDigest: string;
  /** Size announced by the sender; more or fewer bytes is an error. */
  expectedSize: number;
  /** Hard ceiling; a blob announced or streamed above it is refused before it is buffered. */
  maxBytes: number;
  /** The setting that raises {@link maxBytes} (e.g. `PANCODE_MAX_WORKSPACE_BYTES`), named in the refusal. */
  limitSetting?: string;
}

/**
 * Checks one streamed blob as its chunks go by, without keeping them: refuses it as soon as it exceeds its
 * announced size or the ceiling, and checks its sha256 at the end. Memory stays one hash state, whatever the size.
 */
export class BlobCheck {
  private readonly hash = createHash("sha256");
  private received = 0;

  constructor(private readonly options: BlobCheckOptions) {
    if (options.expectedSize > options.maxBytes) {
      const raise = options.limitSetting ? ` (raise ${options.limitSetting} to allow it)` : "";
      throw new PanCodeError(
        "WORKSPACE_TOO_LARGE",
        `blob ${options.expectedDigest} is ${options.expectedSize} bytes, over the limit of ${options.maxBytes} bytes${raise}`,
      );
    }
  }

  /** Bytes seen so far. */
  get size(): number {
    return this.received;
  }

  /** Accounts for one chunk; throws before the chunk is used when it goes past the announced size. */
  push(chunk: Uint8Array): void {
    this.received += chunk.length;
    if (this.received > this.options.expectedSize) {
      throw new PanCodeError(
        "INVALID_ARGUMENT",
        `blob ${this.options.expectedDigest} sent more than its announced ${this.options.expectedSize} bytes`,
      );
    }
    this.hash.update(chunk);
  }

  /** Throws DIGEST_MISMATCH / INVALID_ARGUMENT unless exactly the announced bytes with the announced digest came. */
  finish(): void {
    if (this.received !== this.options.expectedSize) {
      throw new PanCodeError(
        "INVALID_ARGUMENT",
        `blob ${this.options.expectedDigest} ended after ${this.received} of ${this.options.expectedSize} bytes`,
      );
    }
    const actual = DIGEST_PREFIX + this.hash.digest("hex");
    if (actual !== this.options.expectedDigest) {
      throw new PanCodeError(
        "DIGEST_MISMATCH",
        `blob content does not match its digest: announced ${this.options.expectedDigest}, received ${actual}`,
      );
    }
  }
}

/** Largest blob a client or worker downloads (a patch or a workspace part). */
export const MAX_BLOB_BYTES = 1024 * 1024 * 1024;

/** One message of a download stream: the first names the digest and size of the whole blob. */
export interface DownloadChunk {
  data: Uint8Array;
  digest: string;
  size: number;
}

/** What a download stream announces in its first message. */
export interface AnnouncedBlob {
  digest: string;
  size: number;
}

/**
 * The bytes of a download stream, chunk by chunk, checked as they pass: throws (from the iteration) when they exceed
 * the announced size or `maxBytes`, and at the end when they do not hash to the announced digest. A consumer writing
 * them somewhere must keep the result only when the iteration finished.
 */
export async function* verifiedChunks(
  chunks: AsyncIterable<DownloadChunk>,
  maxBytes: number,
): AsyncGenerator<Uint8Array> {
  let check: BlobCheck | undefined;
  for await (const chunk of chunks) {
    check ??= new BlobCheck({ expectedDigest: chunk.digest, expectedSize: chunk.size, maxBytes });
    if (chunk.data.length === 0) continue;
    check.push(chunk.data);
    yield chunk.data;
  }
  if (!check) throw new PanCodeError("INVALID_ARGUMENT", "download stream ended without any chunk");
  check.finish();
}

/**
 * Reads a download stream whose first chunk names the digest and size, and returns the verified content.
 * Throws DIGEST_MISMATCH when the bytes do not hash to the announced digest.
 */
export async function collectBlob(chunks: AsyncIterable<DownloadChunk>, maxBytes: number): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const data of verifiedChunks(chunks, maxBytes)) parts.push(data);
  return Buffer.concat(parts);
}

/**
 * The messages of a download stream of `blob`, read from `chunks` as the receiver takes them: the first carries
 * digest and size (and no bytes when the blob is empty).
 */
export async function* downloadChunks(
  blob: AnnouncedBlob,
  chunks: AsyncIterable<Uint8Array>,
): AsyncGenerator<{ data: Uint8Array; digest: string; size: number }> {
  let first = true;
  for await (const data of chunks) {
    if (data.length === 0) continue;
    yield first ? { data, digest: blob.digest, size: blob.size } : { data, digest: "", size: 0 };
    first = false;
  }
  if (first) yield { data: Buffer.alloc(0), digest: blob.digest, size: 0 };
}

/** `data` as a Buffer sharing its memory (the generated messages type bytes as Buffer). */
export function asBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** A blob to upload without holding it: its digest and size, known up front, and its bytes, read on demand. */
export interface BlobSource {
  digest: string;
  size: number;
  chunks(): AsyncIterable<Uint8Array>;
}

/** A file as a {@link BlobSource}: read once to hash it, then again chunk by chunk as the upload takes it. */
export async function fileSource(path: string): Promise<BlobSource> {
  const hash = createHash("sha256");
  let size = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: CHUNK_BYTES })) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return {
    digest: DIGEST_PREFIX + hash.digest("hex"),
    size,
    chunks: () => createReadStream(path, { highWaterMark: CHUNK_BYTES }),
  };
}

/** A blob already in memory as a {@link BlobSource} (chunks are views, not copies). */
export function bufferSource(data: Uint8Array): BlobSource {
  return {
    digest: sha256Digest(data),
    size: data.length,
    async *chunks() {
      yield* chunksOf(data);
    },
  };
}
