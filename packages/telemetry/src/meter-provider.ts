import type { IncomingMessage, ServerResponse } from "node:http";
import { type MeterProvider as ApiMeterProvider, metrics } from "@opentelemetry/api";

/** Who a process is, as every exported metric (and `target_info`) names it. */
export interface ServiceIdentity {
  /** `pancode-coordinator`, `pancode-worker`, `pancode-up`. */
  name: string;
  version: string;
  /** Unique per running process: the worker id, or host and pid. */
  instanceId: string;
}

/** Options of {@link createMeterProvider}. */
export interface MeterProviderOptions {
  service: ServiceIdentity;
  /** The process environment; only the standard OTEL_* variables are read. */
  env: Record<string, string | undefined>;
  /** Serve a Prometheus scrape (PANCODE_METRICS_LISTEN is set). */
  prometheus: boolean;
  /** Register as the process's global provider, with the Node runtime metrics. Tests of one component leave it off. */
  global: boolean;
}

/** The process's meters, and the Prometheus scrape handler when one was asked for. */
export interface Metrics {
  provider: ApiMeterProvider;
  /** Answers a scrape in the Prometheus text format; undefined when no Prometheus reader exists. */
  scrape?: (req: IncomingMessage, res: ServerResponse) => void;
  shutdown(): Promise<void>;
}

/** A provider that records nothing: no reader was asked for. */
const NO_METRICS: Metrics = { provider: metrics.getMeterProvider(), shutdown: async () => {} };

/**
 * OTLP metric export is on when OTEL_METRICS_EXPORTER names `otlp`, or when it is unset and an OTLP endpoint is
 * configured (the way the traces are turned on); `none` or OTEL_SDK_DISABLED turns it off.
 */
export function wantsOtlpMetrics(env: Record<string, string | undefined>): boolean {
  if (env.OTEL_SDK_DISABLED === "true") return false;
  const chosen = (env.OTEL_METRICS_EXPORTER ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (chosen.length > 0) return chosen.includes("otlp") && !chosen.includes("none");
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT);
}

/** OTEL_METRIC_EXPORT_INTERVAL (ms, the standard's default 60 s); the reader does not read it itself. */
function exportIntervalMs(env: Record<string, string | undefined>): number {
  const ms = Number(env.OTEL_METRIC_EXPORT_INTERVAL);
  return Number.isFinite(ms) && ms > 0 ? ms : 60_000;
}

/**
 * One MeterProvider for the process, with its identity as the resource: a Prometheus reader when a scrape endpoint
 * is wanted and an OTLP reader when the OTEL_* variables ask for one. Nothing is loaded when neither is wanted.
 */
export async function createMeterProvider(options: MeterProviderOptions): Promise<Metrics> {
  const otlp = wantsOtlpMetrics(options.env);
  if (!options.prometheus && !otlp) return NO_METRICS;
  const { MeterProvider, PeriodicExportingMetricReader } = await import("@opentelemetry/sdk-metrics");
  const { PrometheusExporter } = await import("@opentelemetry/exporter-prometheus");
  const readers = [];
  // Served by our own HTTP server (the ops listener), which also answers /healthz and /readyz.
  const prometheus = options.prometheus ? new PrometheusExporter({ preventServerStart: true }) : undefined;
  if (prometheus) readers.push(prometheus);
  if (otlp) {
    const { OTLPMetricExporter } = await import("@opentelemetry/exporter-metrics-otlp-http");
    const interval = exportIntervalMs(options.env);
    readers.push(
      new PeriodicExportingMetricReader({
        exporter: new OTLPMetricExporter(),
        exportIntervalMillis: interval,
        exportTimeoutMillis: Math.min(interval, 30_000),
      }),
    );
  }
  const provider = new MeterProvider({ resource: await resourceOf(options.service), readers });
  const stopRuntime = options.global ? await registerGlobally(provider) : () => {};
  return {
    provider,
    scrape: prometheus ? (req, res) => prometheus.getMetricsRequestHandler(req, res) : undefined,
    async shutdown() {
      stopRuntime();
      await provider.shutdown();
    },
  };
}

// OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES still win over our defaults, as operators expect.
async function resourceOf(service: ServiceIdentity) {
  const { defaultResource, detectResources, envDetector, resourceFromAttributes } = await import(
    "@opentelemetry/resources"
  );
  return defaultResource()
    .merge(
      resourceFromAttributes({
        "service.name": service.name,
        "service.version": service.version,
        "service.instance.id": service.instanceId,
      }),
    )
    .merge(detectResources({ detectors: [envDetector] }));
}

async function registerGlobally(provider: ApiMeterProvider): Promise<() => void> {
  metrics.setGlobalMeterProvider(provider);
  const { RuntimeNodeInstrumentation } = await import("@opentelemetry/instrumentation-runtime-node");
  const runtime = new RuntimeNodeInstrumentation();
  runtime.setMeterProvider(provider);
  runtime.enable();
  return () => runtime.disable();
}
