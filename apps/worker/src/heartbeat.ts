import type { WorkerApi } from "@pancode/proto";
import type { Logger } from "@pancode/telemetry";
import { backoffDelay } from "./backoff.js";

/**
 * Sends heartbeats with the worker's active runs (executing, or holding an undelivered outcome: both keep their
 * lease). The answer names runs this worker must stop (stopped by a user, ended by the coordinator, or taken over by
 * a newer attempt). A heartbeat refused because the coordinator forgot us (restart), or that no longer knows our
 * session, triggers a re-registration. While heartbeats fail, they back off exponentially with jitter, from the
 * interval up to a third of a lease, so a coordinator that comes back hears from us before our leases run out.
 */
export function startHeartbeat(options: {
  api: WorkerApi;
  workerId: string;
  intervalMs: number;
  /** The coordinator's lease length: bounds the backoff. */
  leaseMs: number;
  activeRunIds: () => string[];
  onCancel: (runId: string) => void;
  reregister: () => Promise<void>;
  logger: Logger;
}): { beat(): Promise<void>; stop(): void; coordinatorAnswered(): Error | undefined } {
  let busy = false;
  let failures = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  // Readiness: the coordinator counts as reachable while a heartbeat got an answer within three intervals.
  let answeredAt = Date.now();
  let lastError: Error | undefined;
  const beat = async (): Promise<void> => {
    if (busy) return;
    busy = true;
    try {
      const answer = await options.api.heartbeat(options.workerId, options.activeRunIds());
      answeredAt = Date.now();
      failures = 0;
      for (const runId of answer.cancelRunIds) options.onCancel(runId);
    } catch (err) {
      lastError = err as Error;
      failures += 1;
      const code = (err as { code?: string }).code;
      // NOT_FOUND: the coordinator forgot us; UNAUTHENTICATED: our session was replaced (or revoked, and then the
      // registration is refused too and logged).
      if (code === "NOT_FOUND" || code === "UNAUTHENTICATED") {
        await options
          .reregister()
          .catch((regErr: unknown) => options.logger.warn("re-registration failed", { error: regErr as Error }));
      } else options.logger.warn("heartbeat failed", { failures, error: err as Error });
    } finally {
      busy = false;
    }
  };
  const schedule = (): void => {
    if (stopped) return;
    const cap = Math.max(options.intervalMs, Math.floor(options.leaseMs / 3));
    const delayMs =
      failures === 0 ? options.intervalMs : backoffDelay(failures, { baseMs: options.intervalMs, capMs: cap });
    timer = setTimeout(() => void beat().finally(schedule), delayMs);
    timer.unref();
  };
  schedule();
  return {
    beat,
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
    coordinatorAnswered: () => {
      const silentMs = Date.now() - answeredAt;
      if (silentMs <= 3 * options.intervalMs) return undefined;
      return new Error(`no heartbeat answer for ${silentMs} ms${lastError ? `: ${lastError.message}` : ""}`);
    },
  };
}
