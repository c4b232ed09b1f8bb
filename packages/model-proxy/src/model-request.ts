import type { IncomingHttpHeaders } from "node:http";
import * as zlib from "node:zlib";
import { brotliDecompressSync, gunzipSync, inflateSync } from "node:zlib";
import type { ProxyApi } from "./types.js";

/** What the proxy needs to know about a request before forwarding it. */
export interface ModelRequest {
  /** The wire format of the answer, from the path (a provider may serve several, e.g. chat and Responses). */
  api: ProxyApi;
  /** The model asked for ("" when the body does not say). */
  model: string;
  /** True when the agent asked for a streamed answer. */
  streamed: boolean;
  /** The body to forward: the agent's bytes, decoded, or re-serialised with `stream_options.include_usage`. */
  body: Buffer;
  /** True when `body` is no longer the agent's encoding (the forwarder then drops `content-encoding`). */
  decoded: boolean;
}

/** A request body the proxy will not forward, with the reason for the agent. */
export interface RefusedRequest {
  refused: string;
}

/** Decoded request bodies larger than this are refused (a small compressed body can expand enormously). */
const MAX_DECODED_BYTES = 64 * 1024 * 1024;

const GEMINI_PATH = /\/models\/([^/:]+):([A-Za-z]+)$/;

/** `path` without trailing or doubled slashes, as the APIs route it. */
function canonical(path: string): string {
  return path.replace(/\/{2,}/g, "/").replace(/\/+$/, "");
}

/**
 * True for requests that may generate (and cost) tokens: everything but reads and the free token-counting
 * endpoints. Matched on exact endpoint suffixes, so a model name cannot make a call look free.
 */
export function isModelCall(method: string, path: string): boolean {
  if (["GET", "HEAD", "OPTIONS"].includes(method)) return false;
  const p = canonical(path);
  return !p.endsWith("/messages/count_tokens") && !/\/models\/[^/:]+:countTokens$/.test(p);
}

/**
 * The format the upstream answers in, from the endpoint; the provider's declared API when the path is not one
 * of the known endpoints. Usage is read by this, so an agent cannot pick an endpoint whose usage goes unread.
 */
function apiOfPath(path: string, fallback: ProxyApi): ProxyApi {
  const p = canonical(path);
  if (/\/models\/[^/:]+:(generateContent|streamGenerateContent)$/.test(p)) return "google";
  if (p.endsWith("/responses")) return "openai-responses";
  if (p.endsWith("/messages")) return "anthropic-messages";
  if (/\/(chat\/completions|completions|embeddings)$/.test(p)) return "openai-completions";
  return fallback;
}

/**
 * Reads model and streaming from the request and, for a streamed OpenAI chat request, asks for the final usage
 * chunk (`stream_options.include_usage`) so every call can be metered: without it the API reports no usage at all.
 * A compressed body is decoded first, so compression cannot hide a request from the meter.
 */
export function inspectRequest(
  fallback: ProxyApi,
  path: string,
  headers: IncomingHttpHeaders,
  raw: Buffer,
): ModelRequest | RefusedRequest {
  const api = apiOfPath(path, fallback);
  const plain = decodeBody(String(headers["content-encoding"] ?? "identity"), raw);
  if (!plain) return { refused: `unsupported content-encoding: ${String(headers["content-encoding"])}` };
  const decoded = plain !== raw;
  if (api === "google") {
    const [, model = "", method = ""] = GEMINI_PATH.exec(canonical(path)) ?? [];
    return { api, model: safeDecode(model), streamed: method === "streamGenerateContent", body: plain, decoded };
  }
  const doc = parseObject(plain);
  if (!doc) return { api, model: "", streamed: false, body: plain, decoded };
  const model = typeof doc.model === "string" ? doc.model : "";
  const streamed = doc.stream === true;
  if (api === "openai-completions" && streamed) {
    // Always re-serialised: the provider then reads exactly the document checked here (no duplicate-key games).
    const streamOptions = isObject(doc.stream_options) ? doc.stream_options : {};
    const body = Buffer.from(JSON.stringify({ ...doc, stream_options: { ...streamOptions, include_usage: true } }));
    return { api, model, streamed, body, decoded: true };
  }
  return { api, model, streamed, body: plain, decoded };
}

type ZstdDecompress = (body: Buffer, options: { maxOutputLength: number }) => Buffer;
/** Node 22.15+ decodes zstd (which some agent CLIs use for requests); older Node refuses it like any unknown coding. */
const nodeZstd = (zlib as unknown as { zstdDecompressSync?: ZstdDecompress }).zstdDecompressSync;
const zstdDecompressSync = nodeZstd
  ? (body: Buffer, max: number): Buffer => nodeZstd(body, { maxOutputLength: max })
  : undefined;

/** The body without its content-encoding; undefined for an encoding the proxy cannot read. */
function decodeBody(encoding: string, raw: Buffer): Buffer | undefined {
  const codings = encoding
    .split(",")
    .map((coding) => coding.trim().toLowerCase())
    .filter((coding) => coding !== "" && coding !== "identity");
  let body = raw;
  try {
    // Codings are listed in the order they were applied, so they are undone from the last.
    for (const coding of codings.reverse()) {
      if (coding === "gzip" || coding === "x-gzip") body = gunzipSync(body, { maxOutputLength: MAX_DECODED_BYTES });
      else if (coding === "deflate") body = inflateSync(body, { maxOutputLength: MAX_DECODED_BYTES });
      else if (coding === "br") body = brotliDecompressSync(body, { maxOutputLength: MAX_DECODED_BYTES });
      else if (coding === "zstd" && zstdDecompressSync) body = zstdDecompressSync(body, MAX_DECODED_BYTES);
      else return undefined;
    }
  } catch {
    return undefined;
  }
  return body;
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
