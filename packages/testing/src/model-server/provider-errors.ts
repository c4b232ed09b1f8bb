import type { Exchange } from "./http-io.js";
import { sendJson } from "./http-io.js";

/** Whose error document shape an answer uses. */
export type ErrorFamily = "openai" | "anthropic" | "gemini";

/** The family a path belongs to, so even unknown routes fail the way the client's SDK expects. */
export function errorFamilyOf(path: string, headers: Record<string, string>): ErrorFamily {
  if (path.startsWith("/v1beta/") || /^\/v1(alpha)?\/models\/[^/]+:/.test(path)) return "gemini";
  if (path.startsWith("/v1/messages") || headers["anthropic-version"] !== undefined) return "anthropic";
  return "openai";
}

const anthropicTypes: Record<number, string> = {
  400: "invalid_request_error",
  401: "authentication_error",
  404: "not_found_error",
  413: "request_too_large",
  415: "invalid_request_error",
};

const geminiStatuses: Record<number, string> = {
  400: "INVALID_ARGUMENT",
  401: "UNAUTHENTICATED",
  404: "NOT_FOUND",
  413: "INVALID_ARGUMENT",
  415: "INVALID_ARGUMENT",
};

/**
 * Answers an error in the document shape of the family's real API:
 * OpenAI `{error: {message, type, param, code}}`, Anthropic `{type: "error", error: {type, message}}`,
 * Gemini `{error: {code, message, status}}`.
 */
export function sendProviderError(
  ex: Pick<Exchange, "res" | "record">,
  family: ErrorFamily,
  status: number,
  message: string,
): void {
  switch (family) {
    case "openai": {
      const type = status >= 500 ? "server_error" : status === 401 ? "authentication_error" : "invalid_request_error";
      const code = status === 404 ? "not_found" : null;
      sendJson(ex, status, { error: { message, type, param: null, code } });
      return;
    }
    case "anthropic":
      sendJson(ex, status, { type: "error", error: { type: anthropicTypes[status] ?? "api_error", message } });
      return;
    case "gemini":
      sendJson(ex, status, { error: { code: status, message, status: geminiStatuses[status] ?? "INTERNAL" } });
      return;
  }
}
