/**
 * Per-run model proxy: the agent's container holds a per-run token, never a provider key. The proxy forwards
 * `/<provider>/<path>` to the provider with the real key, relays streams chunk by chunk, meters tokens and cost from
 * the provider's own responses, refuses calls past the run's cost cap in the provider's error format, and tunnels
 * HTTP CONNECT to allowlisted hosts only.
 */

export { startRunProxy } from "./run-proxy.js";
export { newProxyToken } from "./token.js";
export type {
  MeteredCall,
  ProxyApi,
  ProxyPrice,
  ProxyProvider,
  ProxyUsage,
  RunProxy,
  RunProxyOptions,
  TokenCounts,
} from "./types.js";
export { priceTokens } from "./usage-extract.js";
