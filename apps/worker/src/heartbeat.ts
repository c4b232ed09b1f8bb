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
}): { stop(): void } {
  let busy = false;
  const beat = async (): Promise<void> => {
    if (busy) return;
    busy = true;
    try {
      const answer = await options.api.heartbeat(options.workerId, options.activeRunIds());
      for (const runId of answer.cancelRunIds) options.onCancel(runId);
    } catch (err) {
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
  return { stop: () => clearInterval(timer) };
}
