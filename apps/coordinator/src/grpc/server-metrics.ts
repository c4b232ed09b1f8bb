import { ServerInterceptingCall, type ServerInterceptor } from "@grpc/grpc-js";
import type { Meter } from "@opentelemetry/api";

/** Bucket bounds of the gRPC latency histogram, in seconds: a status call to a long streamed upload. */
const LATENCY_BUCKETS_S = [0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * Times every call the server answers, from its arrival to its status: `rpc_server_duration_seconds`
 * (histogram) by `rpc_service`, `rpc_method` and `rpc_grpc_status_code` (0 OK, 16 UNAUTHENTICATED, ...), the
 * OpenTelemetry RPC conventions, in seconds (the Prometheus base unit: promtool refuses milliseconds). Its `_count`
 * gives calls by status code. A call the client abandons before a
 * status is sent is not counted.
 */
export function serverMetricsInterceptor(meter: Meter): ServerInterceptor {
  const duration = meter.createHistogram("rpc.server.duration.seconds", {
    description: "Duration of gRPC calls the coordinator answered, by method and status code",
    unit: "s",
    advice: { explicitBucketBoundaries: LATENCY_BUCKETS_S },
  });
  return (method, call) => {
    const started = performance.now();
    // "/pancode.v1.ClientService/Dispatch" -> service "pancode.v1.ClientService", method "Dispatch".
    const [, service = "", name = ""] = method.path.split("/");
    return new ServerInterceptingCall(call, {
      sendStatus(status, next) {
        duration.record((performance.now() - started) / 1000, {
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
