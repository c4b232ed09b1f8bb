import { createHash } from "node:crypto";
import { DIGEST_PREFIX } from "@pancode/core/digest";
import { PanCodeError } from "@pancode/core/errors";

/** Size of one streamed chunk. Well under gRPC's 4 MiB default message limit, big enough to keep overhead low. */
export const CHUNK_BYTES = 1024 * 1024;

/** Largest single gRPC message we accept or send (a chunk plus headers); anything bigger is refused by grpc-js. */
export const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

/** Splits `data` into chunks of at most {@link CHUNK_BYTES}. An empty buffer yields nothing. */
export function* chunksOf(data: Uint8Array): Generator<Buffer> {
  for (let offset = 0; offset < data.length; offset += CHUNK_BYTES) {
    yield Buffer.from(data.subarray(offset, Math.min(offset + CHUNK_BYTES, data.length)));
  }
}

/** Options for {@link BlobAssembler}. */
export interface BlobAssemblerOptions {
  /** Digest the assembled content must have (`sha256:<hex>`). */
  expectedDigest: string;
  /** Size announced by the sender; more or fewer bytes is an error. */
  expectedSize: number;
  /** Hard ceiling; a blob announced or streamed above it is refused before it is buffered. */
  maxBytes: number;
}

/**
 * Collects the chunks of one streamed blob, refusing it as soon as it exceeds its announced size or the ceiling,
 * and checking its sha256 at the end. Nothing is handed out unless the digest matches.
 */
export class BlobAssembler {
  private readonly parts: Buffer[] = [];
  private readonly hash = createHash("sha256");
  private received = 0;

  constructor(private readonly options: BlobAssemblerOptions) {
    if (options.expectedSize > options.maxBytes) {
      throw new PanCodeError(
        "WORKSPACE_TOO_LARGE",
        `blob ${options.expectedDigest} is ${options.expectedSize} bytes, over the limit of ${options.maxBytes} bytes`,
      );
    }
  }

  /** Adds one chunk. */
  push(chunk: Uint8Array): void {
    this.received += chunk.length;
    if (this.received > this.options.expectedSize) {
      throw new PanCodeError(
        "INVALID_ARGUMENT",
        `blob ${this.options.expectedDigest} sent more than its announced ${this.options.expectedSize} bytes`,
      );
    }
    this.hash.update(chunk);
    this.parts.push(Buffer.from(chunk));
  }

  /** Returns the complete content, or throws DIGEST_MISMATCH / INVALID_ARGUMENT. */
  finish(): Buffer {
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
    return Buffer.concat(this.parts, this.received);
  }
}

/** Largest blob a client or worker downloads (a patch or a workspace part). */
export const MAX_BLOB_BYTES = 1024 * 1024 * 1024;

/**
 * Reads a download stream whose first chunk names the digest and size, and returns the verified content.
 * Throws DIGEST_MISMATCH when the bytes do not hash to the announced digest.
 */
export async function collectBlob(
  chunks: AsyncIterable<{ data: Uint8Array; digest: string; size: number }>,
  maxBytes: number,
): Promise<Buffer> {
  let assembler: BlobAssembler | undefined;
  for await (const chunk of chunks) {
    assembler ??= new BlobAssembler({ expectedDigest: chunk.digest, expectedSize: chunk.size, maxBytes });
    if (chunk.data.length > 0) assembler.push(chunk.data);
  }
  if (!assembler) throw new PanCodeError("INVALID_ARGUMENT", "download stream ended without any chunk");
  return assembler.finish();
}

/** The messages of a download stream for `data`: the first carries digest and size (and maybe no bytes). */
export function* downloadChunks(
  data: Uint8Array,
  digest: string,
): Generator<{ data: Buffer; digest: string; size: number }> {
  let first = true;
  for (const chunk of chunksOf(data)) {
    yield first ? { data: chunk, digest, size: data.length } : { data: chunk, digest: "", size: 0 };
    first = false;
  }
  if (first) yield { data: Buffer.alloc(0), digest, size: 0 };
}
