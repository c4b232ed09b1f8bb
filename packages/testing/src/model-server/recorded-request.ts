import type { IncomingHttpHeaders } from "node:http";

/** Which API a request was routed to. */
export type ModelApi =
  | "openai-chat"
  | "openai-responses"
  | "openai-models"
  | "ollama-tags"
  | "anthropic-messages"
  | "anthropic-count-tokens"
  | "anthropic-models"
  | "gemini"
  | "gemini-count-tokens"
  | "gemini-models"
  | "unknown";

/** A tool call as it appears in a request's history. */
export interface NormalisedToolCall {
  id?: string;
  name: string;
  /** Parsed arguments when they were JSON, else the raw value. */
  arguments: unknown;
}

/**
 * One message of a request's history in a shape shared by every API: system prompts are lifted into
 * {@link RecordedRequest.system}; tool results become role `tool` messages; Gemini's `model` role is `assistant`.
 */
export interface NormalisedMessage {
  role: "user" | "assistant" | "tool";
  /** The message's text parts joined with newlines ("" when it has none). */
  text: string;
  toolCalls?: NormalisedToolCall[];
  /** For role `tool`: the call it answers. */
  toolCallId?: string;
}

/** Everything the server saw of one HTTP request, for assertions. */
export interface RecordedRequest {
  api: ModelApi;
  method: string;
  /** Path without the query string. */
  path: string;
  /** Requested model id ("" when the request named none). */
  model: string;
  messages: NormalisedMessage[];
  /** System prompt(s) joined with newlines, when present. */
  system?: string;
  /** Names of the tools offered to the model (the tool `type` for built-in tools without a name). */
  tools: string[];
  stream: boolean;
  /** The turn answered (assistant messages in the history), for generation requests. */
  turnIndex?: number;
  /** HTTP status answered; set once the response starts. */
  status?: number;
  /** The credential presented: `x-api-key`, `Authorization: Bearer …`, `x-goog-api-key` or Gemini's `?key=`. */
  apiKey?: string;
  /** All request headers, lowercased names, multiple values joined with ", ". */
  headers: Record<string, string>;
  /** The parsed JSON body (undefined when there was none or it was malformed). */
  body?: unknown;
  /** When the request arrived (epoch ms, this host's clock): benches time an agent's first call with it. */
  receivedAt: number;
}

/** Starts a record for a request; the API handler fills in the rest. */
export function newRecord(method: string, url: URL, headers: IncomingHttpHeaders): RecordedRequest {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  const bearer = /^Bearer\s+(.+)$/i.exec(flat.authorization ?? "")?.[1];
  const apiKey = flat["x-api-key"] ?? bearer ?? flat["x-goog-api-key"] ?? url.searchParams.get("key") ?? undefined;
  return {
    receivedAt: Date.now(),
    api: "unknown",
    method,
    path: url.pathname,
    model: "",
    messages: [],
    tools: [],
    stream: false,
    apiKey,
    headers: flat,
  };
}

/** Number of assistant turns already in a normalised history: the index of the turn to answer. */
export function countAssistantTurns(messages: NormalisedMessage[]): number {
  return messages.filter((message) => message.role === "assistant").length;
}

/** Characters of a request that count towards its estimated input tokens. */
export function inputChars(record: RecordedRequest): number {
  const messageChars = record.messages.reduce(
    (sum, m) => sum + m.text.length + (m.toolCalls ? JSON.stringify(m.toolCalls).length : 0),
    0,
  );
  return (record.system?.length ?? 0) + messageChars + record.tools.join(" ").length;
}

/**
 * Text of a content value in any of the APIs' shapes: a string, or an array of parts whose `text` fields are joined
 * (`text`, `input_text`, `output_text`); parts without text (images) are skipped.
 */
export function contentText(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .map((part) => (isObject(part) && typeof part.text === "string" ? part.text : ""))
    .filter((text) => text.length > 0)
    .join("\n");
}

/** Parses a JSON string of tool arguments, keeping the raw value when it is not JSON. */
export function parseArguments(value: unknown): unknown {
  if (typeof value !== "string") return value;
  try {
    return JSON.parse(value);
  } catch (_err) {
    // Malformed arguments are the client's business; keep them verbatim for the assertion.
    return value;
  }
}

/** Narrow an unknown JSON value to an object. */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** An array field of a JSON object, or [] when absent or not an array. */
export function arrayField(value: Record<string, unknown>, key: string): unknown[] {
  const field = value[key];
  return Array.isArray(field) ? field : [];
}

/** A string field of a JSON object, or undefined. */
export function stringField(value: Record<string, unknown>, key: string): string | undefined {
  const field = value[key];
  return typeof field === "string" ? field : undefined;
}
