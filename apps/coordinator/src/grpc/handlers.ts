import type {
  Metadata,
  ServerReadableStream,
  ServerUnaryCall,
  ServerWritableStream,
  sendUnaryData,
} from "@grpc/grpc-js";
import type { Context } from "@opentelemetry/api";
import { context } from "@opentelemetry/api";
import { bearerToken, extractTraceContext, WORKER_SESSION_HEADER } from "@pancode/proto";
import type { Logger } from "@pancode/telemetry";
import type { ApiRole } from "../services/api-tokens.js";
import { requireRole } from "./roles.js";
import { type MalformedRequest, requireToken, toServiceError, wellFormed } from "./status.js";

/** What every handler of a service shares: the token it requires and where failures are logged. */
export interface HandlerContext {
  /** The one shared token of the service (worker service); unused when `users` is set. */
  token: string;
  who: "client" | "worker";
  logger: Logger;
  /** Methods that also accept a live run's token (nested dispatch), and how such a token is checked. */
  runTokens?: RunTokenAuth;
  /** Client service: each person's token, looked up by hash; the method's role is then checked (roles.ts). */
  users?: UserAuth;
  /** Worker service: every method but `exempt` also needs the calling worker's session token. */
  workerSessions?: WorkerSessionAuth;
}

/** Checks the session token a worker got from Register. */
interface WorkerSessionAuth {
  /** Methods called before there is a session (RegisterChallenge, Register). */
  exempt: ReadonlySet<string>;
  /** The worker id of a current session; UNAUTHENTICATED otherwise. */
  verify(token: string): Promise<string>;
}

/** Checks a person's client token. */
export interface UserAuth {
  /** The person; UNAUTHENTICATED for an unknown, revoked or expired token. */
  verify(token: string): Promise<{ name: string; role: ApiRole; team: string | null }>;
}

/** Checks run tokens for the methods a run may call. */
export interface RunTokenAuth {
  methods: ReadonlySet<string>;
  /** True when the bearer token has the shape of a run token. */
  looksLike(token: string): boolean;
  /** The live run the token belongs to; UNAUTHENTICATED otherwise. */
  verify(token: string): Promise<string>;
}

/**
 * Who made a request: a person with their client token, the service's own principal (worker token), a live run
 * with its run token, or a worker proven by its session.
 */
export type Caller =
  | { kind: "user"; name: string; role: ApiRole; team: string | null }
  | { kind: "token" }
  | { kind: "run"; runId: string }
  | { kind: "worker"; workerId: string };

/** The name audit entries and records carry for a caller: the person's name, or `run:<id>` for a run token. */
export function actorOf(caller: Caller): string {
  switch (caller.kind) {
    case "user":
      return caller.name;
    case "run":
      return `run:${caller.runId}`;
    case "worker":
      return caller.workerId;
    default:
      return "client";
  }
}

/**
 * Authenticates a call: a run token where the method admits one; else a person's token, whose role must reach the
 * method's (fail closed); else the service's shared token (constant time).
 */
async function authenticate(hc: HandlerContext, metadata: Metadata, method: string): Promise<Caller> {
  const presented = bearerToken(metadata);
  if (hc.runTokens?.methods.has(method) && hc.runTokens.looksLike(presented)) {
    return { kind: "run", runId: await hc.runTokens.verify(presented) };
  }
  if (hc.users) {
    const user = await hc.users.verify(presented);
    requireRole(method, user);
    return { kind: "user", ...user };
  }
  requireToken(metadata, hc.token, hc.who);
  if (hc.workerSessions && !hc.workerSessions.exempt.has(method)) {
    const session = metadata.get(WORKER_SESSION_HEADER)[0];
    return { kind: "worker", workerId: await hc.workerSessions.verify(typeof session === "string" ? session : "") };
  }
  return { kind: "token" };
}

/** A unary handler: authenticated, well-formed request in, response out; errors mapped in one place. */
export function unary<Req, Res>(
  hc: HandlerContext,
  method: string,
  fn: (request: Req, trace: Context, caller: Caller) => Promise<Res>,
): (call: ServerUnaryCall<Req | MalformedRequest, Res>, callback: sendUnaryData<Res>) => void {
  return (call, callback) => {
    const trace = extractTraceContext(call.metadata);
    context
      .with(trace, async () => {
        const caller = await authenticate(hc, call.metadata, method);
        return fn(wellFormed(call.request), trace, caller);
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
  fn: (request: Req, signal: AbortSignal, caller: Caller) => AsyncIterable<Res>,
): (call: ServerWritableStream<Req | MalformedRequest, Res>) => void {
  return (call) => {
    const abort = new AbortController();
    call.on("cancelled", () => abort.abort());
    (async () => {
      const caller = await authenticate(hc, call.metadata, method);
      for await (const item of fn(wellFormed(call.request), abort.signal, caller)) {
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
  fn: (messages: AsyncIterable<Req>, caller: Caller) => Promise<Res>,
): (call: ServerReadableStream<Req | MalformedRequest, Res>, callback: sendUnaryData<Res>) => void {
  return (call, callback) => {
    async function* messages(): AsyncGenerator<Req> {
      for await (const message of call) yield wellFormed(message as Req | MalformedRequest);
    }
    (async () => {
      const caller = await authenticate(hc, call.metadata, method);
      return fn(messages(), caller);
    })().then(
      (response) => callback(null, response),
      // grpc-js discards whatever the client still sends after the status went out.
      (err) => callback(toServiceError(err, hc.logger, method)),
    );
  };
}
