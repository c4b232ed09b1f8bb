import { ConfigError } from "@pancode/config";
import { createLogger, createMeterProvider, type LoggerOptions, startTelemetry } from "@pancode/telemetry";
import { loadCoordinatorConfig } from "./config.js";
import { COORDINATOR_VERSION, startCoordinator } from "./coordinator.js";
import { coordinatorService } from "./ops.js";

/**
 * Runs the coordinator as a long-lived service configured from `env`, logging in `log`'s format (JSON unless told)
 * (`pancode-server coordinator`): SIGTERM or SIGINT drains (no new admissions, running runs get the grace period) and exits 0.
 */
export async function runCoordinatorService(
  env: Record<string, string | undefined>,
  log: Pick<LoggerOptions, "format" | "color"> = {},
): Promise<void> {
  let config: ReturnType<typeof loadCoordinatorConfig>;
  try {
    config = loadCoordinatorConfig(env);
  } catch (err) {
    process.stderr.write(`${err instanceof ConfigError ? err.message : String(err)}\n`);
    process.exit(2);
  }
  const telemetry = await startTelemetry({ serviceName: "pancode-coordinator", env });
  // The process's one MeterProvider: Prometheus on PANCODE_METRICS_LISTEN, OTLP when the OTEL_* variables say so.
  const metrics = await createMeterProvider({
    service: coordinatorService(COORDINATOR_VERSION),
    env,
    prometheus: Boolean(config.metrics.listen),
    global: true,
  });
  const logger = createLogger({ ...log, level: config.logLevel }).child({ component: "coordinator" });
  const coordinator = await startCoordinator({ config, logger, metrics });
  process.stderr.write(`pancode coordinator listening on ${coordinator.address}\n`);
  if (coordinator.consoleUrl) process.stderr.write(`pancode console: ${coordinator.consoleUrl}\n`);
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await coordinator.drain();
    await coordinator.close();
    await metrics.shutdown();
    await telemetry.shutdown();
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop());
  process.on("SIGINT", () => void stop());
}
