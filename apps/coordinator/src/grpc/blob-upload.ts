import { isDigest, PanCodeError } from "@pancode/core";
import type { UploadBlobRequest } from "@pancode/proto";

/** The setting that raises the size limit of every upload (workspace parts and patches). */
export const UPLOAD_LIMIT_SETTING = "PANCODE_MAX_WORKSPACE_BYTES";

/** One message of an upload stream: a header in the first, bytes in any. */
export interface UploadMessage {
  header: UploadBlobRequest["header"];
  data: Uint8Array;
}

/** An upload whose header was read: what it announces, and its bytes still to come off the wire. */
export interface OpenedUpload<M> {
  first: M;
  header: NonNullable<UploadBlobRequest["header"]>;
  data: AsyncIterable<Uint8Array>;
}

/**
 * Reads the first message of an upload and checks its header (a sha256 digest, a size, one of `kinds`); the bytes
 * of that and every later message are then read only as the consumer of `data` asks for them.
 */
export async function openUpload<M extends UploadMessage>(
  messages: AsyncIterable<M>,
  kinds: ReadonlySet<string>,
): Promise<OpenedUpload<M>> {
  const iterator = messages[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (first.done) throw new PanCodeError("INVALID_ARGUMENT", "upload stream was empty");
  const header = first.value.header;
  if (!header || !isDigest(header.digest) || header.size < 0 || !kinds.has(header.kind)) {
    throw new PanCodeError(
      "INVALID_ARGUMENT",
      `an upload must start with a header naming a sha256 digest, a size and a kind (${[...kinds].join(", ")})`,
    );
  }
  async function* data(): AsyncGenerator<Uint8Array> {
    if (first.value.data.length > 0) yield first.value.data;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      if (next.value.data.length > 0) yield next.value.data;
    }
  }
  return { first: first.value, header, data: data() };
}
