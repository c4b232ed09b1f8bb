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

/** Options of {@link createJsonLogger}. */
export interface JsonLoggerOptions {
  /** @default "info" */
  level?: LogLevel;
  /** Where lines go. @default process.stderr, so stdout stays free for program output */
  write?: (line: string) => void;
  bindings?: LogMeta;
}

/** A logger writing one JSON object per line: `{"ts", "level", "msg", ...bindings, ...meta}`. */
export function createJsonLogger(options: JsonLoggerOptions = {}): Logger {
  const threshold = LEVELS.indexOf(options.level ?? "info");
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  const bindings = options.bindings ?? {};
  const emit = (level: LogLevel, msg: string, meta?: LogMeta): void => {
    if (LEVELS.indexOf(level) < threshold) return;
    write(`${JSON.stringify({ ts: new Date().toISOString(), level, msg, ...bindings, ...serialise(meta) })}\n`);
  };
  return {
    trace: (msg, meta) => emit("trace", msg, meta),
    debug: (msg, meta) => emit("debug", msg, meta),
    info: (msg, meta) => emit("info", msg, meta),
    warn: (msg, meta) => emit("warn", msg, meta),
    error: (msg, meta) => emit("error", msg, meta),
    child: (more) => createJsonLogger({ ...options, bindings: { ...bindings, ...more } }),
  };
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
