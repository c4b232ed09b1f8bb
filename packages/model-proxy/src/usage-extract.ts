import type { ProxyApi, ProxyPrice, TokenCounts } from "./types.js";

type Json = Record<string, unknown>;

/** Folds one JSON document of a response (a whole body, or one streamed event) into the call's token counts. */
export type UsageReader = (doc: Json, counts: TokenCounts) => boolean;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function num(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) && value >= 0 ? value : undefined;
}

/**
 * OpenAI chat completions: `usage` on the body, or on the last streamed chunk (`stream_options.include_usage`).
 * `prompt_tokens` includes cached tokens; `cache_write_tokens` (some OpenAI-compatible servers) is part of them.
 */
const openaiChat: UsageReader = (doc, counts) => {
  const usage = doc.usage;
  if (!isObject(usage) || num(usage.prompt_tokens) === undefined) return false;
  const details = isObject(usage.prompt_tokens_details) ? usage.prompt_tokens_details : {};
  const cached = num(details.cached_tokens) ?? 0;
  const cacheWrite = Math.min(num(details.cache_write_tokens) ?? 0, cached);
  counts.input = Math.max(0, (num(usage.prompt_tokens) ?? 0) - cached);
  counts.output = num(usage.completion_tokens) ?? 0;
  counts.cacheRead = cached - cacheWrite;
  counts.cacheWrite = cacheWrite;
  return true;
};

/** OpenAI Responses: `usage` on the body, or `response.usage` of the `response.completed` (or incomplete) event. */
const openaiResponses: UsageReader = (doc, counts) => {
  const usage = isObject(doc.response) ? doc.response.usage : doc.usage;
  if (!isObject(usage) || num(usage.input_tokens) === undefined) return false;
  const details = isObject(usage.input_tokens_details) ? usage.input_tokens_details : {};
  const cached = num(details.cached_tokens) ?? 0;
  counts.input = Math.max(0, (num(usage.input_tokens) ?? 0) - cached);
  counts.output = num(usage.output_tokens) ?? 0;
  counts.cacheRead = cached;
  counts.cacheWrite = 0;
  return true;
};

/**
 * Anthropic: `usage` on the body; streamed, `message_start.message.usage` then `message_delta.usage`, whose fields
 * are cumulative, so each field present replaces the earlier value.
 */
const anthropic: UsageReader = (doc, counts) => {
  const usage = isObject(doc.message) ? doc.message.usage : doc.usage;
  if (!isObject(usage)) return false;
  counts.input = num(usage.input_tokens) ?? counts.input;
  counts.output = num(usage.output_tokens) ?? counts.output;
  counts.cacheRead = num(usage.cache_read_input_tokens) ?? counts.cacheRead;
  counts.cacheWrite = num(usage.cache_creation_input_tokens) ?? counts.cacheWrite;
  return true;
};

/** Gemini: `usageMetadata` (streamed: the last chunk's). Thinking tokens are billed as output. */
const google: UsageReader = (doc, counts) => {
  const usage = doc.usageMetadata;
  if (!isObject(usage)) return false;
  const cached = num(usage.cachedContentTokenCount) ?? 0;
  counts.input = Math.max(0, (num(usage.promptTokenCount) ?? 0) - cached);
  counts.output = (num(usage.candidatesTokenCount) ?? 0) + (num(usage.thoughtsTokenCount) ?? 0);
  counts.cacheRead = cached;
  counts.cacheWrite = 0;
  return true;
};

export const usageReaders: Record<ProxyApi, UsageReader> = {
  "openai-completions": openaiChat,
  "openai-responses": openaiResponses,
  "anthropic-messages": anthropic,
  google,
};

/** USD for the tokens at a price in USD per million tokens; no price is $0. */
export function priceTokens(counts: TokenCounts, price: ProxyPrice | undefined): number {
  if (!price) return 0;
  const micro =
    counts.input * price.input +
    counts.output * price.output +
    counts.cacheRead * (price.cacheRead ?? 0) +
    counts.cacheWrite * (price.cacheWrite ?? 0);
  return micro / 1e6;
}
