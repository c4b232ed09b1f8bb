import type { ClusterConfig } from "./cluster-config.js";

/** The providers a worker can serve and the API keys it holds for them, taken from its environment once. */
export interface ProviderAccess {
  /** Providers whose key variable is set on this worker, or that need no key. */
  providers: string[];
  /** Key variable name -> value; passed only into the containers of runs using that provider. */
  secrets: Record<string, string>;
}

/**
 * Reads, from `env`, the API keys the cluster config says each provider needs. Keys stay in the worker process and
 * go only into the environment of containers whose run uses that provider; they are never written to files,
 * images, receipts, logs or the audit trail.
 */
export function providerAccess(config: ClusterConfig, env: Record<string, string | undefined>): ProviderAccess {
  const providers: string[] = [];
  const secrets: Record<string, string> = {};
  for (const provider of config.providers) {
    if (!provider.apiKeyEnv) {
      providers.push(provider.name);
      continue;
    }
    const value = env[provider.apiKeyEnv];
    if (value) {
      providers.push(provider.name);
      secrets[provider.apiKeyEnv] = value;
    }
  }
  return { providers, secrets };
}
