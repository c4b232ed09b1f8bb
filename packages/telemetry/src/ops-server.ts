import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Meter } from "@opentelemetry/api";
import { PanCodeError } from "@pancode/core";

/** One readiness check: a name operators recognise and a probe that throws when the dependency is not usable. */
export interface ReadinessCheck {
  name: string;
  probe: () => Promise<void>;
}

/** What `/readyz` says about one check. */
export interface CheckResult {
  name: string;
  state: "ok" | "failing";
  /** Why it fails (absent when ok). */
  error?: string;
}

/** Options of {@link startOpsServer}. */
export interface OpsServerOptions {
  /** `host:port` to listen on; port 0 picks a free one (tests). */
  listen: string;
  /** Answers `GET /metrics` (the Prometheus reader's handler); 404 when absent. */
  scrape?: (req: IncomingMessage, res: ServerResponse) => void;
  /** Checked on every `GET /readyz`, all at once. */
  readiness: ReadinessCheck[];
  /** A probe slower than this counts as failing (a hung database is not ready). @default 2000 */
  probeTimeoutMs?: number;
}

/** The running listener. */
export interface OpsServer {
  /** `http://host:port`, with the real port. */
  baseUrl: string;
  close(): Promise<void>;
}

/** Splits `host:port` (IPv6 hosts in brackets); callers validate the shape with their config. */
function splitListen(listen: string): { host: string; port: number } {
  const at = listen.lastIndexOf(":");
  const host = listen.slice(0, at).replace(/^\[|\]$/g, "") || "127.0.0.1";
  return { host, port: Number(listen.slice(at + 1)) };
}

/** Runs every check at once; each gets `timeoutMs` to answer. */
export async function runChecks(checks: ReadinessCheck[], timeoutMs: number): Promise<CheckResult[]> {
  return Promise.all(
    checks.map(async ({ name, probe }): Promise<CheckResult> => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      });
      try {
        await Promise.race([probe(), timeout]);
        return { name, state: "ok" };
      } catch (err) {
        return { name, state: "failing", error: err instanceof Error ? err.message : String(err) };
      } finally {
        clearTimeout(timer);
      }
    }),
  );
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(`${JSON.stringify(body)}\n`);
}

/**
 * The operations listener of a process (PANCODE_METRICS_LISTEN): `GET /metrics` (Prometheus text format),
 * `GET /healthz` (the process answers: 200) and `GET /readyz` (200 when every check passes, else 503), the latter
 * with a JSON body naming each check and its state.
 */
export async function startOpsServer(options: OpsServerOptions): Promise<OpsServer> {
  const timeoutMs = options.probeTimeoutMs ?? 2000;
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "").split("?")[0];
    if (req.method !== "GET") return sendJson(res, 405, { error: "only GET is served here" });
    if (path === "/metrics" && options.scrape) return options.scrape(req, res);
    if (path === "/healthz") return sendJson(res, 200, { status: "alive" });
    if (path === "/readyz") {
      void runChecks(options.readiness, timeoutMs).then((checks) => {
        const ready = checks.every((c) => c.state === "ok");
        sendJson(res, ready ? 200 : 503, { status: ready ? "ready" : "not ready", checks });
      });
      return;
    }
    sendJson(res, 404, { error: "not found: /metrics, /healthz and /readyz are served here" });
  });
  const { host, port } = splitListen(options.listen);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host, port }, () => {
      server.off("error", reject);
      resolve();
    });
  }).catch((err: unknown) => {
    throw new PanCodeError(
      "CONFIG_INVALID",
      `metrics endpoint cannot listen on ${options.listen}: ${(err as Error).message}`,
      { cause: err },
    );
  });
  const bound = server.address() as AddressInfo;
  const urlHost = bound.family === "IPv6" ? `[${bound.address}]` : bound.address;
  return {
    baseUrl: `http://${urlHost}:${bound.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** `pancode_ready`: 1 when every readiness check passes at collection time, else 0 (the alert rules read it). */
export function observeReadiness(meter: Meter, checks: ReadinessCheck[], timeoutMs = 2000): void {
  meter
    .createObservableGauge("pancode.ready", { description: "1 when the process is ready (GET /readyz answers 200)" })
    .addCallback(async (result) => {
      const results = await runChecks(checks, timeoutMs);
      result.observe(results.every((c) => c.state === "ok") ? 1 : 0);
    });
}
