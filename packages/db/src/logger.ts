/**
 * The logging port of this package: any logger with these four methods fits (the telemetry JSON logger does).
 * Messages are short event phrases; ids travel in `meta`.
 */
export interface DbLogger {
  debug(msg: string, meta?: Record<string, unknown>): void;
  info(msg: string, meta?: Record<string, unknown>): void;
  warn(msg: string, meta?: Record<string, unknown>): void;
  error(msg: string, meta?: Record<string, unknown>): void;
}

/** A logger that drops everything; the default when the caller passes none. */
export const silentLogger: DbLogger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
};
