import { StringDecoder } from "node:string_decoder";
import type { LoggerPort } from "@pancode/core";
import type { SandboxHooks } from "./container-runtime.js";

/** Which output stream a chunk belongs to. */
export type OutputStream = "stdout" | "stderr";

/**
 * Turns raw output chunks into UTF-8 text for {@link SandboxHooks.onOutput}. One decoder per stream keeps an
 * incomplete multi-byte sequence at a chunk boundary until its remaining bytes arrive.
 */
export class OutputDecoder {
  readonly #decoders = { stdout: new StringDecoder("utf8"), stderr: new StringDecoder("utf8") };

  constructor(
    private readonly hooks: SandboxHooks,
    private readonly logger: LoggerPort,
    private readonly runId: string,
  ) {}

  /** Decodes `chunk` of `stream` and forwards any complete text. */
  write(stream: OutputStream, chunk: Buffer): void {
    this.#emit(stream, this.#decoders[stream].write(chunk));
  }

  /** Flushes what is left (an incomplete trailing sequence becomes U+FFFD). Call once, when output has ended. */
  end(): void {
    this.#emit("stdout", this.#decoders.stdout.end());
    this.#emit("stderr", this.#decoders.stderr.end());
  }

  #emit(stream: OutputStream, text: string): void {
    if (text.length === 0) return;
    try {
      this.hooks.onOutput(stream, text);
    } catch (err) {
      // A consumer bug (e.g. a closed log sink) must not kill the agent run or leak the container.
      this.logger.warn("output hook threw", { runId: this.runId, err: String(err) });
    }
  }
}
