import type { OutputStream } from "../output-decoder.js";

/** Size of the frame header Docker puts before every payload of a non-TTY attach/logs stream. */
const HEADER_BYTES = 8;

/**
 * Splits Docker's multiplexed stream (non-TTY attach/logs) into per-stream payloads. Each frame is an 8-byte
 * header (byte 0: 1 = stdout, 2 = stderr; bytes 4-7: big-endian payload size) followed by the payload. Frames
 * arrive split and merged arbitrarily across socket chunks, so partial frames are buffered until complete.
 */
export class DockerStreamDemuxer {
  #pending: Buffer = Buffer.alloc(0);

  constructor(private readonly onFrame: (stream: OutputStream, payload: Buffer) => void) {}

  /** Feeds one chunk read from the attach stream. */
  push(chunk: Buffer): void {
    let buf = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    while (buf.length >= HEADER_BYTES) {
      const size = buf.readUInt32BE(4);
      if (buf.length < HEADER_BYTES + size) break;
      const type = buf[0];
      const payload = buf.subarray(HEADER_BYTES, HEADER_BYTES + size);
      // Type 0 (stdin) never carries output; 3 is the engine's own error text for the exec, show it as stderr.
      if (type === 1) this.onFrame("stdout", payload);
      else if (type === 2 || type === 3) this.onFrame("stderr", payload);
      buf = buf.subarray(HEADER_BYTES + size);
    }
    // Copy the remainder so the (possibly large) chunk it came from can be garbage-collected.
    this.#pending = Buffer.from(buf);
  }

  /** Bytes of an incomplete frame still buffered; non-zero after the stream ended means truncated output. */
  get pendingBytes(): number {
    return this.#pending.length;
  }
}
