import type { ProviderConfig } from "./cluster-config.js";

/**
 * A model engine that may run on the worker's own loopback. Each has the ecosystem's variable for where it
 * listens; set, the probe goes there and an unreachable engine is a warning (it was asked for), unset, the default
 * port is tried quietly.
 */
export interface LocalEngine {
  /** Provider name the engine's models get (`ollama/qwen2.5-coder:7b`). */
  name: "ollama" | "lmstudio" | "llamacpp";
  /** What users call it in messages. */
  title: string;
  envVar: string;
  defaultRoot: string;
  /** Path (from the root) that lists the engine's models. */
  listPath: string;
  /** Model ids from the list endpoint's JSON; [] when it is not that engine's answer. */
  parse(body: unknown): string[];
}

/** Model names from Ollama's `GET /api/tags` (`{ models: [{ name, model }] }`). */
export function parseOllamaTags(body: unknown): string[] {
  const models = (body as { models?: unknown })?.models;
  if (!Array.isArray(models)) return [];
  return models
    .map((m) => (m as { name?: unknown; model?: unknown })?.name ?? (m as { model?: unknown })?.model)
    .filter((n): n is string => typeof n === "string" && n.length > 0);
}

/** Model ids from an OpenAI-compatible `GET /v1/models` (`{ data: [{ id }] }`), as LM Studio and llama.cpp serve. */
export function parseOpenAiModels(body: unknown): string[] {
  const data = (body as { data?: unknown })?.data;
  if (!Array.isArray(data)) return [];
  return data
    .map((m) => (m as { id?: unknown })?.id)
    .filter((id): id is string => typeof id === "string" && id.length > 0);
}

/** Probe order is also the default-model preference among local engines. */
export const LOCAL_ENGINES: readonly LocalEngine[] = [
  {
    name: "ollama",
    title: "Ollama",
    envVar: "OLLAMA_HOST",
    defaultRoot: "http://127.0.0.1:11434",
    listPath: "/api/tags",
    parse: parseOllamaTags,
  },
  {
    name: "lmstudio",
    title: "LM Studio",
    envVar: "LMSTUDIO_BASE_URL",
    defaultRoot: "http://127.0.0.1:1234",
    listPath: "/v1/models",
    parse: parseOpenAiModels,
  },
  {
    name: "llamacpp",
    title: "llama.cpp server",
    envVar: "LLAMACPP_BASE_URL",
    defaultRoot: "http://127.0.0.1:8080",
    listPath: "/v1/models",
    parse: parseOpenAiModels,
  },
];

/**
 * The engine's root URL from its variable, in the forms the ecosystem writes it: `OLLAMA_HOST=0.0.0.0`,
 * `127.0.0.1:11434`, `:11434`, `http://host:port`, and `.../v1` for the OpenAI-style ones. A listen-on-all address
 * is reached on loopback. Null when the value is not an address.
 */
export function engineRoot(engine: LocalEngine, value: string): string | null {
  let text = value.trim();
  if (!text) return null;
  // Like Ollama: a bare host gets the engine's default port, a URL with a scheme keeps the scheme's.
  const bare = !/^https?:\/\//.test(text);
  if (bare) text = `http://${text.startsWith(":") ? `127.0.0.1${text}` : text}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return null;
  }
  if (url.hostname === "0.0.0.0" || url.hostname === "[::]") url.hostname = "127.0.0.1";
  if (bare && !url.port) url.port = new URL(engine.defaultRoot).port;
  const path = url.pathname.replace(/\/+$/, "").replace(/\/v1$/, "");
  return `${url.protocol}//${url.host}${path}`;
}

/** Where to probe `engine`: its variable when set (explicit), else the default port. */
export function engineAddress(
  engine: LocalEngine,
  env: Record<string, string | undefined>,
): { root: string | null; explicit: boolean } {
  const value = env[engine.envVar];
  if (value === undefined || value.trim() === "") return { root: engine.defaultRoot, explicit: false };
  return { root: engineRoot(engine, value), explicit: true };
}

/** What a probe found: a provider to offer, or a problem to report (only for engines the user pointed at). */
export type ProbeResult =
  | { engine: LocalEngine; provider: ProviderConfig }
  | { engine: LocalEngine; problem: string }
  | { engine: LocalEngine; absent: true };

/** The provider of an engine that answered with `models`: OpenAI chat at `<root>/v1`, no key, $0. */
export function localProvider(engine: LocalEngine, root: string, models: string[]): ProviderConfig {
  const free = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 };
  return {
    name: engine.name,
    api: "openai-completions",
    baseUrl: `${root}/v1`,
    apiKeyEnv: "",
    models: models.map((id) => ({ id, price: free })),
  };
}

function unreachable(engine: LocalEngine, root: string, why: string, remedy = "start it there"): string {
  return `${engine.title} at ${root} (${engine.envVar}) ${why}: ${remedy}, or unset ${engine.envVar}`;
}

/** Probes one engine with a short timeout. */
export async function probeEngine(
  engine: LocalEngine,
  env: Record<string, string | undefined>,
  timeoutMs = 1500,
): Promise<ProbeResult> {
  const { root, explicit } = engineAddress(engine, env);
  if (!root) {
    return {
      engine,
      problem: `${engine.envVar}="${env[engine.envVar]}" is not an address; set it like ${engine.defaultRoot}`,
    };
  }
  let body: unknown;
  try {
    const response = await fetch(`${root}${engine.listPath}`, { signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) {
      return explicit
        ? { engine, problem: unreachable(engine, root, `answered ${response.status} to ${engine.listPath}`) }
        : { engine, absent: true };
    }
    body = await response.json();
  } catch (err) {
    if (!explicit) return { engine, absent: true };
    // fetch wraps the socket's error: its code (ECONNREFUSED) or message says what happened.
    const inner = (err as { cause?: { code?: string; message?: string } }).cause;
    const cause = inner?.code ?? inner?.message ?? (err as Error).message;
    return { engine, problem: unreachable(engine, root, `is unreachable (${cause})`) };
  }
  const models = engine.parse(body);
  if (models.length > 0) return { engine, provider: localProvider(engine, root, models) };
  if (!explicit) return { engine, absent: true };
  return { engine, problem: unreachable(engine, root, "lists no models", "load or pull a model") };
}

/** Probes every local engine at once. */
export function probeLocalEngines(env: Record<string, string | undefined>, timeoutMs?: number): Promise<ProbeResult[]> {
  return Promise.all(LOCAL_ENGINES.map((engine) => probeEngine(engine, env, timeoutMs)));
}
