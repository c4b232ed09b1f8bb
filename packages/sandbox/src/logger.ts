/**
 * The logging surface the sandbox needs. Structural on purpose: the JSON logger of `@pancode/telemetry` (or any
 * `{ debug, info, warn, error }` object) fits without this package depending on it.
 */
export interface Logger {
  debug(msg: string, meta?: Record<string, unknown>): void;
  info(msg: string, meta?: Record<string, unknown>): void;
  warn(msg: string, meta?: Record<string, unknown>): void;
  error(msg: string, meta?: Record<string, unknown>): void;
}

/** A logger that drops everything; the default when callers pass none. */
export const noopLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
};
