import { ServerInterceptingCall, type ServerInterceptor } from "@grpc/grpc-js";
import type { Meter } from "@opentelemetry/api";

/** Bucket bounds of the gRPC latency histogram, in milliseconds: a status call to a long streamed upload. */
const LATENCY_BUCKETS_MS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000];

/**
 * Times every call the server answers, from its arrival to its status: `rpc_server_duration_milliseconds`
 * (histogram) by `rpc_service`, `rpc_method` and `rpc_grpc_status_code` (0 OK, 16 UNAUTHENTICATED, ...), the
 * OpenTelemetry RPC conventions. Its `_count` gives calls by status code. A call the client abandons before a
 * status is sent is not counted.
 */
export function serverMetricsInterceptor(meter: Meter): ServerInterceptor {
  const duration = meter.createHistogram("rpc.server.duration.milliseconds", {
    description: "Duration of gRPC calls the coordinator answered, by method and status code",
    unit: "ms",
    advice: { explicitBucketBoundaries: LATENCY_BUCKETS_MS },
  });
  return (method, call) => {
    const started = performance.now();
    // "/pancode.v1.ClientService/Dispatch" -> service "pancode.v1.ClientService", method "Dispatch".
    const [, service = "", name = ""] = method.path.split("/");
    return new ServerInterceptingCall(call, {
      sendStatus(status, next) {
        duration.record(performance.now() - started, {
          "rpc.system": "grpc",
          "rpc.service": service,
          "rpc.method": name,
          "rpc.grpc.status_code": status.code,
        });
        next(status);
      },
    });
  };
}
