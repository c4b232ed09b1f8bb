/**
 * The logging surface the bus needs. It is a structural subset of the `Logger` in `@pancode/telemetry`, so callers
 * pass their component logger as is while the bus stays free of a telemetry dependency.
 */
export interface BusLogger {
  debug(msg: string, meta?: Record<string, unknown>): void;
  info(msg: string, meta?: Record<string, unknown>): void;
  warn(msg: string, meta?: Record<string, unknown>): void;
  error(msg: string, meta?: Record<string, unknown>): void;
}

const noop = (): void => {};

/** A logger that drops everything; the default when no logger is given. */
export const silentLogger: BusLogger = { debug: noop, info: noop, warn: noop, error: noop };

/** Renders an unknown thrown value as a log field without losing the message. */
export function errorField(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
