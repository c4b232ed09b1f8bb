import type { WorkerApi } from "@pancode/proto";
import type { Logger } from "@pancode/telemetry";

/**
 * Sends heartbeats with the worker's active runs. The answer names runs this worker must stop (stopped by a user,
 * ended by the coordinator, or taken over by a newer attempt). A heartbeat refused because the coordinator forgot
 * us (restart), or that no longer knows our session, triggers a re-registration.
 */
export function startHeartbeat(options: {
  api: WorkerApi;
  workerId: string;
  intervalMs: number;
  activeRunIds: () => string[];
  onCancel: (runId: string) => void;
  reregister: () => Promise<void>;
  logger: Logger;
}): { stop(): void; coordinatorAnswered(): Error | undefined } {
  let busy = false;
  // Readiness: the coordinator counts as reachable while a heartbeat got an answer within three intervals.
  let answeredAt = Date.now();
  let lastError: Error | undefined;
  const beat = async (): Promise<void> => {
    if (busy) return;
    busy = true;
    try {
      const answer = await options.api.heartbeat(options.workerId, options.activeRunIds());
      answeredAt = Date.now();
      for (const runId of answer.cancelRunIds) options.onCancel(runId);
    } catch (err) {
      lastError = err as Error;
      const code = (err as { code?: string }).code;
      // NOT_FOUND: the coordinator forgot us; UNAUTHENTICATED: our session was replaced (or revoked, and then the
      // registration is refused too and logged).
      if (code === "NOT_FOUND" || code === "UNAUTHENTICATED") {
        await options
          .reregister()
          .catch((regErr: unknown) => options.logger.warn("re-registration failed", { error: regErr as Error }));
      } else options.logger.warn("heartbeat failed", { error: err as Error });
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void beat(), options.intervalMs);
  timer.unref();
  return {
    stop: () => clearInterval(timer),
    coordinatorAnswered: () => {
      const silentMs = Date.now() - answeredAt;
      if (silentMs <= 3 * options.intervalMs) return undefined;
      return new Error(`no heartbeat answer for ${silentMs} ms${lastError ? `: ${lastError.message}` : ""}`);
    },
  };
}
