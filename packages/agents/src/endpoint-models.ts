import type { ProviderConfig } from "./cluster-config.js";
import { parseOpenAiModels } from "./local-engines.js";
import type { ModelCatalogue } from "./model-catalogue.js";
import { type Discovered, declareHint } from "./provider-discovery.js";

/** Model ids from Gemini's `GET /v1beta/models` (`{ models: [{ name: "models/<id>" }] }`). */
export function parseGeminiModels(body: unknown): string[] {
  const models = (body as { models?: unknown })?.models;
  if (!Array.isArray(models)) return [];
  return models
    .map((m) => (m as { name?: unknown })?.name)
    .filter((n): n is string => typeof n === "string" && n.length > 0)
    .map((n) => n.replace(/^models\//, ""));
}

/** The list-models request of a provider's API, authenticated the way that API wants its key. */
function listRequest(provider: ProviderConfig, baseUrl: string, key: string): { url: string; init: RequestInit } {
  if (provider.api === "anthropic-messages") {
    return { url: `${baseUrl}/v1/models`, init: { headers: { "x-api-key": key, "anthropic-version": "2023-06-01" } } };
  }
  if (provider.api === "google") return { url: `${baseUrl}/models`, init: { headers: { "x-goog-api-key": key } } };
  return { url: `${baseUrl}/models`, init: { headers: { authorization: `Bearer ${key}` } } };
}

/**
 * The models an endpoint lists, or null when it would not say (no list endpoint, an error, a timeout): then it is
 * taken at its word that it serves the catalogue's models.
 */
export async function listEndpointModels(
  provider: ProviderConfig,
  baseUrl: string,
  key: string,
  timeoutMs = 3000,
): Promise<string[] | null> {
  const { url, init } = listRequest(provider, baseUrl, key);
  try {
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) return null;
    const body = await response.json();
    const ids = provider.api === "google" ? parseGeminiModels(body) : parseOpenAiModels(body);
    return ids.length > 0 ? ids : null;
  } catch {
    return null;
  }
}

/**
 * A provider moved by its `*_BASE_URL` may be another vendor behind a compatible API: the endpoint's own list of
 * models decides. The catalogue's models it lists are offered; one listing none of them is a problem saying how to
 * declare its models instead.
 */
export async function checkMovedEndpoints(
  found: Discovered,
  catalogue: ModelCatalogue,
  env: Record<string, string | undefined>,
): Promise<Discovered> {
  const providers: ProviderConfig[] = [];
  const problems = [...found.problems];
  for (const provider of found.providers) {
    const entry = catalogue.providers.find((c) => c.name === provider.name);
    const key = found.secrets[provider.apiKeyEnv];
    if (!entry || !provider.baseUrl || !key) {
      providers.push(provider);
      continue;
    }
    const listed = await listEndpointModels(provider, provider.baseUrl, key);
    const served = listed ? provider.models.filter((m) => listed.includes(m.id)) : provider.models;
    if (served.length > 0) {
      providers.push({ ...provider, models: served });
      continue;
    }
    const shown = (listed ?? []).slice(0, 5).join(", ");
    problems.push({
      provider: provider.name,
      message: `${entry.baseUrlEnv}=${env[entry.baseUrlEnv]} lists none of the catalogue's ${provider.name} models (it has: ${shown}); ${declareHint("<name>", provider.apiKeyEnv)}`,
    });
  }
  return { providers, secrets: found.secrets, problems };
}
