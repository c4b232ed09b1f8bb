import { context, propagation } from "@opentelemetry/api";
import type { BusHeaders } from "./types.js";

/**
 * Returns a copy of `headers` with the active trace context injected (W3C `traceparent`/`tracestate` when an OTel SDK
 * is registered; nothing otherwise). Headers the caller set explicitly win, so a coordinator can pass the run's own
 * `traceparent`. Consumers read it with `propagation.extract(context.active(), delivery.headers)`.
 */
export function withTraceContext(headers: BusHeaders | undefined): BusHeaders {
  const injected: BusHeaders = {};
  propagation.inject(context.active(), injected);
  return { ...injected, ...headers };
}
