import { hostname } from "node:os";
import type { Meter } from "@opentelemetry/api";
import type { TaskBus } from "@pancode/bus";
import type { Database } from "@pancode/db";
import {
  createMeterProvider,
  type Metrics,
  observeReadiness,
  type ReadinessCheck,
  startOpsServer,
} from "@pancode/telemetry";

/** The coordinator's identity as its metrics name it (resource attributes). */
export function coordinatorService(version: string) {
  return { name: "pancode-coordinator", version, instanceId: `${hostname()}-${process.pid}` };
}

/**
 * The MeterProvider the coordinator records with: the process's when given (its owner shuts it down), else a
 * private one with a Prometheus reader when `listen` is set (several coordinators in one test process).
 */
export async function coordinatorMetrics(
  given: Metrics | undefined,
  listen: string,
  version: string,
): Promise<{ metrics: Metrics; shutdown(): Promise<void> }> {
  if (given) return { metrics: given, shutdown: async () => {} };
  const metrics = await createMeterProvider({
    service: coordinatorService(version),
    env: {},
    prometheus: Boolean(listen),
    global: false,
  });
  return { metrics, shutdown: () => metrics.shutdown() };
}

/** What the coordinator's readiness depends on: its database, its bus, and not draining. */
export function coordinatorReadiness(deps: {
  db: Database;
  bus: TaskBus;
  isDraining: () => Promise<boolean>;
}): ReadinessCheck[] {
  return [
    { name: "database", probe: () => deps.db.ping() },
    { name: "bus", probe: () => deps.bus.ping() },
    {
      name: "admissions",
      probe: async () => {
        if (await deps.isDraining()) throw new Error("draining: no new runs are admitted");
      },
    },
  ];
}

/**
 * The coordinator's ops listener on PANCODE_METRICS_LISTEN (/metrics, /healthz, /readyz) and its `pancode_ready`
 * gauge; nothing when `listen` is empty.
 */
export async function startCoordinatorOps(options: {
  listen: string;
  metrics: Metrics;
  meter: Meter;
  readiness: ReadinessCheck[];
}): Promise<{ metricsUrl: string; close(): Promise<void> }> {
  if (!options.listen) return { metricsUrl: "", close: async () => {} };
  observeReadiness(options.meter, options.readiness);
  const server = await startOpsServer({
    listen: options.listen,
    scrape: options.metrics.scrape,
    readiness: options.readiness,
  });
  return { metricsUrl: `${server.baseUrl}/metrics`, close: () => server.close() };
}
