import { coordinatorReadiness, startCoordinatorOps } from "../ops.js";
import type { ServicesContext } from "./context.js";
import type { Services } from "./create-services.js";

/** The coordinator's HTTP listeners besides gRPC. */
export interface Listeners {
  /** URL of the Prometheus endpoint, or "" when PANCODE_METRICS_LISTEN is unset. */
  metricsUrl: string;
  close(): Promise<void>;
}

/**
 * Starts the ops listener (/metrics, /healthz, /readyz on PANCODE_METRICS_LISTEN). Called after the gRPC port is
 * bound; a listener that cannot bind fails the start (the caller then stops what was started).
 */
export async function startListeners(ctx: ServicesContext, services: Services): Promise<Listeners> {
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
  return { metricsUrl: ops.metricsUrl, close: () => ops.close() };
}
