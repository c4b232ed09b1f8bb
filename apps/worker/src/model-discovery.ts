import {
  builtinCatalogue,
  type ClusterConfig,
  checkMovedEndpoints,
  type ProviderConfig,
  type ProviderProblem,
  probeLocalEngines,
  providerAccess,
  providersFromEnv,
  withLocalEngines,
} from "@pancode/agents";
import type { ProviderOffer } from "@pancode/proto";
import type { Logger } from "@pancode/telemetry";

/** What a worker tells the coordinator about models, and the keys it keeps for its runs. */
export interface ModelAccess {
  /** Providers whose runs this worker can take. */
  providers: string[];
  /** Zero-config only: the discovered providers with their models, and the problems (never keys). */
  offers: ProviderOffer[];
  /** Key variable name -> value; passed only into the containers of runs using that provider. */
  secrets: Record<string, string>;
  problems: ProviderProblem[];
}

function toOffer(provider: ProviderConfig): ProviderOffer {
  return {
    name: provider.name,
    api: provider.api,
    baseUrl: provider.baseUrl ?? "",
    apiKeyEnv: provider.apiKeyEnv,
    models: provider.models.map((m) => ({
      id: m.id,
      priceInput: m.price.input,
      priceOutput: m.price.output,
      priceCacheRead: m.price.cacheRead,
      priceCacheWrite: m.price.cacheWrite,
    })),
    problem: "",
  };
}

function problemOffer(problem: ProviderProblem): ProviderOffer {
  return { name: problem.provider, api: "", baseUrl: "", apiKeyEnv: "", models: [], problem: problem.message };
}

/**
 * The worker's models. A cluster config that declares providers is the whole truth (the worker only says which of
 * them it holds keys for); without one the worker offers the catalogue providers its keys unlock and the local
 * engines answering on its loopback.
 */
export async function discoverModels(
  config: ClusterConfig,
  env: Record<string, string | undefined>,
): Promise<ModelAccess> {
  if (config.providers.length > 0) {
    const access = providerAccess(config, env);
    return { ...access, offers: [], problems: [] };
  }
  const catalogue = builtinCatalogue();
  const keyed = await checkMovedEndpoints(providersFromEnv(env, catalogue), catalogue, env);
  const found = withLocalEngines(keyed, await probeLocalEngines(env));
  return {
    providers: found.providers.map((p) => p.name),
    offers: [...found.providers.map(toOffer), ...found.problems.map(problemOffer)],
    secrets: found.secrets,
    problems: found.problems,
  };
}

/** Logs each problem once per appearance: a warning naming the address or variable and what to do. */
export function warnProblems(logger: Logger, problems: readonly ProviderProblem[], before: readonly ProviderProblem[]) {
  for (const problem of problems) {
    if (before.some((b) => b.message === problem.message)) continue;
    logger.warn(`model provider ${problem.provider} unavailable: ${problem.message}`, { provider: problem.provider });
  }
}

/**
 * Re-probes every `intervalMs` (local engines come and go, and load models) and calls `onChange` when what the
 * worker offers changed. Only zero-config workers probe.
 */
export function startModelProbe(options: {
  intervalMs: number;
  discover: () => Promise<ModelAccess>;
  current: () => ModelAccess;
  onChange: (access: ModelAccess) => Promise<void>;
  logger: Logger;
}): { stop(): void } {
  let busy = false;
  const probe = async () => {
    if (busy) return;
    busy = true;
    try {
      const next = await options.discover();
      const before = options.current();
      if (JSON.stringify(next.offers) === JSON.stringify(before.offers)) return;
      warnProblems(options.logger, next.problems, before.problems);
      options.logger.info("model providers changed", { providers: next.providers });
      await options.onChange(next);
    } catch (err) {
      options.logger.warn("model probe failed", { error: err as Error });
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void probe(), options.intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

/**
 * The cluster's price table as this worker knows it: the cluster config's providers, or (zero-config) the offers
 * it discovered. The run's model proxy prices every call with it.
 */
export function priceTableOf(config: ClusterConfig, access: () => ModelAccess) {
  return (provider: string, model: string) => {
    const declared = config.providers.find((p) => p.name === provider)?.models.find((m) => m.id === model);
    if (declared) return declared.price;
    const offered = access()
      .offers.find((o) => o.name === provider)
      ?.models.find((m) => m.id === model);
    if (!offered) return undefined;
    return {
      input: offered.priceInput,
      output: offered.priceOutput,
      cacheRead: offered.priceCacheRead,
      cacheWrite: offered.priceCacheWrite,
    };
  };
}
