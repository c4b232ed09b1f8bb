/** The wire formats the proxy understands (for credentials, metering and error shapes). */
export type ProxyApi = "openai-completions" | "openai-responses" | "anthropic-messages" | "google";

/** One upstream the agent may reach as `/<name>/…`. `apiKey` "" means none (local engines such as Ollama). */
export interface ProxyProvider {
  name: string;
  api: ProxyApi;
  baseUrl: string;
  apiKey: string;
}

/** USD per million tokens. */
export interface ProxyPrice {
  input: number;
  output: number;
  cacheRead?: number;
  cacheWrite?: number;
}

/** One model call as the proxy saw it. Tokens come from the provider's response, never from the agent. */
export interface MeteredCall {
  provider: string;
  model: string;
  api: ProxyApi;
  status: number;
  streamed: boolean;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  costUsd: number;
  startedAt: string;
  durationMs: number;
  ttfbMs: number;
  error?: string;
}

export interface RunProxyOptions {
  /** Listen on this Unix socket path (the caller owns the directory; the socket file is made 0666 so the container user can connect). */
  socketPath: string;
  /** The per-run proxy token the agent sends in place of an API key (Authorization: Bearer, x-api-key, x-goog-api-key, or ?key=); anything else is 401 in the provider's format. */
  runToken: string;
  providers: ProxyProvider[];
  /** Price of a model; undefined prices the call at $0. */
  priceOf(provider: string, model: string): ProxyPrice | undefined;
  /** Refuse further model calls once the metered cost reaches this (USD); undefined = no cap. */
  capUsd?: number;
  /** Hosts (host:port) the agent may reach through HTTP CONNECT (HTTPS_PROXY); empty = CONNECT refused. */
  egressAllow?: string[];
  onCall?(call: MeteredCall): void;
  /** Called once when a call is refused because the cap was reached. */
  onCapReached?(spentUsd: number): void;
  /** Called for every refused CONNECT / unknown route (for the audit trail). */
  onRefused?(what: { kind: "connect" | "route" | "auth"; target: string }): void;
}

/** Totals over every metered call of the run. */
export interface ProxyUsage {
  calls: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  costUsd: number;
  models: string[];
}

export interface RunProxy {
  socketPath: string;
  /** Totals so far. */
  usage(): ProxyUsage;
  calls(): MeteredCall[];
  close(): Promise<void>;
}

/** Token counts of one call, normalised: `input` excludes cached tokens (Anthropic semantics). */
export interface TokenCounts {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
}
