import type { IncomingMessage, ServerResponse } from "node:http";
import type { InProcessClient } from "../grpc/in-process.js";
import type { RunSubscription } from "../services/run-notifier.js";
import { HttpError } from "./errors.js";
import type { Params } from "./router.js";
import type { SessionStore } from "./sessions.js";

/** What every API handler gets: the request, the caller's credential, and the client service to call as them. */
export interface ApiContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  params: Params;
  /** The caller's token (from `Authorization: Bearer` or the session cookie); "" when none was presented. */
  token: string;
  /** The session the cookie named, when the request came with one. */
  sessionId: string | undefined;
  /** The client service's own handlers, called in-process: roles and behaviour are the gRPC API's. */
  api: InProcessClient;
  sessions: SessionStore;
  /** Wakes on any run's change, on this replica or another. */
  runChanges: () => RunSubscription;
  /** True when the listener serves TLS (cookies get `Secure`). */
  secure: boolean;
  /** Aborted when the client goes away (ends live streams). */
  signal: AbortSignal;
}

/** A handler's answer: a JSON body (status 200 unless told), or {@link HANDLED} when it wrote the response itself. */
export type ApiAnswer = { status?: number; headers?: Record<string, string>; json: unknown } | typeof HANDLED;

/** Returned by handlers that streamed their own response (SSE, patch bytes). */
export const HANDLED: unique symbol = Symbol("handled");

export type ApiHandler = (ctx: ApiContext) => Promise<ApiAnswer>;

/** Largest JSON body the API reads; every request body is a handful of fields. */
const MAX_BODY_BYTES = 1024 * 1024;

/** The request's JSON object body; 400 for anything that is not one. */
export async function jsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, "invalid_argument", "request body over 1 MiB");
    parts.push(chunk as Buffer);
  }
  const text = Buffer.concat(parts).toString("utf8");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new HttpError(400, "invalid_argument", "request body must be a JSON object");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new HttpError(400, "invalid_argument", "request body must be a JSON object");
  }
  return value as Record<string, unknown>;
}

/** A whole-number query parameter within [min, max], or `fallback` when absent; 400 naming it otherwise. */
export function intParam(url: URL, name: string, range: { min: number; max: number; fallback: number }): number {
  const text = url.searchParams.get(name);
  if (text === null || text === "") return range.fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < range.min || n > range.max) {
    throw new HttpError(
      400,
      "invalid_argument",
      `${name} must be a whole number from ${range.min} to ${range.max}, got "${text}"`,
    );
  }
  return n;
}

/** A string field of a JSON body; 400 naming it when it is present but not a string, or required and missing. */
export function stringField(body: Record<string, unknown>, name: string, required = false): string {
  const value = body[name];
  if (value === undefined || value === null || value === "") {
    if (required) throw new HttpError(400, "invalid_argument", `field "${name}" is required`);
    return "";
  }
  if (typeof value !== "string") throw new HttpError(400, "invalid_argument", `field "${name}" must be a string`);
  return value;
}
