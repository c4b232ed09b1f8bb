import { Server, type ServerCredentials } from "@grpc/grpc-js";
import type { Meter } from "@opentelemetry/api";
import { ClientServiceService, MAX_MESSAGE_BYTES, WorkerServiceService } from "@pancode/proto";
import { serverMetricsInterceptor } from "./server-metrics.js";
import { hardenService, type Implementation } from "./status.js";
import { transportRefusalsAsBadRequests } from "./transport-refusals.js";
import { createWorkerService, type WorkerServiceDeps } from "./worker-service.js";

/** Largest message the server sends (responses are chunked far below it; a long run list must still fit). */
const SERVER_MAX_SEND_BYTES = 64 * 1024 * 1024;

/** Options of {@link startGrpcServer}. */
export interface GrpcServerOptions {
  /** host:port to bind (port 0: any free port). */
  listen: string;
  credentials: ServerCredentials;
  meter: Meter;
  /** Adds `grpc.health.v1.Health` to the server. */
  health: { addTo(server: Server): void };
  /** The client service, built once: the console calls the same handlers in-process. */
  client: Implementation;
  worker: WorkerServiceDeps;
}

/** The coordinator's gRPC server, bound. */
export interface GrpcListener {
  /** host:port clients dial (the real port when 0 was asked for; 127.0.0.1 for a wildcard host). */
  address: string;
  /** Lets calls in flight finish for up to 2 s, then cuts the rest. */
  shutdown(): Promise<void>;
  /** Cuts every call at once (a start that failed after the bind). */
  forceShutdown(): void;
}

/** Builds the worker service and binds it with the client service. */
export async function startGrpcServer(options: GrpcServerOptions): Promise<GrpcListener> {
  const server = new Server({
    // A request frame announcing more is refused after its 5-byte header, before its body is buffered (and before
    // the caller is authenticated, so it must not cost memory); the interceptor answers it INVALID_ARGUMENT. It
    // must come first, so the metrics interceptor sees the status the client gets.
    "grpc.max_receive_message_length": MAX_MESSAGE_BYTES,
    "grpc.max_send_message_length": SERVER_MAX_SEND_BYTES,
    interceptors: [transportRefusalsAsBadRequests, serverMetricsInterceptor(options.meter)],
  });
  options.health.addTo(server);
  server.addService(hardenService(ClientServiceService), options.client);
  server.addService(hardenService(WorkerServiceService), createWorkerService(options.worker));
  const { listen } = options;
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(listen, options.credentials, (err, bound) => (err ? reject(err) : resolve(bound)));
  });
  const host = listen.slice(0, listen.lastIndexOf(":"));
  return {
    address: `${host === "0.0.0.0" || host === "" ? "127.0.0.1" : host}:${port}`,
    shutdown: () => shutdownGracefully(server),
    forceShutdown: () => server.forceShutdown(),
  };
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
