import { chmod, lstat, unlink } from "node:fs/promises";
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import https from "node:https";
import type { Duplex } from "node:stream";
import { handleConnect } from "./connect.js";
import { carriesRunToken } from "./credentials.js";
import { forward, type UpstreamAgents } from "./forward.js";
import { Ledger } from "./ledger.js";
import { inspectRequest, isModelCall } from "./model-request.js";
import { guessApi, sendRefusal } from "./refusals.js";
import type { ProxyProvider, RunProxy, RunProxyOptions } from "./types.js";

/** Larger request bodies are refused (413) rather than buffered. */
const MAX_REQUEST_BYTES = 64 * 1024 * 1024;

/**
 * Starts one run's model proxy on a Unix socket. The agent's base URL is `http://127.0.0.1:PORT/<provider name>`
 * plus whatever suffix that provider's CLI expects (`/v1` for OpenAI SDKs, nothing for Anthropic and Gemini); the
 * forwarder in the container maps its loopback port to this socket. `/<provider>/<rest>` goes to
 * `provider.baseUrl + /<rest>`, a repeated version segment (`baseUrl` ending `/v1`, path starting `/v1/`) dropped.
 */
export async function startRunProxy(given: RunProxyOptions): Promise<RunProxy> {
  const options = withGuardedHooks(given);
  const providers = new Map(options.providers.map((provider) => [provider.name, provider]));
  const ledger = new Ledger(options.capUsd, options.onCapReached);
  const agents: UpstreamAgents = {
    http: new http.Agent({ keepAlive: true }),
    https: new https.Agent({ keepAlive: true }),
  };
  const context: ServeContext = { options, providers, ledger, agents };
  const server = http.createServer((req, res) => {
    serve(context, req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.destroy();
    });
  });
  // Tunnels leave the HTTP server's bookkeeping, so close() ends them from this set.
  const tunnels = new Set<Duplex>();
  server.on("connect", (req, socket, head) => {
    tunnels.add(socket);
    socket.once("close", () => tunnels.delete(socket));
    handleConnect(req, socket, head, options.egressAllow ?? [], (target) =>
      options.onRefused?.({ kind: "connect", target }),
    );
  });
  server.on("clientError", (_err, socket) => socket.destroy());
  await removeStaleSocket(options.socketPath);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.socketPath, () => {
      server.off("error", reject);
      resolve();
    });
  });
  // The agent runs as another user inside its container and must be able to connect.
  await chmod(options.socketPath, 0o666);
  let closed: Promise<void> | undefined;
  return {
    socketPath: options.socketPath,
    usage: () => ledger.usage(),
    calls: () => ledger.calls(),
    close: () => {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        for (const tunnel of tunnels) tunnel.destroy();
        agents.http.destroy();
        agents.https.destroy();
      });
      return closed;
    },
  };
}

interface ServeContext {
  options: RunProxyOptions;
  providers: Map<string, ProxyProvider>;
  ledger: Ledger;
  agents: UpstreamAgents;
}

async function serve(ctx: ServeContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { options, ledger } = ctx;
  const url = new URL(req.url ?? "/", "http://model-proxy");
  const [, name = "", rest = "/"] = /^\/([^/]*)(\/.*)?$/.exec(url.pathname) ?? [];
  const provider = ctx.providers.get(decodeURIComponent(name));
  if (!provider) {
    req.resume();
    options.onRefused?.({ kind: "route", target: `${req.method} ${url.pathname}` });
    sendRefusal(
      res,
      guessApi(url.pathname),
      "route",
      `model proxy: no provider "${name}" (known: ${[...ctx.providers.keys()].join(", ")})`,
    );
    return;
  }
  if (!carriesRunToken(req.headers, url, options.runToken)) {
    req.resume();
    options.onRefused?.({ kind: "auth", target: `${req.method} ${url.pathname}` });
    sendRefusal(res, provider.api, "auth", "model proxy: invalid API key (use the run's proxy token)");
    return;
  }
  const metered = isModelCall(req.method ?? "GET", rest);
  if (metered && ledger.refuses()) {
    req.resume();
    const message = `run cost cap reached: $${ledger.spentUsd.toFixed(4)} of $${String(options.capUsd)} spent`;
    sendRefusal(res, provider.api, "cap", message);
    return;
  }
  const raw = await readBody(req);
  if (!raw) {
    res.writeHead(413, { "content-type": "text/plain" }).end("request body too large\n");
    return;
  }
  const request = inspectRequest(provider.api, rest, req.headers, raw);
  if ("refused" in request) {
    sendRefusal(res, provider.api, "encoding", `model proxy: ${request.refused}`);
    return;
  }
  forward({
    req,
    res,
    provider,
    rest,
    search: url.searchParams,
    request,
    metered,
    agents: ctx.agents,
    priceOf: options.priceOf,
    onCall: (call) => {
      ledger.record(call);
      options.onCall?.(call);
    },
  });
}

/** The whole request body, or undefined past {@link MAX_REQUEST_BYTES}. */
async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_REQUEST_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** A socket file left by a crashed proxy would make listen fail with EADDRINUSE; anything else is left alone. */
async function removeStaleSocket(path: string): Promise<void> {
  const stat = await lstat(path).catch(() => undefined);
  if (stat?.isSocket()) await unlink(path);
}

/**
 * The caller's hooks, made unable to throw into the proxy: they run inside socket event handlers, where an
 * exception would take the whole worker down. A failing hook is skipped; the proxy keeps serving.
 */
function withGuardedHooks(options: RunProxyOptions): RunProxyOptions {
  const guard =
    <A extends unknown[]>(hook: ((...args: A) => void) | undefined) =>
    (...args: A): void => {
      try {
        hook?.(...args);
      } catch {
        // The hook's owner logs its own failures; the proxy must not die of them.
      }
    };
  return {
    ...options,
    onCall: guard(options.onCall?.bind(options)),
    onCapReached: guard(options.onCapReached?.bind(options)),
    onRefused: guard(options.onRefused?.bind(options)),
  };
}
