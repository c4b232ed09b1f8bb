import { ConfigError } from "@pancode/config";
import { createLogger, createMeterProvider, type LoggerOptions, startTelemetry } from "@pancode/telemetry";
import { loadWorkerConfig } from "./config.js";
import { startWorker, WORKER_VERSION } from "./worker.js";
import { claimWorkerId } from "./worker-id.js";
import { workerService } from "./worker-ops.js";

/**
 * Runs a worker node as a long-lived service configured from `env`, logging in `log`'s format (JSON unless told)
 * (`pancode-server worker`). SIGTERM stops pulling work, gives running runs a short grace, and exits 0.
 */
export async function runWorkerService(
  env: Record<string, string | undefined>,
  log: Pick<LoggerOptions, "format" | "color"> = {},
): Promise<void> {
  let config: ReturnType<typeof loadWorkerConfig>;
  try {
    config = loadWorkerConfig(env);
  } catch (err) {
    process.stderr.write(`${err instanceof ConfigError ? err.message : String(err)}\n`);
    process.exit(2);
  }
  if (!config.id) config = { ...config, id: await claimWorkerId(config.dataDir) };
  if (!config.bus.natsUrl) {
    process.stderr.write("a standalone worker needs NATS_URL (the in-process bus exists only inside `pancode up`)\n");
    process.exit(2);
  }
  const telemetry = await startTelemetry({ serviceName: "pancode-worker", env });
  // The process's one MeterProvider: Prometheus on PANCODE_METRICS_LISTEN, OTLP when the OTEL_* variables say so.
  const metrics = await createMeterProvider({
    service: workerService(config.id, WORKER_VERSION),
    env,
    prometheus: Boolean(config.metrics.listen),
    global: true,
  });
  const logger = createLogger({ ...log, level: config.logLevel }).child({ component: "worker" });
  const worker = await startWorker({ config, logger, env, metrics });
  process.stderr.write(`pancode worker ${worker.id} started (sandbox: ${worker.sandbox})\n`);
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await worker.stop(10_000);
    await metrics.shutdown();
    await telemetry.shutdown();
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop());
  process.on("SIGINT", () => void stop());
}
