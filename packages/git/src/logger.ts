/**
 * The minimal structured logger this package accepts. It is structurally compatible with the `Logger` of
 * `@pancode/telemetry`, which adapter packages may not import, so a caller can pass that one straight in.
 */
export interface Logger {
  debug(msg: string, meta?: Record<string, unknown>): void;
  info(msg: string, meta?: Record<string, unknown>): void;
  warn(msg: string, meta?: Record<string, unknown>): void;
  error(msg: string, meta?: Record<string, unknown>): void;
}

/** A logger that drops everything: the default when the caller passes none. */
export const noopLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
};
