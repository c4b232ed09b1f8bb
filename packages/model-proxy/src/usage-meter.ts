import { StringDecoder } from "node:string_decoder";
import type { ProxyApi, TokenCounts } from "./types.js";
import { usageReaders } from "./usage-extract.js";

/** A non-streamed body larger than this is passed through but not parsed (no real usage document is this big). */
const MAX_PARSED_BODY_BYTES = 32 * 1024 * 1024;

/**
 * Reads token usage from a copy of the response bytes as they pass, without holding the response back: SSE bodies
 * are parsed event by event, other bodies once complete (a JSON object, or Gemini's JSON array of chunks).
 */
export class UsageMeter {
  readonly counts: TokenCounts = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 };
  /** True once a usage document was found. */
  sawUsage = false;
  private readonly decoder = new StringDecoder("utf8");
  private pending = "";
  private bodyBytes = 0;
  private tooBig = false;
  private readonly read;

  constructor(
    api: ProxyApi,
    private readonly sse: boolean,
  ) {
    this.read = usageReaders[api];
  }

  /** Feeds the next chunk of the response body. Never throws: a body it cannot read is simply not metered. */
  write(chunk: Buffer): void {
    if (this.sse) {
      this.pending += this.decoder.write(chunk);
      this.drainEvents();
      // An event that never ends is not a usage event; do not let it grow without bound.
      if (this.pending.length > MAX_PARSED_BODY_BYTES) this.pending = "";
      return;
    }
    this.bodyBytes += chunk.length;
    if (this.bodyBytes > MAX_PARSED_BODY_BYTES) this.tooBig = true;
    if (!this.tooBig) this.pending += this.decoder.write(chunk);
  }

  /** Call once the body is complete (or broke off): reads what is left. */
  end(): void {
    this.pending += this.decoder.end();
    if (this.sse) {
      this.pending += "\n\n";
      this.drainEvents();
      return;
    }
    if (this.tooBig) return;
    const doc = parseJson(this.pending);
    this.pending = "";
    for (const item of Array.isArray(doc) ? doc : [doc]) this.fold(item);
  }

  private drainEvents(): void {
    const events = this.pending.replaceAll("\r\n", "\n").split("\n\n");
    this.pending = events.pop() ?? "";
    for (const event of events) {
      const data = event
        .split("\n")
        .filter((line) => line.startsWith("data:"))
        .map((line) => line.slice(5).replace(/^ /, ""))
        .join("\n");
      if (data !== "" && data !== "[DONE]") this.fold(parseJson(data));
    }
  }

  private fold(doc: unknown): void {
    if (typeof doc !== "object" || doc === null || Array.isArray(doc)) return;
    if (this.read(doc as Record<string, unknown>, this.counts)) this.sawUsage = true;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
