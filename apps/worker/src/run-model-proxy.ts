import { type ModelPrice, type ModelTarget, PanCodeError, type Usage } from "@pancode/core";
import {
  type MeteredCall,
  newProxyToken,
  type ProxyApi,
  type ProxyProvider,
  type RunProxy,
  startRunProxy,
} from "@pancode/model-proxy";

/** The container variable holding the run's proxy token: what every agent CLI sends as its "API key". */
export const MODEL_TOKEN_ENV = "PANCODE_MODEL_TOKEN";

const PROXY_APIS: readonly string[] = ["openai-completions", "openai-responses", "anthropic-messages", "google"];

/** Looks up a model's price in the cluster's price table (undefined: not listed). */
export type PriceTable = (provider: string, model: string) => ModelPrice | undefined;

/**
 * The run's model as its agent CLI sees it: the container's loopback forwarder, under the provider's route, with the
 * path of the real base URL kept (a CLI that trims or appends a version segment does the same to it), and the proxy
 * token in place of the key.
 */
export function proxiedModel(model: ModelTarget, port: number): ModelTarget {
  const path = new URL(model.baseUrl).pathname.replace(/\/+$/, "");
  return {
    ...model,
    baseUrl: `http://127.0.0.1:${port}/${encodeURIComponent(model.provider)}${path}`,
    apiKeyEnv: MODEL_TOKEN_ENV,
  };
}

/** The proxy's route for the run's provider: its origin (the path travels in the request) and the real key. */
export function proxyProviderOf(model: ModelTarget, secrets: Readonly<Record<string, string>>, workerId: string) {
  if (!PROXY_APIS.includes(model.api)) {
    throw new PanCodeError(
      "CONFIG_INVALID",
      `provider "${model.provider}" speaks "${model.api}", which the model proxy does not`,
    );
  }
  const apiKey = model.apiKeyEnv ? secrets[model.apiKeyEnv] : "";
  if (apiKey === undefined || (model.apiKeyEnv && !apiKey)) {
    throw new PanCodeError(
      "CONFIG_INVALID",
      `worker ${workerId} has no ${model.apiKeyEnv} for provider "${model.provider}"; set it in the worker's environment`,
    );
  }
  const provider: ProxyProvider = {
    name: model.provider,
    api: model.api as ProxyApi,
    baseUrl: new URL(model.baseUrl).origin,
    apiKey,
  };
  return provider;
}

/** One proxy-metered call as a Usage record (what the coordinator folds into the run's cost). */
export function usageOfCall(call: MeteredCall): Usage {
  return {
    input: call.inputTokens,
    output: call.outputTokens,
    cacheRead: call.cacheReadTokens,
    cacheWrite: call.cacheWriteTokens,
    costUsd: call.costUsd,
  };
}

/** The proxy's totals as the run's Usage. */
export function usageOfProxy(proxy: RunProxy): Usage {
  const u = proxy.usage();
  return {
    input: u.inputTokens,
    output: u.outputTokens,
    cacheRead: u.cacheReadTokens,
    cacheWrite: u.cacheWriteTokens,
    costUsd: u.costUsd,
  };
}

/**
 * Starts the run's model proxy on `socketPath`: the one provider of the run's model with the real key (resolved here,
 * on the worker), priced from the cluster's table (the run's own model price first; any other model of the provider
 * at the run's price rather than free), capped at the run's max cost, tunnelling to the agent's egress hosts only.
 */
export async function startModelProxy(options: {
  socketPath: string;
  /** The run's model; null = a proxy for egress only (a plain command with an allowlist). */
  model: ModelTarget | null;
  /** Hosts (`host:port`) it tunnels to with HTTP CONNECT. */
  egress: readonly string[];
  secrets: Readonly<Record<string, string>>;
  workerId: string;
  prices?: PriceTable;
  capUsd: number;
  onCall(call: MeteredCall): void;
  onCapReached(spentUsd: number): void;
  onRefused(what: { kind: "connect" | "route" | "auth"; target: string }): void;
}): Promise<{ proxy: RunProxy; token: string }> {
  const { model } = options;
  const token = newProxyToken();
  const proxy = await startRunProxy({
    socketPath: options.socketPath,
    runToken: token,
    providers: model ? [proxyProviderOf(model, options.secrets, options.workerId)] : [],
    priceOf: (provider, id) =>
      provider === model?.provider && id === model.id
        ? model.price
        : (options.prices?.(provider, id) ?? (provider === model?.provider ? model.price : undefined)),
    egressAllow: [...options.egress],
    capUsd: options.capUsd > 0 ? options.capUsd : undefined,
    onCall: options.onCall,
    onCapReached: options.onCapReached,
    onRefused: options.onRefused,
  });
  return { proxy, token };
}
