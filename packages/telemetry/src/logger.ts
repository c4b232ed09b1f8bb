import { formatText, type LogEntry } from "./text-format.js";

/** Severity of a log line, lowest first. */
export type LogLevel = "trace" | "debug" | "info" | "warn" | "error";

const LEVELS: readonly LogLevel[] = ["trace", "debug", "info", "warn", "error"];

/** Structured fields of a log line: ids go here (runId, workerId), never into the message text. */
export type LogMeta = Record<string, unknown>;

/** The logger every component receives through its constructor. */
export interface Logger {
  trace(msg: string, meta?: LogMeta): void;
  debug(msg: string, meta?: LogMeta): void;
  info(msg: string, meta?: LogMeta): void;
  warn(msg: string, meta?: LogMeta): void;
  error(msg: string, meta?: LogMeta): void;
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

/**
 * A logger writing one line per entry: JSON `{"ts", "level", "msg", ...bindings, ...meta}`, or in text format
 * `12:00:00.123 INFO  coordinator  coordinator listening  address=127.0.0.1:7400 bus=nats`.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const threshold = LEVELS.indexOf(options.level ?? "info");
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  const bindings = options.bindings ?? {};
  const text = options.format === "text";
  const emit = (level: LogLevel, msg: string, meta?: LogMeta): void => {
    if (LEVELS.indexOf(level) < threshold) return;
    const entry: LogEntry = { ts: new Date(), level, msg, fields: { ...bindings, ...serialise(meta) } };
    write(`${text ? formatText(entry, options.color ?? false) : formatJson(entry)}\n`);
  };
  return {
    trace: (msg, meta) => emit("trace", msg, meta),
    debug: (msg, meta) => emit("debug", msg, meta),
    info: (msg, meta) => emit("info", msg, meta),
    warn: (msg, meta) => emit("warn", msg, meta),
    error: (msg, meta) => emit("error", msg, meta),
    child: (more) => createLogger({ ...options, bindings: { ...bindings, ...more } }),
  };
}

/** A logger writing one JSON object per line (see {@link createLogger}). */
export function createJsonLogger(options: JsonLoggerOptions = {}): Logger {
  return createLogger({ ...options, format: "json" });
}

function formatJson(entry: LogEntry): string {
  return JSON.stringify({ ts: entry.ts.toISOString(), level: entry.level, msg: entry.msg, ...entry.fields });
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
function serialise(meta: LogMeta | undefined): LogMeta {
  if (!meta) return {};
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
