import type { TaskBus } from "@pancode/bus";
import type { ContainerRuntime } from "@pancode/sandbox";
import {
  createMeterProvider,
  type Metrics,
  observeReadiness,
  type ReadinessCheck,
  startOpsServer,
} from "@pancode/telemetry";

/** The worker's identity as its metrics name it (resource attributes): its worker id is unique in the cluster. */
export function workerService(workerId: string, version: string) {
  return { name: "pancode-worker", version, instanceId: workerId };
}

/**
 * The MeterProvider the worker records with: the process's when given (its owner shuts it down), else a private
 * one with a Prometheus reader when `listen` is set.
 */
export async function workerMetrics(
  given: Metrics | undefined,
  options: { listen: string; workerId: string; version: string },
): Promise<{ metrics: Metrics; shutdown(): Promise<void> }> {
  if (given) return { metrics: given, shutdown: async () => {} };
  const metrics = await createMeterProvider({
    service: workerService(options.workerId, options.version),
    env: {},
    prometheus: Boolean(options.listen),
    global: false,
  });
  return { metrics, shutdown: () => metrics.shutdown() };
}

/** What a worker's readiness depends on: the Docker engine, the bus, and a coordinator that answers heartbeats. */
export function workerReadiness(deps: {
  sandbox: ContainerRuntime;
  bus: TaskBus;
  coordinatorAnswered: () => Error | undefined;
}): ReadinessCheck[] {
  return [
    { name: deps.sandbox.kind === "docker" ? "docker" : "sandbox", probe: () => deps.sandbox.ping() },
    { name: "bus", probe: () => deps.bus.ping() },
    {
      name: "coordinator",
      probe: async () => {
        const problem = deps.coordinatorAnswered();
        if (problem) throw problem;
      },
    },
  ];
}

/** The worker's ops listener on PANCODE_METRICS_LISTEN (/metrics, /healthz, /readyz); nothing when unset. */
export async function startWorkerOps(options: {
  listen: string;
  metrics: Metrics;
  readiness: ReadinessCheck[];
}): Promise<{ metricsUrl: string; close(): Promise<void> }> {
  if (!options.listen) return { metricsUrl: "", close: async () => {} };
  observeReadiness(options.metrics.provider.getMeter("pancode-worker"), options.readiness);
  const server = await startOpsServer({
    listen: options.listen,
    scrape: options.metrics.scrape,
    readiness: options.readiness,
  });
  return { metricsUrl: `${server.baseUrl}/metrics`, close: () => server.close() };
}
