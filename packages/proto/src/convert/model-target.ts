import type { ModelTarget } from "@pancode/core";
import type { ModelTarget as ModelTargetMessage } from "../gen/pancode/v1/worker.js";

/** A run's model on the wire (flat prices); undefined for runtimes that need none. */
export function modelTargetToWire(model: ModelTarget | null): ModelTargetMessage | undefined {
  if (!model) return undefined;
  return {
    ref: model.ref,
    provider: model.provider,
    id: model.id,
    api: model.api,
    baseUrl: model.baseUrl,
    apiKeyEnv: model.apiKeyEnv,
    priceInput: model.price.input,
    priceOutput: model.price.output,
    priceCacheRead: model.price.cacheRead,
    priceCacheWrite: model.price.cacheWrite,
  };
}

/** The core model target of a wire message; null when the message carries none. */
export function modelTargetFromWire(message: ModelTargetMessage | undefined): ModelTarget | null {
  if (!message?.ref) return null;
  return {
    ref: message.ref,
    provider: message.provider,
    id: message.id,
    api: message.api,
    baseUrl: message.baseUrl,
    apiKeyEnv: message.apiKeyEnv,
    price: {
      input: message.priceInput,
      output: message.priceOutput,
      cacheRead: message.priceCacheRead,
      cacheWrite: message.priceCacheWrite,
    },
  };
}
