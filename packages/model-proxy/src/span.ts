import { type Span, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import type { MeteredCall, ProxyApi } from "./types.js";

const SYSTEMS: Record<ProxyApi, string> = {
  "openai-completions": "openai",
  "openai-responses": "openai",
  "anthropic-messages": "anthropic",
  google: "gcp.gemini",
};

/**
 * Starts the OTel span of one model call with the GenAI semantic convention attributes. Uses the API only: without
 * an SDK registered (the worker's telemetry package owns that) the span is a no-op.
 */
export function startCallSpan(api: ProxyApi, provider: string, model: string): Span {
  return trace.getTracer("pancode.model-proxy").startSpan(`chat ${model}`, {
    kind: SpanKind.CLIENT,
    attributes: {
      "gen_ai.operation.name": "chat",
      "gen_ai.system": SYSTEMS[api],
      "gen_ai.provider.name": SYSTEMS[api],
      "gen_ai.request.model": model,
      "pancode.model_proxy.provider": provider,
    },
  });
}

/** Adds the metered usage and ends the span. */
export function endCallSpan(span: Span, call: MeteredCall): void {
  span.setAttributes({
    "gen_ai.usage.input_tokens": call.inputTokens + call.cacheReadTokens + call.cacheWriteTokens,
    "gen_ai.usage.output_tokens": call.outputTokens,
    "gen_ai.usage.cache_read.input_tokens": call.cacheReadTokens,
    "gen_ai.usage.cache_creation.input_tokens": call.cacheWriteTokens,
    "http.response.status_code": call.status,
    "pancode.cost_usd": call.costUsd,
  });
  if (call.error) span.setStatus({ code: SpanStatusCode.ERROR, message: call.error });
  span.end();
}
