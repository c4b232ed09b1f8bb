import { homedir, hostname } from "node:os";
import { join } from "node:path";
import { ConfigError } from "@pancode/config";
import { COORDINATOR_VERSION, type Coordinator, loadCoordinatorConfig, startCoordinator } from "@pancode/coordinator";
import {
  createLogger,
  createMeterProvider,
  type Logger,
  type LoggerOptions,
  type Metrics,
  startTelemetry,
} from "@pancode/telemetry";
import { claimWorkerId, loadWorkerConfig, startWorker, type Worker } from "@pancode/worker";
import { withClientDir } from "./client-bundle.js";
import { upConsoleListen } from "./console-listen.js";
import { UsageError } from "./usage-error.js";

/** Options of `pancode-server up`, as commander parses them. */
export interface UpOptions {
  workers: string;
  dataDir?: string;
  port: string;
}

/**
 * `pancode-server up` (also reached as `pancode up`): a whole cluster on one machine in one process: the coordinator
 * plus N workers, on PGlite and the in-process bus unless DATABASE_URL / NATS_URL are set. Ctrl-C or SIGTERM drains
 * and exits cleanly.
 */
export async function upCommand(
  options: UpOptions,
  processEnv: Record<string, string | undefined>,
  log: Pick<LoggerOptions, "format" | "color">,
): Promise<void> {
  const { workerCount, port } = parseUpOptions(options);
  const dataDir = options.dataDir || processEnv.PANCODE_DATA_DIR || join(homedir(), ".pancode");
  const env = withClientDir({ ...processEnv, PANCODE_DATA_DIR: dataDir });
  let coordinatorConfig: ReturnType<typeof loadCoordinatorConfig>;
  try {
    coordinatorConfig = loadCoordinatorConfig({
      ...env,
      PANCODE_LISTEN: env.PANCODE_LISTEN ?? `127.0.0.1:${port}`,
      PANCODE_CONSOLE_LISTEN: await upConsoleListen(env),
    });
  } catch (err) {
    throw new UsageError(err instanceof ConfigError ? err.message : String(err));
  }
  const telemetry = await startTelemetry({ serviceName: "pancode-up", env });
  // One process, one MeterProvider (service.name pancode-up): the coordinator's and every worker's instruments are
  // served together on the coordinator's PANCODE_METRICS_LISTEN, and its /readyz is the coordinator's.
  const metrics = await createMeterProvider({
    service: { name: "pancode-up", version: COORDINATOR_VERSION, instanceId: `${hostname()}-${process.pid}` },
    env,
    prometheus: Boolean(coordinatorConfig.metrics.listen),
    global: true,
  });
  const logger = createLogger({ ...log, level: coordinatorConfig.logLevel });
  const coordinator = await startCoordinator({
    config: coordinatorConfig,
    logger: logger.child({ component: "coordinator" }),
    metrics,
  });
  const workers = await startUpWorkers({
    coordinator,
    config: coordinatorConfig,
    env,
    dataDir,
    workerCount,
    logger,
    metrics,
  });
  process.stdout.write(banner(coordinator, coordinatorConfig, workers, dataDir));
  stopOnSignal(async () => {
    await coordinator.drain();
    await Promise.all(workers.map((w) => w.stop()));
    await coordinator.close();
    await metrics.shutdown();
    await telemetry.shutdown();
  });
}

function parseUpOptions(options: UpOptions): { workerCount: number; port: number } {
  const workerCount = Number(options.workers);
  const port = Number(options.port);
  if (!Number.isInteger(workerCount) || workerCount < 0 || workerCount > 64) {
    throw new UsageError(`--workers must be a whole number from 0 to 64, got "${options.workers}"`);
  }
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port must be a TCP port, got "${options.port}"`);
  return { workerCount, port };
}

/** The embedded workers, on the coordinator's bus when it is in-process; none left running if one fails to start. */
async function startUpWorkers(parts: {
  coordinator: Coordinator;
  config: ReturnType<typeof loadCoordinatorConfig>;
  env: Record<string, string | undefined>;
  dataDir: string;
  workerCount: number;
  logger: Logger;
  metrics: Metrics;
}): Promise<Worker[]> {
  const { coordinator, env, logger, metrics } = parts;
  const workers: Worker[] = [];
  try {
    // One claimed id per `up` process and data dir, so a restarted `up` delivers what its workers' outbox holds.
    const workerIdBase = env.PANCODE_WORKER_ID || (parts.workerCount > 0 ? await claimWorkerId(parts.dataDir) : "");
    for (let i = 1; i <= parts.workerCount; i++) {
      const config = loadWorkerConfig({
        ...env,
        PANCODE_COORDINATOR: coordinator.address,
        PANCODE_WORKER_TOKEN: coordinator.workerToken,
        // Off loopback the coordinator serves TLS with the CA it generated; its own workers trust it.
        PANCODE_TLS_CA: env.PANCODE_TLS_CA || coordinator.tlsCaPath,
        PANCODE_WORKER_ID: `${workerIdBase}-${i}`,
        PANCODE_ACK_WAIT_MS: String(parts.config.bus.ackWaitMs),
        // The coordinator's listener serves the workers' metrics too (same provider).
        PANCODE_METRICS_LISTEN: "",
      });
      const inProcess = coordinator.bus.kind === "in-process";
      const workerLogger = logger.child({ component: "worker" });
      workers.push(
        await startWorker({
          config,
          logger: workerLogger,
          env,
          metrics,
          ...(inProcess ? { bus: coordinator.bus } : {}),
        }),
      );
    }
    return workers;
  } catch (err) {
    await Promise.all(workers.map((w) => w.stop()));
    await coordinator.close();
    throw err;
  }
}

function banner(
  coordinator: Coordinator,
  config: ReturnType<typeof loadCoordinatorConfig>,
  workers: Worker[],
  dataDir: string,
): string {
  const sandbox = workers[0]?.sandbox ?? "none";
  return [
    `pancode cluster up at ${coordinator.address}`,
    `  sandbox: ${sandbox}${sandbox === "process" ? " (NO container isolation)" : ""}`,
    `  workers: ${workers.length}, database: ${config.db.url ? "postgres" : "pglite"}, bus: ${coordinator.bus.kind}`,
    `  data dir: ${dataDir}`,
    ...(coordinator.consoleUrl ? [`  console: ${coordinator.consoleUrl}`] : []),
    "  stop with Ctrl-C (drains: running runs finish or are interrupted after the grace period)",
    "",
  ].join("\n");
}

/** Ctrl-C or SIGTERM: `shutdown` once (running runs finish or are interrupted after the grace), then exit 0. */
function stopOnSignal(shutdown: () => Promise<void>): void {
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    process.stdout.write("draining...\n");
    await shutdown();
    process.stdout.write("stopped\n");
    process.exit(0);
  };
  process.on("SIGINT", () => void stop());
  process.on("SIGTERM", () => void stop());
}
