import type { ServerReadableStream, ServerUnaryCall, ServerWritableStream, sendUnaryData } from "@grpc/grpc-js";
import type { Context } from "@opentelemetry/api";
import { context } from "@opentelemetry/api";
import { extractTraceContext } from "@pancode/proto";
import type { Logger } from "@pancode/telemetry";
import { type MalformedRequest, requireToken, toServiceError, wellFormed } from "./status.js";

/** What every handler of a service shares: the token it requires and where failures are logged. */
export interface HandlerContext {
  token: string;
  who: "client" | "worker";
  logger: Logger;
}

/** A unary handler: authenticated, well-formed request in, response out; errors mapped in one place. */
export function unary<Req, Res>(
  hc: HandlerContext,
  method: string,
  fn: (request: Req, trace: Context) => Promise<Res>,
): (call: ServerUnaryCall<Req | MalformedRequest, Res>, callback: sendUnaryData<Res>) => void {
  return (call, callback) => {
    const trace = extractTraceContext(call.metadata);
    context
      .with(trace, async () => {
        requireToken(call.metadata, hc.token, hc.who);
        return fn(wellFormed(call.request), trace);
      })
      .then(
        (response) => callback(null, response),
        (err) => callback(toServiceError(err, hc.logger, method)),
      );
  };
}

/** A server-streaming handler; the stream ends when the generator ends, or errors with a mapped status. */
export function serverStream<Req, Res>(
  hc: HandlerContext,
  method: string,
  fn: (request: Req, signal: AbortSignal) => AsyncIterable<Res>,
): (call: ServerWritableStream<Req | MalformedRequest, Res>) => void {
  return (call) => {
    const abort = new AbortController();
    call.on("cancelled", () => abort.abort());
    (async () => {
      requireToken(call.metadata, hc.token, hc.who);
      for await (const item of fn(wellFormed(call.request), abort.signal)) {
        if (abort.signal.aborted) return;
        if (!call.write(item)) await new Promise((resolve) => call.once("drain", resolve));
      }
    })().then(
      () => call.end(),
      (err) => {
        if (!abort.signal.aborted) call.emit("error", toServiceError(err, hc.logger, method));
      },
    );
  };
}

/** A client-streaming handler: the messages arrive as an async iterable of well-formed requests. */
export function clientStream<Req, Res>(
  hc: HandlerContext,
  method: string,
  fn: (messages: AsyncIterable<Req>) => Promise<Res>,
): (call: ServerReadableStream<Req | MalformedRequest, Res>, callback: sendUnaryData<Res>) => void {
  return (call, callback) => {
    async function* messages(): AsyncGenerator<Req> {
      for await (const message of call) yield wellFormed(message as Req | MalformedRequest);
    }
    (async () => {
      requireToken(call.metadata, hc.token, hc.who);
      return fn(messages());
    })().then(
      (response) => callback(null, response),
      // grpc-js discards whatever the client still sends after the status went out.
      (err) => callback(toServiceError(err, hc.logger, method)),
    );
  };
}
