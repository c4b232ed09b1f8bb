/** Options of {@link startTelemetry}. */
export interface TelemetryOptions {
  serviceName: string;
  /** The process environment; only standard OTEL_* variables are read. */
  env: Record<string, string | undefined>;
}

/** Handle of a started SDK. */
export interface TelemetryHandle {
  enabled: boolean;
  shutdown(): Promise<void>;
}

/**
 * Starts the OpenTelemetry NodeSDK for traces when the standard variables ask for an exporter
 * (OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_TRACES_EXPORTER); metrics are {@link createMeterProvider}'s. Otherwise nothing is loaded: with no exporter configured, tracing
 * costs nothing beyond @opentelemetry/api's no-op tracer. W3C trace-context propagation is always installed, so
 * traceparent still flows CLI -> coordinator -> bus -> worker -> container even when nothing is exported.
 */
export async function startTelemetry(options: TelemetryOptions): Promise<TelemetryHandle> {
  const { propagation } = await import("@opentelemetry/api");
  const { W3CTraceContextPropagator } = await import("@opentelemetry/core");
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  const env = options.env;
  const wanted =
    Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT) ||
    Boolean(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) ||
    (env.OTEL_TRACES_EXPORTER !== undefined && env.OTEL_TRACES_EXPORTER !== "none");
  if (!wanted || env.OTEL_SDK_DISABLED === "true") return { enabled: false, shutdown: async () => {} };
  const { NodeSDK } = await import("@opentelemetry/sdk-node");
  process.env.OTEL_SERVICE_NAME ??= options.serviceName;
  const sdk = new NodeSDK({ serviceName: options.serviceName });
  // Metrics have their own provider (createMeterProvider, one per process): the SDK must not build a second one
  // from OTEL_METRICS_EXPORTER, and it reads that variable from process.env only.
  const metricsExporter = process.env.OTEL_METRICS_EXPORTER;
  process.env.OTEL_METRICS_EXPORTER = "none";
  try {
    sdk.start();
  } finally {
    if (metricsExporter === undefined) delete process.env.OTEL_METRICS_EXPORTER;
    else process.env.OTEL_METRICS_EXPORTER = metricsExporter;
  }
  return { enabled: true, shutdown: () => sdk.shutdown() };
}
