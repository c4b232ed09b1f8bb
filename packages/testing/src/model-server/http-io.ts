import type { IncomingMessage, ServerResponse } from "node:http";
import { promisify } from "node:util";
import { brotliDecompress, gunzip, inflate } from "node:zlib";
import { PanCodeError } from "@pancode/core";
import type { RecordedRequest } from "./recorded-request.js";
import type { Scenario } from "./scenario.js";

/** Agents send whole conversations; 32 MiB is far above any real request and still bounds memory. */
const MAX_BODY_BYTES = 32 * 1024 * 1024;

const decoders: Record<string, (input: Buffer) => Promise<Buffer>> = {
  gzip: promisify(gunzip),
  deflate: promisify(inflate),
  br: promisify(brotliDecompress),
};

/** One request being answered: what API handlers receive from the router. */
export interface Exchange {
  res: ServerResponse;
  url: URL;
  /** The parsed JSON body (an object; the router answers 400 for anything else on POST routes). */
  body: Record<string, unknown>;
  /** The live record in `ModelServer.requests`; handlers fill it in before answering. */
  record: RecordedRequest;
  /** Aborted when the client goes away or the server stops; ends delays early. */
  signal: AbortSignal;
  /** The scenario serving `model`, or undefined when none is registered for it. */
  scenarioFor(model: string): Scenario | undefined;
  /** Model ids to list in the models endpoints. */
  modelIds: string[];
}

/** A request body that could not be used, with the HTTP status to answer. */
export interface BodyProblem {
  status: number;
  message: string;
}

/**
 * Reads and decompresses a request body and parses it as JSON. Resolves to the value, or to a {@link BodyProblem}
 * (413 too large, 415 unknown encoding, 400 malformed JSON) for the caller to answer in the provider's error shape.
 */
export async function readJsonBody(req: IncomingMessage): Promise<{ value: unknown } | BodyProblem> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return { status: 413, message: `request body exceeds ${MAX_BODY_BYTES} bytes` };
    chunks.push(chunk as Buffer);
  }
  let raw: Buffer = Buffer.concat(chunks);
  const encoding = (req.headers["content-encoding"] ?? "identity").toLowerCase();
  if (encoding !== "identity") {
    const decode = decoders[encoding];
    if (!decode) return { status: 415, message: `unsupported content-encoding: ${encoding}` };
    try {
      raw = await decode(raw);
    } catch (_err) {
      return { status: 400, message: `request body is not valid ${encoding}` };
    }
  }
  if (raw.length === 0) return { value: undefined };
  try {
    return { value: JSON.parse(raw.toString("utf8")) };
  } catch (err) {
    return { status: 400, message: `malformed JSON body: ${err instanceof Error ? err.message : String(err)}` };
  }
}

/** Answers with a JSON document and records the status. */
export function sendJson(ex: Pick<Exchange, "res" | "record">, status: number, body: unknown): void {
  ex.record.status = status;
  const text = JSON.stringify(body);
  ex.res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  ex.res.end(text);
}

/** Resolves after `ms`, or at once when `signal` aborts (the caller checks `signal.aborted`). */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

/** Throws when the exchange was aborted, so a handler stops writing to a client that left. */
export function assertOpen(signal: AbortSignal): void {
  if (signal.aborted) throw new PanCodeError("UNAVAILABLE", "model server: client went away or server stopped");
}

/**
 * Writes a `text/event-stream` response. Every event after the first waits `chunkDelayMs`, so scenarios control
 * the pace of streamed chunks.
 */
export class SseWriter {
  private sent = 0;

  constructor(
    private readonly ex: Pick<Exchange, "res" | "record" | "signal">,
    private readonly chunkDelayMs: number,
  ) {
    ex.record.status = 200;
    ex.res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      connection: "keep-alive",
    });
    // Clients (and their timeouts) should see the headers at once, before the first event.
    ex.res.flushHeaders();
  }

  /** Sends `data: <json>` (preceded by `event: <name>` when given). */
  async event(data: unknown, name?: string): Promise<void> {
    await this.write(`${name ? `event: ${name}\n` : ""}data: ${JSON.stringify(data)}\n\n`);
  }

  /** Sends a literal `data:` payload, e.g. OpenAI's `[DONE]`. */
  async raw(data: string): Promise<void> {
    await this.write(`data: ${data}\n\n`);
  }

  /** Ends the response. */
  end(): void {
    this.ex.res.end();
  }

  private async write(frame: string): Promise<void> {
    if (this.sent > 0) await sleep(this.chunkDelayMs, this.ex.signal);
    assertOpen(this.ex.signal);
    this.sent += 1;
    this.ex.res.write(frame);
  }
}
