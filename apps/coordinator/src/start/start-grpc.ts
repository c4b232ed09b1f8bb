import { Server } from "@grpc/grpc-js";
import { ClientServiceService, MAX_MESSAGE_BYTES, serverCredentials, WorkerServiceService } from "@pancode/proto";
import { createClientService } from "../grpc/client-service.js";
import { serverMetricsInterceptor } from "../grpc/server-metrics.js";
import { hardenService } from "../grpc/status.js";
import { transportRefusalsAsBadRequests } from "../grpc/transport-refusals.js";
import { createWorkerService } from "../grpc/worker-service.js";
import { RunTokens } from "../services/run-tokens.js";
import type { ServicesContext } from "./context.js";
import type { Services } from "./create-services.js";

/** Largest message the server sends (responses are chunked far below it; a long run list must still fit). */
const SERVER_MAX_SEND_BYTES = 64 * 1024 * 1024;

/** The coordinator's gRPC server, bound. */
export interface GrpcListener {
  server: Server;
  /** host:port clients dial (the real port when 0 was asked for; 127.0.0.1 for a wildcard host). */
  address: string;
  /** Lets calls in flight finish for up to 2 s, then cuts the rest. */
  shutdown(): Promise<void>;
}

/** Builds the client and worker services over `services` and binds them on PANCODE_GRPC_LISTEN. */
export async function startGrpc(ctx: ServicesContext, services: Services): Promise<GrpcListener> {
  const server = new Server({
    // A request frame announcing more is refused after its 5-byte header, before its body is buffered (and before
    // the caller is authenticated, so it must not cost memory); the interceptor answers it INVALID_ARGUMENT. It
    // must come first, so the metrics interceptor sees the status the client gets.
    "grpc.max_receive_message_length": MAX_MESSAGE_BYTES,
    "grpc.max_send_message_length": SERVER_MAX_SEND_BYTES,
    interceptors: [transportRefusalsAsBadRequests, serverMetricsInterceptor(services.meter)],
  });
  services.health.addTo(server);
  server.addService(hardenService(ClientServiceService), clientService(ctx, services));
  server.addService(hardenService(WorkerServiceService), workerService(ctx, services));
  const listen = ctx.config.grpc.listen;
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(listen, serverCredentials(ctx.setup.tls.credentials), (err, bound) =>
      err ? reject(err) : resolve(bound),
    );
  });
  const host = listen.slice(0, listen.lastIndexOf(":"));
  const address = `${host === "0.0.0.0" || host === "" ? "127.0.0.1" : host}:${port}`;
  return { server, address, shutdown: () => shutdownGracefully(server) };
}

function clientService(ctx: ServicesContext, s: Services) {
  const { config } = ctx;
  return createClientService({
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
  });
}

function workerService(ctx: ServicesContext, s: Services) {
  return createWorkerService({
    token: ctx.setup.workerToken,
    logger: ctx.logger,
    lifecycle: s.lifecycle,
    workers: s.workers,
    identities: s.identities,
    heartbeatMs: ctx.config.runs.heartbeatMs,
    leaseMs: ctx.config.runs.leaseMs,
    maxPatchBytes: ctx.config.runs.maxWorkspaceBytes,
    mintRunToken: (runId) => s.runTokens.mint(runId),
  });
}

function shutdownGracefully(server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    const force = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, 2000);
    server.tryShutdown(() => {
      clearTimeout(force);
      resolve();
    });
  });
}
