import { isPanCodeError } from "@pancode/core";
import { decodeTask } from "./codec.js";
import { errorField } from "./logger.js";
import type { BusHeaders, ResolvedBusOptions, TaskDelivery, TaskHandler } from "./types.js";

/** A delivery as a transport hands it over, before decoding. Both adapters produce these. */
export interface RawDelivery {
  /** Queue (stream) sequence of the message, for logs. */
  seq: number;
  payload: Uint8Array;
  headers: BusHeaders;
  deliveryCount: number;
  ack(): Promise<void>;
  nak(delayMs?: number): Promise<void>;
  term(): Promise<void>;
  working(): Promise<void>;
}

/** Where a delivery came from and the bus options that decide how failures are settled. */
export interface RunDeliveryContext {
  pool: string;
  options: ResolvedBusOptions;
}

/**
 * Decodes a raw delivery and runs the handler on it; never throws. This is the boundary where failures become queue
 * decisions: a malformed payload is terminated; a handler throwing a non-retryable PanCodeError terminates the message;
 * any other throw naks it with `retryDelayMs`, except on the last allowed delivery where it is terminated (so the
 * message does not linger in a work-queue stream that will never deliver it again).
 */
export async function runDelivery(raw: RawDelivery, handler: TaskHandler, ctx: RunDeliveryContext): Promise<void> {
  const { logger } = ctx.options;
  const meta = { pool: ctx.pool, seq: raw.seq, deliveryCount: raw.deliveryCount };
  const decoded = decodeTask(raw.payload);
  const error = !decoded.ok
    ? decoded.error
    : decoded.value.pool !== ctx.pool
      ? `task for pool ${decoded.value.pool} arrived on pool ${ctx.pool}`
      : undefined;
  if (!decoded.ok || error !== undefined) {
    logger.warn("malformed task terminated", { ...meta, error });
    await settleQuietly(() => raw.term(), ctx, meta);
    return;
  }
  const tracked = trackSettlement(raw, decoded.value);
  try {
    await handler(tracked.delivery);
    // Not an error: leaving a message unsettled is how a worker hands it back through the ack wait.
    if (!tracked.isSettled())
      logger.debug("task handler returned without settling", { ...meta, runId: decoded.value.runId });
  } catch (err) {
    const failMeta = { ...meta, runId: decoded.value.runId, error: errorField(err) };
    if (tracked.isSettled()) {
      logger.warn("task handler threw after settling", failMeta);
    } else if (isPanCodeError(err) && !err.retryable) {
      logger.warn("task handler failed; terminated", failMeta);
      await settleQuietly(() => tracked.delivery.term(), ctx, failMeta);
    } else if (raw.deliveryCount >= ctx.options.maxDeliver) {
      logger.warn("task handler failed on last delivery; dropped", failMeta);
      await settleQuietly(() => tracked.delivery.term(), ctx, failMeta);
    } else {
      logger.warn("task handler failed; retrying", { ...failMeta, retryDelayMs: ctx.options.retryDelayMs });
      await settleQuietly(() => tracked.delivery.nak(ctx.options.retryDelayMs), ctx, failMeta);
    }
  }
}

function trackSettlement(
  raw: RawDelivery,
  task: TaskDelivery["task"],
): { delivery: TaskDelivery; isSettled: () => boolean } {
  let settled = false;
  const settle = async (op: () => Promise<void>): Promise<void> => {
    if (settled) return;
    settled = true;
    try {
      await op();
    } catch (err) {
      // The transport did not take it: let the handler (or the failure path) try again.
      settled = false;
      throw err;
    }
  };
  const delivery: TaskDelivery = {
    task,
    headers: raw.headers,
    deliveryCount: raw.deliveryCount,
    ack: () => settle(() => raw.ack()),
    nak: (delayMs) => settle(() => raw.nak(delayMs)),
    term: () => settle(() => raw.term()),
    working: () => (settled ? Promise.resolve() : raw.working()),
  };
  return { delivery, isSettled: () => settled };
}

async function settleQuietly(
  op: () => Promise<void>,
  ctx: RunDeliveryContext,
  meta: Record<string, unknown>,
): Promise<void> {
  try {
    await op();
  } catch (err) {
    // Nothing more to do here: the ack wait redelivers the message.
    ctx.options.logger.error("settling task failed", { ...meta, settleError: errorField(err) });
  }
}
