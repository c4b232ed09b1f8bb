import type { TaskBus } from "@pancode/bus";
import type { Logger, Metrics } from "@pancode/telemetry";
import type { CoordinatorConfig } from "./config.js";
import { COORDINATOR_ACTOR } from "./services/audit-log.js";
import type { PublishGate } from "./services/run-publisher.js";
import type { ServicesContext } from "./start/context.js";
import { createServices, type Services } from "./start/create-services.js";
import { openStores } from "./start/open-stores.js";
import { prepareStart } from "./start/prepare.js";
import { buildClientService, type GrpcListener, startGrpc } from "./start/start-grpc.js";
import { type Listeners, startListeners } from "./start/start-listeners.js";
import { type Loops, startLoops } from "./start/start-loops.js";

/** Version reported to clients and workers. */
export const COORDINATOR_VERSION = "0.1.0";

/** A running coordinator. */
export interface Coordinator {
  /** host:port it listens on (the real port when 0 was asked for). */
  address: string;
  clientToken: string;
  workerToken: string;
  /** CA file clients must trust: the generated `<data dir>/tls/ca.crt`, or "" (plaintext, or operator's cert). */
  tlsCaPath: string;
  bus: TaskBus;
  /** URL of the Prometheus endpoint (`http://host:port/metrics`); "" when PANCODE_METRICS_LISTEN is unset. */
  metricsUrl: string;
  /** URL of the web console and its HTTP API (`http://host:port/`); "" when PANCODE_CONSOLE_LISTEN is unset. */
  consoleUrl: string;
  /** Stops admissions, lets active runs finish for up to `graceMs`, interrupts the rest. */
  drain(graceMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** Options of {@link startCoordinator}. */
export interface StartCoordinatorOptions {
  config: CoordinatorConfig;
  logger: Logger;
  /** A bus shared with in-process workers (`pancode up`); otherwise built from the config. */
  bus?: TaskBus;
  /** Holds pending runs off the bus until it allows them (publish policies). @default every run goes at once */
  publishGate?: PublishGate;
  /**
   * The process's MeterProvider (one per process, built by the service entry point). Without it the coordinator
   * builds a private one when PANCODE_METRICS_LISTEN is set (tests with several coordinators in one process).
   */
  metrics?: Metrics;
  /** Built console assets to serve at `/` (overrides PANCODE_CONSOLE_ASSETS and @pancode/console). */
  consoleAssetsDir?: string;
}

/**
 * Composition root of the coordinator, in four steps: open the stores, create the services, start gRPC, then start
 * the other listeners and the background loops.
 */
export async function startCoordinator(options: StartCoordinatorOptions): Promise<Coordinator> {
  const { logger } = options;
  const config = options.consoleAssetsDir
    ? { ...options.config, console: { ...options.config.console, assetsDir: options.consoleAssetsDir } }
    : options.config;
  // Read before anything is opened: bad TLS settings, a broken config or a missing agents dir are deployment errors.
  const setup = await prepareStart(config, logger);
  const stores = await openStores(config, logger, options.bus);
  const ctx: ServicesContext = {
    config,
    logger,
    setup,
    stores,
    version: COORDINATOR_VERSION,
    publishGate: options.publishGate,
    metrics: options.metrics,
  };
  const services = await createServices(ctx);
  const clientService = buildClientService(ctx, services);
  const grpc = await startGrpc(ctx, services, clientService).catch(async (err: unknown) => {
    await services.telemetry.shutdown();
    throw err;
  });
  // After the gRPC port: a coordinator whose listeners cannot bind must not be left half started.
  const listeners = await startListeners(ctx, services, clientService).catch(async (err: unknown) => {
    grpc.forceShutdown();
    await services.telemetry.shutdown();
    throw err;
  });
  const loops = startLoops(ctx, services);
  logger.info("coordinator listening", {
    address: grpc.address,
    tls: setup.tls.mode,
    bus: stores.bus.kind,
    database: config.db.url ? "postgres" : "pglite",
    metrics: listeners.metricsUrl || "off",
    console: listeners.consoleUrl || "off",
  });
  return runningCoordinator({ ctx, services, grpc, listeners, loops });
}

/** The handle of a started coordinator: its addresses, drain and close. */
function runningCoordinator(parts: {
  ctx: ServicesContext;
  services: Services;
  grpc: GrpcListener;
  listeners: Listeners;
  loops: Loops;
}): Coordinator {
  const { ctx, services, grpc, listeners, loops } = parts;
  const { config, logger, stores } = ctx;
  const { lifecycle } = services;
  let closed = false;
  return {
    address: grpc.address,
    clientToken: ctx.setup.clientToken,
    workerToken: ctx.setup.workerToken,
    tlsCaPath: ctx.setup.tls.caPath,
    bus: stores.bus,
    metricsUrl: listeners.metricsUrl,
    consoleUrl: listeners.consoleUrl,
    async drain(graceMs = config.runs.drainGraceMs) {
      // This replica only: the others keep admitting (a cluster-wide drain is `pancode drain`). Shutdown goes on
      // even when the audit trail cannot record it (the database may be what is failing).
      services.drain.stopLocally();
      await services.audit
        .drainStarted(COORDINATOR_ACTOR, (await lifecycle.activeRuns().catch(() => [])).length)
        .catch((err: unknown) => logger.error("drain could not be audited", { error: err as Error }));
      logger.info("draining", { graceMs });
      const deadline = Date.now() + graceMs;
      while (Date.now() < deadline && (await lifecycle.activeRuns()).length > 0) {
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      for (const run of await lifecycle.activeRuns()) {
        await lifecycle.finish(run.id, "interrupted", "the coordinator shut down before the run finished");
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await loops.stop();
      await grpc.shutdown();
      await listeners.close();
      await services.telemetry.shutdown();
      if (stores.ownsBus) await stores.bus.close();
      await stores.db.close();
    },
  };
}
