import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Meter } from "@opentelemetry/api";
import { PanCodeError } from "@pancode/core";

/** Options of {@link startPrometheusEndpoint}. */
export interface PrometheusEndpointOptions {
  /** `host:port` to listen on; port 0 picks a free one (tests). */
  listen: string;
  /** Name of the meter the caller records with (the instrumentation scope). */
  meterName: string;
}

/** A running `/metrics` endpoint and the meter whose instruments it serves. */
export interface PrometheusEndpoint {
  meter: Meter;
  /** `http://host:port/metrics`, with the real port. */
  url: string;
  close(): Promise<void>;
}

/** Splits `host:port` (IPv6 hosts in brackets); callers validate the shape with their config. */
function splitListen(listen: string): { host: string; port: number } {
  const at = listen.lastIndexOf(":");
  const host = listen.slice(0, at).replace(/^\[|\]$/g, "") || "127.0.0.1";
  return { host, port: Number(listen.slice(at + 1)) };
}

/**
 * Serves OpenTelemetry metrics in the Prometheus text format at `GET /metrics` on `listen`. The meter comes from a
 * private MeterProvider (not the global one), so it works whether or not the OTLP SDK was started, and two
 * coordinators in one process (tests) do not share instruments. The SDK is loaded only when an endpoint is wanted.
 */
export async function startPrometheusEndpoint(options: PrometheusEndpointOptions): Promise<PrometheusEndpoint> {
  const { PrometheusExporter } = await import("@opentelemetry/exporter-prometheus");
  const { MeterProvider } = await import("@opentelemetry/sdk-metrics");
  // Our own HTTP server rather than the exporter's: it binds exactly `listen` and reports the port it got.
  const exporter = new PrometheusExporter({ preventServerStart: true });
  const provider = new MeterProvider({ readers: [exporter] });
  const server: Server = createServer((req, res) => {
    if (req.method === "GET" && (req.url ?? "").split("?")[0] === "/metrics") {
      exporter.getMetricsRequestHandler(req, res);
      return;
    }
    res.statusCode = 404;
    res.end("not found: metrics are served at /metrics\n");
  });
  const { host, port } = splitListen(options.listen);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host, port }, () => {
      server.off("error", reject);
      resolve();
    });
  }).catch(async (err: unknown) => {
    await provider.shutdown();
    throw new PanCodeError(
      "CONFIG_INVALID",
      `metrics endpoint cannot listen on ${options.listen}: ${(err as Error).message}`,
      { cause: err },
    );
  });
  const bound = server.address() as AddressInfo;
  const urlHost = bound.family === "IPv6" ? `[${bound.address}]` : bound.address;
  return {
    meter: provider.getMeter(options.meterName),
    url: `http://${urlHost}:${bound.port}/metrics`,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await provider.shutdown();
    },
  };
}
