import { PanCodeError } from "@pancode/core";
import { type ClusterConfig, DEFAULT_BASE_URLS, type ModelApi, type ModelPrice } from "./cluster-config.js";

/**
 * A model resolved from the cluster config: what a runtime adapter needs to reach it (the `ModelTarget` of the
 * runtime interface) and what the price table says it costs. The API key stays in the variable `apiKeyEnv` names.
 */
export interface ResolvedModel {
  /** `provider/id`. */
  ref: string;
  provider: string;
  /** The model's id at its provider. */
  id: string;
  api: ModelApi;
  baseUrl: string;
  /** Name of the environment variable holding the API key on the worker; "" when the provider needs none. */
  apiKeyEnv: string;
  /** USD per million tokens. */
  price: ModelPrice;
}

/** Token counts to price (a core `Usage` fits). Cache counts default to 0. */
export interface TokenCounts {
  input: number;
  output: number;
  cacheRead?: number;
  cacheWrite?: number;
}

/** Every `provider/id` the config declares, in declaration order. */
export function modelRefs(config: ClusterConfig): string[] {
  return config.providers.flatMap((p) => p.models.map((m) => `${p.name}/${m.id}`));
}

function knownModels(config: ClusterConfig): string {
  const aliases = Object.keys(config.aliases);
  return `known models: ${modelRefs(config).join(", ")}${aliases.length > 0 ? `; aliases: ${aliases.join(", ")}` : ""}`;
}

/**
 * Resolves `name` (`provider/id`, an alias, or "" for the cluster's default model) against the config. Model ids
 * may contain `/` (`openrouter/meta-llama/llama-3`): the provider is what precedes the first one. Throws
 * CONFIG_INVALID when no provider is configured at all, and INVALID_ARGUMENT listing the known models and aliases
 * for a name that is not one of them.
 */
export function resolveModel(config: ClusterConfig, name: string): ResolvedModel {
  if (config.providers.length === 0) {
    throw new PanCodeError(
      "CONFIG_INVALID",
      `no model provider is available${name ? ` (asked for "${name}")` : ""}: set ANTHROPIC_API_KEY, OPENAI_API_KEY or GEMINI_API_KEY on a worker, run a local engine (Ollama, LM Studio, llama.cpp server) next to it, or declare providers in a cluster config file (PANCODE_CONFIG)`,
    );
  }
  const wanted = name || config.defaultModel;
  if (!wanted) {
    throw new PanCodeError(
      "INVALID_ARGUMENT",
      `no model named and the cluster config sets no defaultModel; name one with --model; ${knownModels(config)}`,
    );
  }
  const ref = config.aliases[wanted] ?? wanted;
  const slash = ref.indexOf("/");
  const providerName = slash > 0 ? ref.slice(0, slash) : "";
  const id = slash > 0 ? ref.slice(slash + 1) : "";
  const provider = config.providers.find((p) => p.name === providerName);
  const model = provider?.models.find((m) => m.id === id);
  if (!provider || !model) {
    throw new PanCodeError("INVALID_ARGUMENT", `unknown model "${wanted}"; ${knownModels(config)}`);
  }
  return {
    ref: `${provider.name}/${model.id}`,
    provider: provider.name,
    id: model.id,
    api: provider.api,
    baseUrl: provider.baseUrl ?? DEFAULT_BASE_URLS[provider.api],
    apiKeyEnv: provider.apiKeyEnv,
    price: model.price,
  };
}

/** Cost in USD of `usage` at `price` (USD per million tokens). */
export function costOf(price: ModelPrice, usage: TokenCounts): number {
  const usdTimesMillion =
    usage.input * price.input +
    usage.output * price.output +
    (usage.cacheRead ?? 0) * price.cacheRead +
    (usage.cacheWrite ?? 0) * price.cacheWrite;
  return usdTimesMillion / 1_000_000;
}
