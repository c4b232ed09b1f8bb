import { ConfigError } from "@pancode/config";
import { createLogger, type LoggerOptions, startTelemetry } from "@pancode/telemetry";
import { loadWorkerConfig } from "./config.js";
import { startWorker } from "./worker.js";

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
  if (!config.bus.natsUrl) {
    process.stderr.write("a standalone worker needs NATS_URL (the in-process bus exists only inside `pancode up`)\n");
    process.exit(2);
  }
  const telemetry = await startTelemetry({ serviceName: "pancode-worker", env });
  const logger = createLogger({ ...log, level: config.logLevel }).child({ component: "worker" });
  const worker = await startWorker({ config, logger, env });
  process.stderr.write(`pancode worker ${worker.id} started (sandbox: ${worker.sandbox})\n`);
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await worker.stop(10_000);
    await telemetry.shutdown();
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop());
  process.on("SIGINT", () => void stop());
}
