import { EventEmitter } from "node:events";
import { Metadata, type ServiceError, type sendUnaryData } from "@grpc/grpc-js";
import type { PanCodeError } from "@pancode/core";
import { AUTHORIZATION_HEADER, ClientServiceService, fromGrpcError } from "@pancode/proto";
import type { Implementation } from "./status.js";

type Definition = typeof ClientServiceService;
type Method = keyof Definition;
type UnaryMethod = {
  [K in Method]: Definition[K]["requestStream"] | Definition[K]["responseStream"] extends false ? K : never;
}[Method];
type StreamMethod = {
  [K in Method]: Definition[K]["requestStream"] extends false
    ? Definition[K]["responseStream"] extends true
      ? K
      : never
    : never;
}[Method];
type RequestOf<K extends Method> = ReturnType<Definition[K]["requestDeserialize"]>;
type ResponseOf<K extends Method> = ReturnType<Definition[K]["responseDeserialize"]>;

/**
 * Calls the client service's own handlers in-process, as a caller presenting `token`: authentication, the role
 * table, validation and error mapping are exactly the gRPC service's. Requests and answers go through the wire
 * codec, so callers see what a gRPC client sees (defaults filled in); failures arrive as PanCodeErrors.
 */
export interface InProcessClient {
  unary<K extends UnaryMethod>(method: K, request: RequestOf<K>, token: string): Promise<ResponseOf<K>>;
  stream<K extends StreamMethod>(
    method: K,
    request: RequestOf<K>,
    token: string,
    signal: AbortSignal,
  ): AsyncGenerator<ResponseOf<K>>;
}

/** Where failures of in-process calls say they came from (the gRPC client names the address it dialled). */
const IN_PROCESS = "in-process";

interface Codec {
  requestSerialize(value: unknown): Buffer;
  requestDeserialize(bytes: Buffer): unknown;
  responseSerialize(value: unknown): Buffer;
  responseDeserialize(bytes: Buffer): unknown;
}

function codecOf(method: string): Codec {
  return (ClientServiceService as unknown as Record<string, Codec>)[method] as Codec;
}

function metadataFor(token: string): Metadata {
  const metadata = new Metadata();
  if (token) metadata.set(AUTHORIZATION_HEADER, `Bearer ${token}`);
  return metadata;
}

/** A status the handler sent, as the PanCodeError a gRPC client would have raised. */
function asPanCodeError(status: Partial<ServiceError>): PanCodeError {
  const err = Object.assign(new Error(status.details ?? ""), {
    code: status.code ?? 13,
    details: status.details ?? "",
    metadata: status.metadata ?? new Metadata(),
  });
  return fromGrpcError(err, IN_PROCESS);
}

/** Items a streaming handler may buffer ahead of a slow reader before it waits for "drain". */
const STREAM_HIGH_WATER = 64;

/** Builds an {@link InProcessClient} over the ClientService implementation. */
export function inProcessClient(service: Implementation): InProcessClient {
  const handlers = service as unknown as Record<string, (...args: unknown[]) => void>;
  return {
    unary(method, request, token) {
      const codec = codecOf(method);
      const call = {
        metadata: metadataFor(token),
        request: codec.requestDeserialize(codec.requestSerialize(request)),
      };
      return new Promise((resolve, reject) => {
        const callback: sendUnaryData<unknown> = (err, value) => {
          if (err) reject(asPanCodeError(err));
          else resolve(codec.responseDeserialize(codec.responseSerialize(value)) as never);
        };
        handlers[method]?.(call, callback);
      });
    },
    stream(method, request, token, signal) {
      const codec = codecOf(method);
      return readStream(
        (call) => handlers[method]?.(call),
        codec,
        { metadata: metadataFor(token), request: codec.requestDeserialize(codec.requestSerialize(request)) },
        signal,
      ) as never;
    },
  };
}

/** Drives a server-streaming handler with a stand-in call object and yields what it writes. */
async function* readStream(
  start: (call: EventEmitter) => void,
  codec: Codec,
  init: { metadata: Metadata; request: unknown },
  signal: AbortSignal,
): AsyncGenerator<unknown> {
  const queue: unknown[] = [];
  let ended = false;
  let failure: PanCodeError | undefined;
  let wake: (() => void) | undefined;
  const notify = (): void => {
    wake?.();
    wake = undefined;
  };
  const call = Object.assign(new EventEmitter(), init, {
    write(item: unknown): boolean {
      queue.push(codec.responseDeserialize(codec.responseSerialize(item)));
      notify();
      return queue.length < STREAM_HIGH_WATER;
    },
    end(): void {
      ended = true;
      notify();
    },
  });
  call.on("error", (status: Partial<ServiceError>) => {
    failure = asPanCodeError(status);
    notify();
  });
  const cancel = (): void => {
    call.emit("cancelled");
    notify();
  };
  signal.addEventListener("abort", cancel, { once: true });
  start(call);
  try {
    while (!signal.aborted) {
      if (queue.length > 0) {
        yield queue.shift();
        if (queue.length === 0) call.emit("drain");
        continue;
      }
      if (failure) throw failure;
      if (ended) return;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  } finally {
    signal.removeEventListener("abort", cancel);
    // A reader that stops early (client went away) cancels the handler, as a dropped gRPC stream does.
    if (!ended && !failure) call.emit("cancelled");
  }
}
