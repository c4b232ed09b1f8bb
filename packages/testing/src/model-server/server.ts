import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { type LoggerPort, PanCodeError } from "@pancode/core";
import { handleAnthropicModels, handleCountTokens, handleMessages } from "./anthropic-messages.js";
import { handleGemini, handleGeminiModels } from "./gemini.js";
import type { Exchange } from "./http-io.js";
import { readJsonBody } from "./http-io.js";
import { handleChatCompletions, handleOllamaTags, handleOpenAiModels } from "./openai-chat.js";
import { handleResponses } from "./openai-responses.js";
import { errorFamilyOf, sendProviderError } from "./provider-errors.js";
import type { RecordedRequest } from "./recorded-request.js";
import { isObject, newRecord } from "./recorded-request.js";
import type { Scenario } from "./scenario.js";
import { isSingleScenario, parseScenario } from "./scenario.js";

/** Model id listed by the models endpoints when one scenario serves every model. */
export const DEFAULT_MODEL_ID = "scripted";

/** Optional sink for the server's own failures (handler bugs); requests themselves are in `requests`. */
export type ModelServerLogger = LoggerPort;

/** Options for {@link startModelServer}. */
export interface ModelServerOptions {
  /**
   * One scenario answering every model, or scenarios by requested model id; the key `"*"` serves models not listed.
   * A model with no scenario gets a 404 in the provider's error shape.
   */
  scenarios: Scenario | Record<string, Scenario>;
  /** Loopback address to listen on; anything else is refused. @default "127.0.0.1" */
  host?: string;
  /** @default 0 (a free port) */
  port?: number;
  logger?: ModelServerLogger;
}

/** A running scripted model server. */
export interface ModelServer {
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** `${url}/v1`: base URL for OpenAI SDKs and OpenAI-compatible agent configs (chat completions, responses). */
  openaiBaseUrl: string;
  /** `${url}`: Anthropic SDKs append `/v1/messages`. */
  anthropicBaseUrl: string;
  /** `${url}`: Google GenAI SDKs append `/v1beta/models/…`. */
  geminiBaseUrl: string;
  /** Every request received, in arrival order (a live array). */
  requests: RecordedRequest[];
  /** Closes the server, ending open streams and pending delays. Idempotent. */
  stop(): Promise<void>;
}

type Handler = (ex: Exchange) => Promise<void> | void;

interface Route {
  method: "GET" | "POST";
  path: RegExp;
  handler: Handler;
}

const routes: Route[] = [
  { method: "POST", path: /^\/v1\/chat\/completions$/, handler: handleChatCompletions },
  { method: "POST", path: /^\/v1\/responses$/, handler: handleResponses },
  { method: "POST", path: /^\/v1\/messages$/, handler: handleMessages },
  { method: "POST", path: /^\/v1\/messages\/count_tokens$/, handler: handleCountTokens },
  { method: "POST", path: /^\/(v1beta|v1alpha|v1)\/models\/[^/:]+:[A-Za-z]+$/, handler: handleGemini },
  { method: "GET", path: /^\/(v1beta|v1alpha)\/models$/, handler: handleGeminiModels },
  { method: "GET", path: /^\/api\/tags$/, handler: handleOllamaTags },
];

/**
 * Starts a scripted model server on loopback that speaks the real OpenAI Chat Completions, OpenAI Responses,
 * Anthropic Messages and Gemini generateContent wire formats, answering each conversation with the scenario turn
 * at index "assistant messages already in its history". Real SDKs and agent CLIs run against it unmodified.
 */
