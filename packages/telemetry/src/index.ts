/**
 * @pancode/telemetry: the structured logger every component gets injected, and the only owner of the OpenTelemetry
 * SDK (traces, the process's one MeterProvider, and the ops listener serving /metrics, /healthz and /readyz).
 *
 * ```ts
 * const logger = createLogger({ level: "info" }).child({ component: "coordinator" });
 * const otel = await startTelemetry({ serviceName: "pancode-coordinator", env: process.env });
 * const metrics = await createMeterProvider({ service, env: process.env, prometheus: true, global: true });
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
export {
  createMeterProvider,
  type MeterProviderOptions,
  type Metrics,
  type ServiceIdentity,
  wantsOtlpMetrics,
} from "./meter-provider.js";
export {
  type CheckResult,
  type OpsServer,
  type OpsServerOptions,
  observeReadiness,
  type ReadinessCheck,
  runChecks,
  startOpsServer,
} from "./ops-server.js";
export { startTelemetry, type TelemetryHandle, type TelemetryOptions } from "./otel.js";
export { isSecretName, REDACTED, redactSecrets } from "./redact.js";
export { currentTraceparent, recordSpan, withSpan } from "./tracing.js";
