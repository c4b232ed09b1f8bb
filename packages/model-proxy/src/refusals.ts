import type { ServerResponse } from "node:http";
import type { ProxyApi } from "./types.js";

/** Why the proxy itself answers instead of the provider. */
export type RefusalKind = "auth" | "route" | "cap" | "upstream" | "encoding";

const STATUS: Record<RefusalKind, number> = { auth: 401, route: 404, cap: 429, upstream: 502, encoding: 415 };

const OPENAI_TYPES: Record<RefusalKind, [type: string, code: string | null]> = {
  auth: ["invalid_request_error", "invalid_api_key"],
  route: ["invalid_request_error", "not_found"],
  cap: ["insufficient_quota", "insufficient_quota"],
  upstream: ["server_error", null],
  encoding: ["invalid_request_error", null],
};

const ANTHROPIC_TYPES: Record<RefusalKind, string> = {
  auth: "authentication_error",
  route: "not_found_error",
  cap: "rate_limit_error",
  upstream: "api_error",
  encoding: "invalid_request_error",
};

const GOOGLE_STATUSES: Record<RefusalKind, string> = {
  auth: "UNAUTHENTICATED",
  route: "NOT_FOUND",
  cap: "RESOURCE_EXHAUSTED",
  upstream: "UNAVAILABLE",
  encoding: "INVALID_ARGUMENT",
};

/** The error document each API's SDKs parse, so the agent reports the proxy's refusal like a provider error. */
function refusalBody(api: ProxyApi, kind: RefusalKind, message: string): unknown {
  switch (api) {
    case "openai-completions":
    case "openai-responses": {
      const [type, code] = OPENAI_TYPES[kind];
      return { error: { message, type, param: null, code } };
    }
    case "anthropic-messages":
      return { type: "error", error: { type: ANTHROPIC_TYPES[kind], message } };
    case "google":
      return { error: { code: STATUS[kind], message, status: GOOGLE_STATUSES[kind] } };
  }
}

/** Answers a refusal in the API's own error format. */
export function sendRefusal(res: ServerResponse, api: ProxyApi, kind: RefusalKind, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const text = JSON.stringify(refusalBody(api, kind, message));
  const headers: Record<string, string | number> = {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
  };
  // The OpenAI and Anthropic SDKs retry 429 and 5xx unless told not to; a refusal answers the same every time.
  if (kind !== "upstream") headers["x-should-retry"] = "false";
  res.writeHead(STATUS[kind], headers);
  res.end(text);
}

/** The API a path most likely speaks, for refusing a request that names no known provider. */
export function guessApi(path: string): ProxyApi {
  if (/\/v1(alpha|beta)?\/models\/[^/]+:/.test(path) || path.includes("/v1beta/")) return "google";
  if (path.includes("/messages")) return "anthropic-messages";
  if (path.includes("/responses")) return "openai-responses";
  return "openai-completions";
}
