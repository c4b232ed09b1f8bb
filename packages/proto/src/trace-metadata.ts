import type { Metadata } from "@grpc/grpc-js";
import { type Context, context, propagation } from "@opentelemetry/api";

/** Writes the active trace context (W3C traceparent) into gRPC metadata. A no-op when OTel is not configured. */
export function injectTraceContext(metadata: Metadata, ctx: Context = context.active()): Metadata {
  propagation.inject(ctx, metadata, {
    set: (carrier, key, value) => carrier.set(key, value),
  });
  return metadata;
}

/** Reads the caller's trace context from gRPC metadata, so server spans join the client's trace. */
export function extractTraceContext(metadata: Metadata): Context {
  return propagation.extract(context.active(), metadata, {
    get: (carrier, key) => {
      const values = carrier.get(key);
      return values.length > 0 ? String(values[0]) : undefined;
    },
    keys: (carrier) => Object.keys(carrier.getMap()),
  });
}
