import type { Server } from "@grpc/grpc-js";
import { HealthImplementation } from "grpc-health-check";

/** The services whose status `grpc.health.v1.Health` reports: the whole server ("") and each of ours. */
const HEALTH_SERVICES = ["", "pancode.v1.ClientService", "pancode.v1.WorkerService"];

/**
 * `grpc.health.v1.Health` on the coordinator's gRPC port: SERVING until the coordinator drains, NOT_SERVING after
 * (load balancers stop sending new clients; running runs still report through the worker service).
 */
export function coordinatorHealth(): { addTo(server: Server): void; draining(on?: boolean): void } {
  const health = new HealthImplementation(Object.fromEntries(HEALTH_SERVICES.map((s) => [s, "SERVING"])));
  return {
    addTo: (server) => health.addToServer(server),
    // The cluster-wide drain can end (`pancode undrain`): the status follows it both ways.
    draining: (on = true) => {
      for (const service of HEALTH_SERVICES) health.setStatus(service, on ? "NOT_SERVING" : "SERVING");
    },
  };
}
