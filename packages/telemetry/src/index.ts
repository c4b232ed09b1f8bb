/**
 * @pancode/telemetry: the JSON logger every component gets injected, and the only owner of the OpenTelemetry SDK.
 *
 * ```ts
 * const logger = createJsonLogger({ level: "info" }).child({ component: "coordinator" });
 * const otel = await startTelemetry({ serviceName: "pancode-coordinator", env: process.env });
 * await withSpan("admission", { "pancode.agent": agent }, async () => admit(request));
 * ```
 */
export {
  createJsonLogger,
  createLogger,
  type JsonLoggerOptions,
  type LogFormat,
  type Logger,
  type LoggerOptions,
  type LogLevel,
  type LogMeta,
  noopLogger,
} from "./logger.js";
export { startTelemetry, type TelemetryHandle, type TelemetryOptions } from "./otel.js";
export { type PrometheusEndpoint, type PrometheusEndpointOptions, startPrometheusEndpoint } from "./prometheus.js";
export { currentTraceparent, recordSpan, withSpan } from "./tracing.js";
