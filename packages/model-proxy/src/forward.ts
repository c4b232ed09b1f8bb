import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from "node:http";
import http from "node:http";
import https from "node:https";
import { upstreamHeaders, upstreamUrl } from "./credentials.js";
import type { ModelRequest } from "./model-request.js";
import { sendRefusal } from "./refusals.js";
import { endCallSpan, startCallSpan } from "./span.js";
import type { MeteredCall, ProxyPrice, ProxyProvider } from "./types.js";
import { priceTokens } from "./usage-extract.js";
import { UsageMeter } from "./usage-meter.js";

/** Response headers that describe the upstream hop, not the body; Node sets its own for the agent's hop. */
const HOP_RESPONSE_HEADERS = new Set(["connection", "keep-alive", "transfer-encoding", "trailer", "upgrade"]);

/** Keep-alive agents shared by one proxy's upstream requests. */
export interface UpstreamAgents {
  http: http.Agent;
  https: https.Agent;
}

export interface ForwardArgs {
  req: IncomingMessage;
  res: ServerResponse;
  provider: ProxyProvider;
  /** Path after `/<provider>` and the agent's query. */
  rest: string;
  search: URLSearchParams;
  request: ModelRequest;
  /** Metered and reported when true (a model call); otherwise just relayed. */
  metered: boolean;
  agents: UpstreamAgents;
  priceOf(provider: string, model: string): ProxyPrice | undefined;
  onCall(call: MeteredCall): void;
}

/**
 * Sends the request upstream with the real key and relays the answer as it arrives: status and headers unchanged,
 * every body chunk written to the agent as soon as it is read, a copy fed to the usage meter. A broken upstream
 * ends the agent's response the same way (destroyed), and the call is recorded with what was metered so far.
 */
export function forward(args: ForwardArgs): void {
  const { req, res, provider, request } = args;
  const started = Date.now();
  const target = upstreamUrl(provider.baseUrl, args.rest, args.search);
  const span = args.metered ? startCallSpan(request.api, provider.name, request.model) : undefined;
  let status = 0;
  let ttfbMs = 0;
  let meter: UsageMeter | undefined;
  let finished = false;
  const finish = (error?: string): void => {
    if (finished) return;
    finished = true;
    if (!args.metered || !span) return;
    meter?.end();
    const counts = meter?.counts ?? { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 };
    // A successful answer without usage is charged $0; say so, so the caller can audit it.
    const problem = error ?? (status < 300 && !meter?.sawUsage ? "no usage in the provider's answer" : undefined);
    const call: MeteredCall = {
      provider: provider.name,
      model: request.model,
      api: request.api,
      status,
      streamed: request.streamed,
      inputTokens: counts.input,
      outputTokens: counts.output,
      cacheReadTokens: counts.cacheRead,
      cacheWriteTokens: counts.cacheWrite,
      costUsd: priceTokens(counts, args.priceOf(provider.name, request.model)),
      startedAt: new Date(started).toISOString(),
      durationMs: Date.now() - started,
      ttfbMs,
      ...(problem ? { error: problem } : {}),
    };
    endCallSpan(span, call);
    args.onCall(call);
  };

  const headers = upstreamHeaders(req.headers, provider, target.host);
  headers["content-length"] = String(request.body.length);
  if (request.decoded) delete headers["content-encoding"];
  // The meter reads a copy of the body, so it must be plain bytes; providers then answer uncompressed.
  headers["accept-encoding"] = "identity";
  const client = target.protocol === "https:" ? https : http;
  const upstream = client.request(target, {
    method: req.method,
    headers,
    agent: target.protocol === "https:" ? args.agents.https : args.agents.http,
  });
  upstream.on("response", (upRes) => {
    status = upRes.statusCode ?? 502;
    ttfbMs = Date.now() - started;
    meter = new UsageMeter(request.api, String(upRes.headers["content-type"] ?? "").includes("text/event-stream"));
    res.writeHead(status, upRes.statusMessage, relayedHeaders(upRes.headers));
    res.flushHeaders();
    upRes.on("data", (chunk: Buffer) => {
      meter?.write(chunk);
      if (!res.write(chunk)) {
        upRes.pause();
        res.once("drain", () => upRes.resume());
      }
    });
    upRes.on("end", () => {
      res.end();
      finish(status >= 400 ? `provider answered ${status}` : undefined);
    });
    upRes.on("error", () => {
      res.destroy();
      finish("upstream stream broke");
    });
    upRes.on("close", () => {
      if (upRes.complete) return;
      res.destroy();
      finish("upstream stream broke");
    });
  });
  upstream.on("error", (err) => {
    if (!res.headersSent) {
      status = 502;
      sendRefusal(res, request.api, "upstream", `model proxy cannot reach ${provider.name}: ${err.message}`);
    } else res.destroy();
    finish(`upstream unreachable: ${err.message}`);
  });
  res.on("close", () => {
    if (res.writableFinished) return;
    // The agent left: stop paying for an answer nobody reads.
    upstream.destroy();
    finish("agent closed the connection");
  });
  upstream.end(request.body);
}

function relayedHeaders(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_RESPONSE_HEADERS.has(name)) out[name] = value;
  }
  return out;
}
