import { PanCodeError, silentLogger } from "@pancode/core";
import type { BusOptions, ResolvedBusOptions } from "./types.js";

/** Default ack wait: long enough for a GC pause or a slow `working()` tick, short enough to recover a lost worker. */
export const DEFAULT_ACK_WAIT_MS = 30_000;
/** Default deliveries per message: one try plus two retries, then the coordinator's reaper takes over. */
export const DEFAULT_MAX_DELIVER = 3;
/** Default delay before a failed delivery is retried, so a crash loop does not spin. */
export const DEFAULT_RETRY_DELAY_MS = 5_000;
/** How long a run id is remembered for publish dedupe (the JetStream stream's duplicate window). */
export const DEDUPE_WINDOW_MS = 120_000;

/** Applies defaults and rejects values that would make the queue misbehave. */
export function resolveBusOptions(options: BusOptions = {}): ResolvedBusOptions {
  const resolved: ResolvedBusOptions = {
    ackWaitMs: options.ackWaitMs ?? DEFAULT_ACK_WAIT_MS,
    maxDeliver: options.maxDeliver ?? DEFAULT_MAX_DELIVER,
    retryDelayMs: options.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS,
    logger: options.logger ?? silentLogger,
  };
  // JetStream measures ack wait in whole milliseconds and rejects anything under one second as too chatty.
  if (!Number.isInteger(resolved.ackWaitMs) || resolved.ackWaitMs < 1000) {
    throw new PanCodeError("INVALID_ARGUMENT", `bus ackWaitMs must be an integer >= 1000, got ${resolved.ackWaitMs}`);
  }
  if (!Number.isInteger(resolved.maxDeliver) || resolved.maxDeliver < 1) {
    throw new PanCodeError("INVALID_ARGUMENT", `bus maxDeliver must be an integer >= 1, got ${resolved.maxDeliver}`);
  }
  if (!Number.isInteger(resolved.retryDelayMs) || resolved.retryDelayMs < 0) {
    throw new PanCodeError(
      "INVALID_ARGUMENT",
      `bus retryDelayMs must be an integer >= 0, got ${resolved.retryDelayMs}`,
    );
  }
  return resolved;
}

/** Rejects a `maxInFlight` that is not a positive integer. */
export function assertMaxInFlight(pool: string, maxInFlight: number): void {
  if (!Number.isInteger(maxInFlight) || maxInFlight < 1) {
    throw new PanCodeError(
      "INVALID_ARGUMENT",
      `maxInFlight for pool ${pool} must be an integer >= 1, got ${maxInFlight}`,
    );
  }
}
