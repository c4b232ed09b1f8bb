import { hostname } from "node:os";
import { ConfigError } from "@pancode/config";
import { loadCoordinatorConfig, runCoordinatorService, startCoordinator } from "@pancode/coordinator";
import { createJsonLogger, startTelemetry } from "@pancode/telemetry";
import { loadWorkerConfig, runWorkerService, startWorker, type Worker } from "@pancode/worker";
import type { Command } from "commander";
import { dataDirFrom } from "../connection.js";
import { UsageError } from "../exit-codes.js";

interface UpOptions {
  workers: string;
  dataDir?: string;
  port: string;
}

/**
 * `pancode up`: a whole cluster on one machine in one process: the coordinator plus N workers, on PGlite and the
 * in-process bus unless DATABASE_URL / NATS_URL are set. Ctrl-C or SIGTERM drains and exits cleanly.
 */
export async function upCommand(options: UpOptions): Promise<void> {
  const workerCount = Number(options.workers);
  const port = Number(options.port);
  if (!Number.isInteger(workerCount) || workerCount < 0 || workerCount > 64) {
    throw new UsageError(`--workers must be a whole number from 0 to 64, got "${options.workers}"`);
  }
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port must be a TCP port, got "${options.port}"`);
  const dataDir = options.dataDir ?? dataDirFrom(process.env);
  const env: Record<string, string | undefined> = { ...process.env, PANCODE_DATA_DIR: dataDir };
  let coordinatorConfig: ReturnType<typeof loadCoordinatorConfig>;
  try {
    coordinatorConfig = loadCoordinatorConfig({ ...env, PANCODE_LISTEN: env.PANCODE_LISTEN ?? `127.0.0.1:${port}` });
  } catch (err) {
    throw new UsageError(err instanceof ConfigError ? err.message : String(err));
  }
  const telemetry = await startTelemetry({ serviceName: "pancode-up", env });
  const logger = createJsonLogger({ level: coordinatorConfig.logLevel });
  const coordinator = await startCoordinator({
    config: coordinatorConfig,
    logger: logger.child({ component: "coordinator" }),
  });
  const workers: Worker[] = [];
  try {
    for (let i = 1; i <= workerCount; i++) {
      const config = loadWorkerConfig({
        ...env,
        PANCODE_COORDINATOR: coordinator.address,
        PANCODE_WORKER_TOKEN: coordinator.workerToken,
        // Off loopback the coordinator serves TLS with the CA it generated; its own workers trust it.
        PANCODE_TLS_CA: env.PANCODE_TLS_CA || coordinator.tlsCaPath,
        PANCODE_WORKER_ID: `${env.PANCODE_WORKER_ID ?? `${hostname()}-${process.pid}`}-${i}`,
        PANCODE_ACK_WAIT_MS: String(coordinatorConfig.bus.ackWaitMs),
      });
      const inProcess = coordinator.bus.kind === "in-process";
      workers.push(await startWorker({ config, logger, env, ...(inProcess ? { bus: coordinator.bus } : {}) }));
    }
  } catch (err) {
    await Promise.all(workers.map((w) => w.stop()));
    await coordinator.close();
    throw err;
  }
  const sandbox = workers[0]?.sandbox ?? "none";
  process.stdout.write(
    [
      `pancode cluster up at ${coordinator.address}`,
      `  sandbox: ${sandbox}${sandbox === "process" ? " (NO container isolation)" : ""}`,
      `  workers: ${workers.length}, database: ${coordinatorConfig.db.url ? "postgres" : "pglite"}, bus: ${coordinator.bus.kind}`,
      `  data dir: ${dataDir}`,
      "  stop with Ctrl-C (drains: running runs finish or are interrupted after the grace period)",
      "",
    ].join("\n"),
  );
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    process.stdout.write("draining...\n");
    await coordinator.drain();
    await Promise.all(workers.map((w) => w.stop()));
    await coordinator.close();
    await telemetry.shutdown();
    process.stdout.write("stopped\n");
    process.exit(0);
  };
  process.on("SIGINT", () => void stop());
  process.on("SIGTERM", () => void stop());
}

/** Registers `pancode up`, `pancode coordinator` and `pancode worker`. */
export function registerServices(program: Command, fail: (err: unknown) => void): void {
  program
    .command("up")
    .description("run a whole cluster on this machine: coordinator plus workers (embedded defaults)")
    .option("--workers <n>", "number of workers", "1")
    .option("--data-dir <dir>", "state directory (default PANCODE_DATA_DIR or ~/.pancode)")
    .option("--port <port>", "gRPC port", "7400")
    .action((options: UpOptions) => upCommand(options).catch(fail));
  program
    .command("coordinator")
    .description("run the coordinator service (configured by DATABASE_URL, NATS_URL, PANCODE_* variables)")
    .action(() => runCoordinatorService(process.env).catch(fail));
  program
    .command("worker")
    .description("run a worker node (configured by PANCODE_COORDINATOR, NATS_URL, PANCODE_WORKER_TOKEN, ...)")
    .action(() => runWorkerService(process.env).catch(fail));
}
