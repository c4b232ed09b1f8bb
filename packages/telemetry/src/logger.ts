import { context, trace } from "@opentelemetry/api";
import type { LoggerPort, LogMeta } from "@pancode/core";
import pino from "pino";
import { redactSecrets } from "./redact.js";
import { formatText, type JsonLine, type LogLevel } from "./text-format.js";

export type { LogMeta } from "@pancode/core";
export type { LogLevel } from "./text-format.js";

/** The logger every component receives through its constructor: the core port plus `trace` and `child`. */
export interface Logger extends LoggerPort {
  trace(msg: string, meta?: LogMeta): void;
  /** A logger whose lines all carry `bindings` (e.g. `{ component: "job-runner" }`). */
  child(bindings: LogMeta): Logger;
}

/** How log lines are written: one JSON object per line (for machines), or one readable line (for a terminal). */
export type LogFormat = "json" | "text";

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** @default "info" */
  level?: LogLevel;
  /** @default "json" */
  format?: LogFormat;
  /** Colour the level of text lines (ANSI), for a terminal. @default false */
  color?: boolean;
  /** Where lines go. @default process.stderr, so stdout stays free for program output */
  write?: (line: string) => void;
  bindings?: LogMeta;
}

/** Options of {@link createJsonLogger}. */
export type JsonLoggerOptions = Omit<LoggerOptions, "format" | "color">;

/** The ids of the span active where a line is written, so a log line leads to its trace. */
function activeSpanIds(): LogMeta {
  const span = trace.getSpanContext(context.active());
  if (!span || !trace.isSpanContextValid(span)) return {};
  return { trace_id: span.traceId, span_id: span.spanId };
}

/**
 * A pino logger writing one line per entry: JSON `{"level", "ts", "msg", "trace_id", "span_id", ...bindings,
 * ...meta}`, or in text format `12:00:00.123 INFO  coordinator  coordinator listening  address=127.0.0.1:7400`.
 * Inside an active span every line carries `trace_id` and `span_id`; fields named like a secret (token, password,
 * authorization, apiKey, ...) are written as "[redacted]" at any depth.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  const color = options.color ?? false;
  const destination =
    options.format === "text"
      ? { write: (json: string) => write(`${formatText(JSON.parse(json) as JsonLine, color)}\n`) }
      : { write };
  const root = pino(
    {
      level: options.level ?? "info",
      base: undefined,
      timestamp: () => `,"ts":"${new Date().toISOString()}"`,
      formatters: { level: (label) => ({ level: label }), log: (object) => redactSecrets(object) as LogMeta },
      mixin: activeSpanIds,
      // Errors are made plain before pino sees them (serialise below); its own `err` serializer would redo it.
      serializers: { err: (value: unknown) => value },
    },
    destination,
  );
  return wrap(options.bindings ? root.child(redactSecrets(options.bindings) as LogMeta) : root);
}

function wrap(p: pino.Logger): Logger {
  const emit = (level: LogLevel) => (msg: string, meta?: LogMeta) => {
    if (meta) p[level](serialise(meta), msg);
    else p[level](msg);
  };
  return {
    trace: emit("trace"),
    debug: emit("debug"),
    info: emit("info"),
    warn: emit("warn"),
    error: emit("error"),
    child: (bindings) => wrap(p.child(redactSecrets(serialise(bindings)) as LogMeta)),
  };
}

/** A logger writing one JSON object per line (see {@link createLogger}). */
export function createJsonLogger(options: JsonLoggerOptions = {}): Logger {
  return createLogger({ ...options, format: "json" });
}

/** A logger that drops everything (tests, libraries used without one). */
export const noopLogger: Logger = {
  trace: () => {},
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  child: () => noopLogger,
};

// Errors do not survive JSON.stringify; keep their message, code and cause chain.
function serialise(meta: LogMeta): LogMeta {
  const out: LogMeta = {};
  for (const [key, value] of Object.entries(meta)) out[key] = value instanceof Error ? describeError(value) : value;
  return out;
}

function describeError(err: Error): LogMeta {
  const code = (err as { code?: unknown }).code;
  return {
    message: err.message,
    ...(code === undefined ? {} : { code }),
    ...(err.cause instanceof Error ? { cause: describeError(err.cause) } : {}),
  };
}
