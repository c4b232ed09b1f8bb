import { readFile } from "node:fs/promises";
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { Logger } from "@pancode/telemetry";
import type { InProcessClient } from "../grpc/in-process.js";
import type { RunSubscription } from "../services/run-notifier.js";
import { API_ROUTES } from "./api-routes.js";
import { type ApiContext, type ApiHandler, HANDLED } from "./context.js";
import { credentialsOf } from "./credentials.js";
import { errorAnswer, HttpError } from "./errors.js";
import { Router } from "./router.js";
import { SECURITY_HEADERS } from "./security-headers.js";
import type { SessionStore } from "./sessions.js";
import { serveAsset } from "./static-assets.js";

/** Options of {@link startConsoleServer}. */
export interface ConsoleServerOptions {
  /** host:port (port 0 = any free one). */
  listen: string;
  /** PEM files of the gRPC listener's certificate when it serves TLS; plaintext otherwise. */
  tls?: { certPath: string; keyPath: string };
  /** The client service, called in-process as each request's caller. */
  api: InProcessClient;
  /** Where logins are kept (shared by every replica). */
  sessions: SessionStore;
  /** Wakes on any run's change, on this replica or another (the cluster-wide event stream). */
  runChanges: () => RunSubscription;
  /** Built console assets served at `/`; none = API only. */
  assetsDir?: string;
  logger: Logger;
}

/** A running console listener. */
export interface ConsoleServer {
  /** `http(s)://host:port/` it serves (the real port when 0 was asked for). */
  url: string;
  close(): Promise<void>;
}

const API_PREFIX = "/api/";

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    "Content-Type": "application/json; charset=utf-8",
    "Cache-Control": "no-store",
    "Content-Length": String(Buffer.byteLength(text)),
  });
  res.end(text);
}

/** Splits `host:port` (IPv6 hosts in brackets). */
function hostAndPort(listen: string): { host: string; port: number } {
  const colon = listen.lastIndexOf(":");
  const host = listen.slice(0, colon).replace(/^\[(.*)\]$/, "$1");
  return { host: host || "127.0.0.1", port: Number(listen.slice(colon + 1)) };
}

/**
 * The coordinator's console listener: `/api/v1` (JSON, the client service's roles and behaviour, called in-process)
 * and the console's static assets. Every answer carries the strict security headers.
 */
export async function startConsoleServer(options: ConsoleServerOptions): Promise<ConsoleServer> {
  const router = new Router<ApiHandler>(API_ROUTES);
  const { sessions } = options;
  const secure = Boolean(options.tls);

  async function handleApi(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const match = router.match(req.method ?? "GET", url.pathname);
    if (match.kind === "not-found") throw new HttpError(404, "not_found", `no API endpoint ${url.pathname}`);
    if (match.kind === "method-not-allowed") {
      throw new HttpError(405, "method_not_allowed", `${req.method} ${url.pathname}: use ${match.allow.join(", ")}`);
    }
    const credentials = await credentialsOf(req, (id) => sessions.get(id));
    const abort = new AbortController();
    res.on("close", () => abort.abort());
    const ctx: ApiContext = {
      req,
      res,
      url,
      params: match.params,
      token: credentials.token,
      sessionId: credentials.sessionId,
      api: options.api,
      sessions,
      runChanges: options.runChanges,
      secure,
      signal: abort.signal,
    };
    const answer = await match.handler(ctx);
    if (answer !== HANDLED) sendJson(res, answer.status ?? 200, answer.json, answer.headers);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
    const url = new URL(req.url ?? "/", "http://console.invalid");
    try {
      if (url.pathname.startsWith(API_PREFIX)) await handleApi(req, res, url);
      else await serveAsset(req, res, url.pathname, options.assetsDir);
    } catch (err) {
      const { status, body, internal } = errorAnswer(err);
      if (internal) options.logger.error("console request failed", { path: url.pathname, error: err as Error });
      if (!res.headersSent) sendJson(res, status, body);
      else res.end();
    }
  }

  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    void handle(req, res);
  };
  const server: Server = options.tls
    ? createHttpsServer(
        { cert: await readFile(options.tls.certPath), key: await readFile(options.tls.keyPath) },
        listener,
      )
    : createHttpServer(listener);
  const { host, port } = hostAndPort(options.listen);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  const boundPort = typeof address === "object" && address ? address.port : port;
  const shownHost = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host.includes(":") ? `[${host}]` : host;
  return {
    url: `${secure ? "https" : "http"}://${shownHost}:${boundPort}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Live event streams would hold close() open until their runs end.
        server.closeAllConnections();
      }),
  };
}
