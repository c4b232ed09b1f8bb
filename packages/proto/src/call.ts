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
 * Streams `messages` to a client-streaming method, respecting backpressure. Uploads get a generous deadline
 * proportional to nothing but patience: large workspaces on slow links must still arrive.
 */
export function uploadCall<Req, Res>(
  ctx: CallContext,
  invoke: UploadInvoker<Req, Res>,
  messages: Iterable<Req>,
  deadlineMs = 10 * 60_000,
): Promise<Res> {
  return new Promise((resolve, reject) => {
    const call = invoke(ctx.metadata(), { deadline: Date.now() + deadlineMs }, (error, response) => {
      if (error) reject(fromGrpcError(error, ctx.address));
      else resolve(response);
    });
    const iterator = messages[Symbol.iterator]();
    const pump = (): void => {
      for (;;) {
        const next = iterator.next();
        if (next.done) {
          call.end();
          return;
        }
        if (!call.write(next.value)) {
          call.once("drain", pump);
          return;
        }
      }
    };
    pump();
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
