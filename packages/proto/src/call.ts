import type { CallOptions, ClientReadableStream, ClientWritableStream, Metadata, ServiceError } from "@grpc/grpc-js";
import type { PanCodeError } from "@pancode/core/errors";
import { fromGrpcError } from "./errors.js";

/** How each call of a client is made: where to, with which metadata, and how long it may take. */
export interface CallContext {
  address: string;
  /** Fresh metadata for one call (bearer token plus trace context). */
  metadata(): Metadata;
  /**
   * Deadline of unary calls, in milliseconds.
   * @default 30_000
   */
  deadlineMs: number;
}

type UnaryInvoker<Req, Res> = (
  request: Req,
  metadata: Metadata,
  options: Partial<CallOptions>,
  callback: (error: ServiceError | null, response: Res) => void,
) => unknown;

/** Makes one unary call with a deadline; failures become {@link PanCodeError}s naming the address. */
export function unaryCall<Req, Res>(ctx: CallContext, invoke: UnaryInvoker<Req, Res>, request: Req): Promise<Res> {
  return new Promise((resolve, reject) => {
    invoke(request, ctx.metadata(), { deadline: Date.now() + ctx.deadlineMs }, (error, response) => {
      if (error) reject(fromGrpcError(error, ctx.address));
      else resolve(response);
    });
  });
}

type UploadInvoker<Req, Res> = (
  metadata: Metadata,
  options: Partial<CallOptions>,
  callback: (error: ServiceError | null, response: Res) => void,
) => ClientWritableStream<Req>;

/**
 * Streams `messages` to a client-streaming method, respecting backpressure: the next message is produced only when
 * the call can take it, so a large blob read from disk is never held whole. Uploads get a generous deadline
 * proportional to nothing but patience: large workspaces on slow links must still arrive.
 */
export function uploadCall<Req, Res>(
  ctx: CallContext,
  invoke: UploadInvoker<Req, Res>,
  messages: Iterable<Req> | AsyncIterable<Req>,
  deadlineMs = 10 * 60_000,
): Promise<Res> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const call = invoke(ctx.metadata(), { deadline: Date.now() + deadlineMs }, (error, response) => {
      answered = true;
      if (error) reject(fromGrpcError(error, ctx.address));
      else resolve(response);
    });
    (async () => {
      for await (const message of messages) {
        // The server already answered (a refusal mid-stream): stop reading the source.
        if (answered) return;
        if (!call.write(message)) await drainedOrAnswered(call);
      }
      call.end();
    })().catch((err: unknown) => {
      // The source failed (a file that vanished): abort the call so the server keeps nothing.
      call.cancel();
      reject(err);
    });
  });
}

/** Resolves when the call can take more, or when it has its answer (it will then never drain). */
function drainedOrAnswered<Req>(call: ClientWritableStream<Req>): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      call.off("drain", done);
      call.off("status", done);
      resolve();
    };
    call.on("drain", done);
    call.on("status", done);
  });
}

/**
 * Iterates a server stream, turning a failed stream into a {@link PanCodeError}. Cancelling via `signal` ends the
 * iteration quietly.
 */
export async function* readStream<Res>(
  ctx: CallContext,
  stream: ClientReadableStream<Res>,
  signal?: AbortSignal,
): AsyncGenerator<Res> {
  const onAbort = (): void => stream.cancel();
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    for await (const message of stream) yield message as Res;
  } catch (err) {
    if (signal?.aborted) return;
    throw fromGrpcError(err, ctx.address);
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
}
