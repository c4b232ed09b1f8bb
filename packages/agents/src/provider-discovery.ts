import type { ClusterConfig, ModelApi, ProviderConfig } from "./cluster-config.js";
import { LOCAL_ENGINES, type ProbeResult } from "./local-engines.js";
import type { ModelCatalogue } from "./model-catalogue.js";

/** A provider a worker could not offer, and what to do about it (one line). */
export interface ProviderProblem {
  provider: string;
  message: string;
}

/** What a worker found in its environment: providers to offer, their keys (never announced), and problems. */
export interface Discovered {
  providers: ProviderConfig[];
  /** Key variable name -> value; passed only into the containers of runs using that provider. */
  secrets: Record<string, string>;
  problems: ProviderProblem[];
}

function isHttpUrl(value: string): boolean {
  return /^https?:\/\/\S+$/.test(value);
}

/**
 * A `*_BASE_URL` in the form the cluster's providers use: no trailing slash, and for Gemini the API version (its
 * variable, like Gemini CLI's, names the root).
 */
function normaliseBaseUrl(api: ModelApi, value: string): string {
  const url = value.replace(/\/+$/, "");
  return api === "google" && !/\/v1(beta|alpha)?$/.test(url) ? `${url}/v1beta` : url;
}

/** How to declare a provider the catalogue does not know, for messages. */
export function declareHint(provider: string, keyEnv: string): string {
  return `declare its models in a cluster config file (PANCODE_CONFIG: providers: [{ name: ${provider}, api: openai-completions, baseUrl: ..., apiKeyEnv: ${keyEnv}, models: [{ id: ... }] }])`;
}

/**
 * The catalogue's cloud providers whose key is in `env` (`ANTHROPIC_API_KEY`, `OPENAI_API_KEY`, `GEMINI_API_KEY` /
 * `GOOGLE_API_KEY`), at the base URL their `*_BASE_URL` variable names, with the catalogue's models and prices.
 * Keys of providers the catalogue has no models for are problems saying how to declare them.
 */
export function providersFromEnv(env: Record<string, string | undefined>, catalogue: ModelCatalogue): Discovered {
  const found: Discovered = { providers: [], secrets: {}, problems: [] };
  for (const entry of catalogue.providers) {
    const keyEnv = entry.keyEnv.find((name) => env[name]);
    if (!keyEnv) continue;
    const baseUrl = env[entry.baseUrlEnv]?.trim() || undefined;
    if (baseUrl && !isHttpUrl(baseUrl)) {
      found.problems.push({
        provider: entry.name,
        message: `${entry.baseUrlEnv}="${baseUrl}" is not an http:// or https:// URL; fix it or unset it`,
      });
      continue;
    }
    found.providers.push({
      name: entry.name,
      api: entry.api,
      ...(baseUrl ? { baseUrl: normaliseBaseUrl(entry.api, baseUrl) } : {}),
      apiKeyEnv: keyEnv,
      models: entry.models,
    });
    found.secrets[keyEnv] = env[keyEnv] as string;
  }
  for (const [keyEnv, provider] of Object.entries(catalogue.otherProviderKeys)) {
    if (!env[keyEnv]) continue;
    found.problems.push({
      provider,
      message: `${keyEnv} is set but the built-in catalogue has no models for provider "${provider}"; ${declareHint(provider, keyEnv)}`,
    });
  }
  return found;
}

/** Adds what the local-engine probes found: engines that answered become providers, explicit misses problems. */
export function withLocalEngines(found: Discovered, probes: readonly ProbeResult[]): Discovered {
  const providers = [...found.providers];
  const problems = [...found.problems];
  for (const probe of probes) {
    if ("provider" in probe) providers.push(probe.provider);
    else if ("problem" in probe) problems.push({ provider: probe.engine.name, message: probe.problem });
  }
  return { providers, secrets: found.secrets, problems };
}

/** Provider names in default-model preference: the catalogue's order (anthropic, openai, google), then local engines. */
export function providerPreference(catalogue: ModelCatalogue): string[] {
  return [...catalogue.providers.map((p) => p.name), ...LOCAL_ENGINES.map((e) => e.name)];
}

/**
 * The default model among `providers` by {@link providerPreference}: the catalogue's default of the first preferred
 * provider present (its first model if the default is missing), a local engine's first listed model; providers
 * the preference does not name come last, in order. "" when there is no model at all.
 */
export function preferredModel(providers: readonly ProviderConfig[], catalogue: ModelCatalogue): string {
  const order = providerPreference(catalogue);
  const rank = (p: ProviderConfig) => {
    const i = order.indexOf(p.name);
    return i < 0 ? order.length : i;
  };
  const best = [...providers].filter((p) => p.models.length > 0).sort((a, b) => rank(a) - rank(b))[0];
  if (!best) return "";
  const wanted = catalogue.providers.find((c) => c.name === best.name)?.defaultModel;
  const model = best.models.find((m) => m.id === wanted) ?? best.models[0];
  return `${best.name}/${model?.id}`;
}

/** One worker's offer, as the coordinator keeps it. */
export interface WorkerOffer {
  workerId: string;
  providers: ProviderConfig[];
  problems: ProviderProblem[];
}

/**
 * The cluster's effective model config without providers in the config file: the union of what live workers offer
 * (a provider's endpoint from the first worker offering it, its models merged), the file's aliases, and its
 * defaultModel when it names an offered model, else the preferred one.
 */
export function discoveredCluster(
  file: ClusterConfig,
  offers: readonly WorkerOffer[],
  catalogue: ModelCatalogue,
): ClusterConfig {
  const byName = new Map<string, ProviderConfig>();
  for (const offer of offers) {
    for (const provider of offer.providers) {
      const known = byName.get(provider.name);
      if (!known) {
        byName.set(provider.name, { ...provider, models: [...provider.models] });
        continue;
      }
      for (const model of provider.models) {
        if (!known.models.some((m) => m.id === model.id)) known.models.push(model);
      }
    }
  }
  const providers = [...byName.values()];
  const refs = new Set(providers.flatMap((p) => p.models.map((m) => `${p.name}/${m.id}`)));
  const fileDefault = file.aliases[file.defaultModel] ?? file.defaultModel;
  const defaultModel = fileDefault && refs.has(fileDefault) ? file.defaultModel : preferredModel(providers, catalogue);
  return { ...file, providers, defaultModel };
}
