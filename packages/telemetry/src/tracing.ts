import { type Attributes, type Context, context, type Span, SpanStatusCode, trace } from "@opentelemetry/api";

const tracer = () => trace.getTracer("pancode");

/**
 * Runs `fn` inside a span named `name` (child of `parent` or the active context), recording failures on the span.
 * Without a configured SDK the span is a no-op and costs nothing measurable.
 */
export async function withSpan<T>(
  name: string,
  attributes: Attributes,
  fn: (span: Span) => Promise<T>,
  parent: Context = context.active(),
): Promise<T> {
  return tracer().startActiveSpan(name, { attributes }, parent, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
      throw err;
    } finally {
      span.end();
    }
  });
}

/** The W3C traceparent of the active span ("" when there is none), for places that take a plain string. */
export function currentTraceparent(ctx: Context = context.active()): string {
  const span = trace.getSpanContext(ctx);
  if (!span || !trace.isSpanContextValid(span)) return "";
  return `00-${span.traceId}-${span.spanId}-0${(span.traceFlags & 1).toString(16)}`;
}

/** Records a span that already happened (e.g. the time a run waited in the queue), as a child of `parent`. */
export function recordSpan(
  name: string,
  times: { start: Date; end: Date },
  attributes: Attributes,
  parent: Context = context.active(),
): void {
  tracer().startSpan(name, { attributes, startTime: times.start }, parent).end(times.end);
}