export async function startModelServer(options: ModelServerOptions): Promise<ModelServer> {
  const host = options.host ?? "127.0.0.1";
  if (!["127.0.0.1", "::1", "localhost"].includes(host)) {
    throw new PanCodeError("INVALID_ARGUMENT", `model server listens on loopback only, not on ${host}`);
  }
  const { scenarioFor, modelIds } = resolveScenarios(options.scenarios);
  const requests: RecordedRequest[] = [];
  const stopping = new AbortController();
  const server = createServer((req, res) => {
    void serve({ req, res, requests, scenarioFor, modelIds, stopSignal: stopping.signal, logger: options.logger });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (err) =>
      reject(
        new PanCodeError("UNAVAILABLE", `model server cannot listen on ${host}:${options.port ?? 0}`, { cause: err }),
      ),
    );
    server.listen(options.port ?? 0, host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
  let stopped: Promise<void> | undefined;
  return {
    url,
    openaiBaseUrl: `${url}/v1`,
    anthropicBaseUrl: url,
    geminiBaseUrl: url,
    requests,
    stop: () => {
      stopped ??= new Promise<void>((resolve) => {
        stopping.abort();
        server.close(() => resolve());
        // Keep-alive sockets and streams held open by delays would otherwise keep close() waiting.
        server.closeAllConnections();
      });
      return stopped;
    },
  };
}

function resolveScenarios(scenarios: ModelServerOptions["scenarios"]): {
  scenarioFor: (model: string) => Scenario | undefined;
  modelIds: string[];
} {
  if (isSingleScenario(scenarios)) {
    const scenario = parseScenario(scenarios, `"${String((scenarios as { name?: unknown }).name)}"`);
    return { scenarioFor: () => scenario, modelIds: [DEFAULT_MODEL_ID] };
  }
  const byModel = new Map<string, Scenario>();
  for (const [model, scenario] of Object.entries(scenarios))
    byModel.set(model, parseScenario(scenario, `for model "${model}"`));
  return {
    scenarioFor: (model) => byModel.get(model) ?? byModel.get("*"),
    modelIds: [...byModel.keys()].filter((model) => model !== "*"),
  };
}

interface ServeContext {
  req: IncomingMessage;
  res: ServerResponse;
  requests: RecordedRequest[];
  scenarioFor: (model: string) => Scenario | undefined;
  modelIds: string[];
  stopSignal: AbortSignal;
  logger?: ModelServerLogger;
}

async function serve(ctx: ServeContext): Promise<void> {
  const { req, res } = ctx;
  const url = new URL(req.url ?? "/", "http://model-server");
  const record = newRecord(req.method ?? "GET", url, req.headers);
  ctx.requests.push(record);
  const family = errorFamilyOf(url.pathname, record.headers);
  const clientGone = new AbortController();
  res.on("close", () => {
    if (!res.writableFinished) clientGone.abort();
  });
  const signal = AbortSignal.any([ctx.stopSignal, clientGone.signal]);
  const partial = { res, record };
  try {
    const route = findRoute(req.method ?? "GET", url.pathname, record.headers);
    if (!route) {
      req.resume();
      sendProviderError(partial, family, 404, `Unknown route: ${req.method} ${url.pathname}`);
      return;
    }
    let body: Record<string, unknown> = {};
    if (route.method === "POST") {
      const read = await readJsonBody(req);
      if (!("value" in read)) {
        sendProviderError(partial, family, read.status, read.message);
        return;
      }
      record.body = read.value;
      if (!isObject(read.value)) {
        sendProviderError(partial, family, 400, "request body must be a JSON object");
        return;
      }
      body = read.value;
    }
    await route.handler({ res, url, body, record, signal, scenarioFor: ctx.scenarioFor, modelIds: ctx.modelIds });
  } catch (err) {
    if (signal.aborted) return; // the client left or the server stopped: nobody to answer
    ctx.logger?.error("model server handler failed", { path: url.pathname, error: String(err) });
    if (!res.headersSent) sendProviderError(partial, family, 500, `model server error: ${String(err)}`);
    else res.destroy();
  }
}

function findRoute(method: string, path: string, headers: Record<string, string>): Route | undefined {
  if (method === "GET" && path === "/v1/models") {
    // The same path serves both SDKs; the Anthropic ones always send anthropic-version.
    const handler = headers["anthropic-version"] !== undefined ? handleAnthropicModels : handleOpenAiModels;
    return { method: "GET", path: /^/, handler };
  }
  return routes.find((route) => route.method === method && route.path.test(path));
}
