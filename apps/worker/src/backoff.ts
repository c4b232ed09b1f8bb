import { isPanCodeError } from "@pancode/core";

/** Exponential backoff: the n-th retry waits about `baseMs * 2^(n-1)`, never more than `capMs`. */
export interface BackoffPolicy {
  baseMs: number;
  capMs: number;
}

/**
 * Retrying the coordinator (completion delivery, claims, heartbeats, workspace fetch) during an outage: from half a
 * second up to 30 s, so a cluster's workers neither hammer a recovering coordinator nor wait long once it is back.
 */
export const COORDINATOR_BACKOFF: BackoffPolicy = { baseMs: 500, capMs: 30_000 };

/**
 * Offering a task message again when it could not be claimed (coordinator away): from 2 s, doubling with the
 * message's delivery count, up to 60 s, so JetStream's max deliveries (PANCODE_MAX_DELIVER, 10 by default) last
 * about 5 minutes of outage instead of 10 seconds.
 */
export const REDELIVERY_BACKOFF: BackoffPolicy = { baseMs: 2_000, capMs: 60_000 };

/**
 * Delay before retry number `attempt` (1 = the first retry), with "equal jitter": half the exponential step plus a
 * random half, so workers that failed together do not come back together, and no delay is shorter than half a step.
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const exponent = Math.min(Math.max(attempt, 1) - 1, 30);
  const step = Math.min(policy.capMs, policy.baseMs * 2 ** exponent);
  return Math.round(step / 2 + random() * (step / 2));
}

/**
 * Whether a failed coordinator call may succeed if tried again: the coordinator or its database was away
 * (UNAVAILABLE, INTERNAL), it is draining, or our session was replaced while it restarted (UNAUTHENTICATED: the
 * heartbeat registers again). Every other answer is the coordinator's decision and final.
 */
export function isTransient(err: unknown): boolean {
  if (!isPanCodeError(err)) return true;
  return ["UNAVAILABLE", "INTERNAL", "DRAINING", "UNAUTHENTICATED"].includes(err.code);
}

/** Resolves after `ms`, or at once (false) when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
