import { serverCredentials } from "@pancode/proto";
import { type ClientServiceDeps, createClientService } from "../grpc/client-service.js";
import { type GrpcListener, startGrpcServer } from "../grpc/server.js";
import type { Implementation } from "../grpc/status.js";
import type { WorkerServiceDeps } from "../grpc/worker-service.js";
import { RunTokens } from "../services/run-tokens.js";
import type { ServicesContext } from "./context.js";
import type { Services } from "./create-services.js";

export type { GrpcListener };

/** The client service over `services`, built once: gRPC serves it and the console calls it in-process. */
export function buildClientService(ctx: ServicesContext, services: Services): Implementation {
  return createClientService(clientDeps(ctx, services));
}

/** Serves `clientService` and the worker service over `services` on PANCODE_GRPC_LISTEN. */
export function startGrpc(
  ctx: ServicesContext,
  services: Services,
  clientService: Implementation,
): Promise<GrpcListener> {
  return startGrpcServer({
    listen: ctx.config.grpc.listen,
    credentials: serverCredentials(ctx.setup.tls.credentials),
    meter: services.meter,
    health: services.health,
    client: clientService,
    worker: workerDeps(ctx, services),
  });
}

function clientDeps(ctx: ServicesContext, s: Services): ClientServiceDeps {
  const { config } = ctx;
  return {
    ...s,
    users: s.apiTokens,
    identity: { tokens: s.apiTokens, teams: s.teams, audit: s.audit, version: ctx.version },
    logger: ctx.logger,
    maxWorkspaceBytes: config.runs.maxWorkspaceBytes,
    runTokens: { looksLike: RunTokens.looksLike, verify: (token) => s.runTokens.verify(token) },
    info: () => ({
      version: ctx.version,
      draining: s.drain.draining,
      bus: ctx.stores.bus.kind,
      database: config.db.url ? "postgres" : "pglite",
    }),
    configuredProviders: () =>
      ctx.setup.cluster.providers.map((p) => ({ name: p.name, models: p.models.map((m) => m.id) })),
    drain: (actor) => s.drain.drain(actor),
    undrain: (actor) => s.drain.undrain(actor),
  };
}

function workerDeps(ctx: ServicesContext, s: Services): WorkerServiceDeps {
  return {
    token: ctx.setup.workerToken,
    logger: ctx.logger,
    lifecycle: s.lifecycle,
    workers: s.workers,
    identities: s.identities,
    heartbeatMs: ctx.config.runs.heartbeatMs,
    leaseMs: ctx.config.runs.leaseMs,
    maxPatchBytes: ctx.config.runs.maxWorkspaceBytes,
    mintRunToken: (runId) => s.runTokens.mint(runId),
  };
}
