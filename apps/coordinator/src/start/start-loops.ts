import type { ServicesContext } from "./context.js";
import type { Services } from "./create-services.js";

/** The coordinator's background work, running until stopped. */
export interface Loops {
  /** Stops the timers, the database listener, the reconciler and the orchestrator. */
  stop(): Promise<void>;
}

/**
 * Starts the background work: the lease reaper and worker sweep, the drain watch, the publish reconciler, and the
 * batches and chains that were running before a restart.
 */
export function startLoops(ctx: ServicesContext, services: Services): Loops {
  const { config, logger } = ctx;
  // The reaper runs often enough that a lost worker is noticed within about a quarter lease after expiry.
  const reaper = setInterval(
    () => {
      Promise.all([services.lifecycle.reapExpiredLeases(), services.workers.sweep()]).catch((err: unknown) =>
        logger.error("reaper failed", { error: err as Error }),
      );
    },
    Math.max(200, Math.min(1000, config.runs.leaseMs / 4)),
  );
  reaper.unref();
  const stopDrainWatch = services.drain.watch();
  services.reconciler.start();
  // Batches and chains that were running before a restart go on from the database.
  services.orchestrator.start();
  return {
    async stop() {
      clearInterval(reaper);
      stopDrainWatch();
      await services.stopListening();
      await services.reconciler.stop();
      await services.orchestrator.stop();
    },
  };
}
