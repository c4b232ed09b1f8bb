import { inProcessClient } from "../grpc/in-process.js";
import type { Implementation } from "../grpc/status.js";
import { resolveConsoleAssets } from "../http/console-assets.js";
import { type ConsoleServer, startConsoleServer } from "../http/server.js";
import { SessionStore } from "../http/sessions.js";
import { coordinatorReadiness, startCoordinatorOps } from "../ops.js";
import type { ServicesContext } from "./context.js";
import type { Services } from "./create-services.js";

/** The coordinator's HTTP listeners besides gRPC. */
export interface Listeners {
  /** URL of the Prometheus endpoint, or "" when PANCODE_METRICS_LISTEN is unset. */
  metricsUrl: string;
  /** URL of the web console and its HTTP API, or "" when PANCODE_CONSOLE_LISTEN is unset. */
  consoleUrl: string;
  close(): Promise<void>;
}

/** The console on PANCODE_CONSOLE_LISTEN: it calls the client service's handlers in-process, as each request's caller. */
function startConsole(ctx: ServicesContext, services: Services, clientService: Implementation): Promise<ConsoleServer> {
  const { tls } = ctx.setup;
  return startConsoleServer({
    listen: ctx.config.console.listen,
    ...(tls.mode === "plaintext" ? {} : { tls: tls.credentials }),
    api: inProcessClient(clientService),
    // Sealed with the run-token secret: the one secret every replica is configured to share.
    sessions: new SessionStore(ctx.stores.db, ctx.setup.runTokenSecret),
    runChanges: () => services.notifier.subscribeAll(),
    assetsDir: resolveConsoleAssets(ctx.config.console.assetsDir),
    logger: ctx.logger.child({ component: "console" }),
  });
}

/**
 * Starts the ops listener (/metrics, /healthz, /readyz on PANCODE_METRICS_LISTEN) and the console. Called after the
 * gRPC port is bound; a listener that cannot bind fails the start (the caller then stops what was started).
 */
export async function startListeners(
  ctx: ServicesContext,
  services: Services,
  clientService: Implementation,
): Promise<Listeners> {
  const ops = await startCoordinatorOps({
    listen: ctx.config.metrics.listen,
    metrics: services.telemetry.metrics,
    meter: services.meter,
    readiness: coordinatorReadiness({
      db: ctx.stores.db,
      bus: ctx.stores.bus,
      isDraining: () => services.drain.isDraining(),
    }),
  });
  const consoleServer = ctx.config.console.listen
    ? await startConsole(ctx, services, clientService).catch(async (err: unknown) => {
        await ops.close();
        throw err;
      })
    : undefined;
  return {
    metricsUrl: ops.metricsUrl,
    consoleUrl: consoleServer?.url ?? "",
    async close() {
      await consoleServer?.close();
      await ops.close();
    },
  };
}
