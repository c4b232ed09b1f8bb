import type { WorkerInfo } from "../gen/pancode/v1/coordinator.js";

/** One worker as `pancode status --json` and `pancode workers --json` print it (stable camelCase fields). */
export interface WorkerJson {
  id: string;
  pool: string;
  sandbox: string;
  version: string;
  runtimes: string[];
  /** Providers whose key the worker holds (or that need none). */
  providers: string[];
  slotsUsed: number;
  slotsTotal: number;
  /** RFC 3339 time of the last heartbeat. */
  lastSeen: string;
  /** Up and heard from within three heartbeat intervals: it is sent runs. */
  live: boolean;
}

export function workerJson(w: WorkerInfo): WorkerJson {
  return {
    id: w.id,
    pool: w.pool,
    sandbox: w.sandbox,
    version: w.version,
    runtimes: w.runtimes,
    providers: w.providers,
    slotsUsed: w.active,
    slotsTotal: w.capacity,
    lastSeen: w.lastHeartbeatAt,
    live: w.live,
  };
}
