import type { IncomingHttpHeaders } from "node:http";
import type { ProxyApi } from "./types.js";

/** What the proxy needs to know about a request before forwarding it. */
export interface ModelRequest {
  /** The model asked for ("" when the body does not say, e.g. an encoded body). */
  model: string;
  /** True when the agent asked for a streamed answer. */
  streamed: boolean;
  /** The body to forward: the agent's bytes, or with `stream_options.include_usage` added. */
  body: Buffer;
}

const GEMINI_PATH = /\/models\/([^/:]+):([A-Za-z]+)$/;

/** True for requests that generate (and cost) tokens; listing models or counting tokens is free and never capped. */
export function isModelCall(method: string, path: string): boolean {
  return method === "POST" && !/count_?tokens/i.test(path);
}

/**
 * Reads model and streaming from the request and, for a streamed OpenAI chat request, asks for the final usage
 * chunk (`stream_options.include_usage`) so every call can be metered: without it the API reports no usage at all.
 */
export function inspectRequest(api: ProxyApi, path: string, headers: IncomingHttpHeaders, raw: Buffer): ModelRequest {
  if (api === "google") {
    const [, model = "", method = ""] = GEMINI_PATH.exec(path) ?? [];
    return { model: safeDecode(model), streamed: method === "streamGenerateContent", body: raw };
  }
  const doc = headers["content-encoding"] === undefined ? parseObject(raw) : undefined;
  if (!doc) return { model: "", streamed: false, body: raw };
  const model = typeof doc.model === "string" ? doc.model : "";
  const streamed = doc.stream === true;
  if (api === "openai-completions" && streamed && path.endsWith("/chat/completions") && !includesUsage(doc)) {
    const streamOptions = isObject(doc.stream_options) ? doc.stream_options : {};
    const body = Buffer.from(JSON.stringify({ ...doc, stream_options: { ...streamOptions, include_usage: true } }));
    return { model, streamed, body };
  }
  return { model, streamed, body: raw };
}

function includesUsage(doc: Record<string, unknown>): boolean {
  return isObject(doc.stream_options) && doc.stream_options.include_usage === true;
}

function parseObject(raw: Buffer): Record<string, unknown> | undefined {
  try {
    const doc: unknown = JSON.parse(raw.toString("utf8"));
    return isObject(doc) ? doc : undefined;
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
