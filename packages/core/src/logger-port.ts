/** Structured fields of a log line: ids go here (runId, workerId), never into the message text. */
export type LogMeta = Record<string, unknown>;

/**
 * The logging port of every package (db, git, sandbox, bus take this; `@pancode/telemetry`'s logger implements it).
 * Messages are short event phrases; ids travel in `meta`.
 */
export interface LoggerPort {
  debug(msg: string, meta?: LogMeta): void;
  info(msg: string, meta?: LogMeta): void;
  warn(msg: string, meta?: LogMeta): void;
  error(msg: string, meta?: LogMeta): void;
}

/** A logger that drops everything: the default when a caller passes none. */
export const silentLogger: LoggerPort = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
};
