import type { Database, WorkerRow, WorkerSandbox } from "@pancode/db";
import type { Logger } from "@pancode/telemetry";
import { workerJoinedEntry, workerLeftEntry } from "./audit-log.js";

/** What a worker announced at registration, kept in memory (capabilities are not history, so not in the DB). */
interface WorkerCapabilities {
  runtimes: string[];
  /** Providers whose API key the worker holds (or that need none). */
  providers: string[];
}

/** Knows which workers are alive and what they can run; the routing gate asks it. */
export class WorkerDirectory {
  private readonly capabilities = new Map<string, WorkerCapabilities>();

  constructor(private readonly deps: { db: Database; logger: Logger; heartbeatMs: number }) {}

  async register(w: {
    id: string;
    pool: string;
    sandbox: WorkerSandbox;
    capacity: number;
    version: string;
    runtimes: string[];
    providers: string[];
  }): Promise<void> {
    await this.deps.db.upsertWorker(
      { id: w.id, pool: w.pool, sandbox: w.sandbox, capacity: w.capacity, version: w.version },
      workerJoinedEntry(w),
    );
    this.capabilities.set(w.id, { runtimes: w.runtimes, providers: w.providers });
    this.deps.logger.info("worker joined", { workerId: w.id, pool: w.pool, sandbox: w.sandbox, capacity: w.capacity });
  }

  /** Records a heartbeat; false when the worker is unknown (it must register again). */
  async heartbeat(workerId: string, active: number): Promise<boolean> {
    return this.deps.db.heartbeatWorker(workerId, active, new Date());
  }

  /** A worker counts as live while its last heartbeat is younger than three intervals. */
  private liveSince(): Date {
    return new Date(Date.now() - 3 * this.deps.heartbeatMs);
  }

  /** Live workers of `pool` able to run `runtime` (unknown capabilities count as able: older workers). */
  async liveWorkers(pool: string, runtime: string): Promise<WorkerRow[]> {
    const since = this.liveSince();
    const rows = await this.deps.db.listWorkers();
    return rows.filter(
      (w) =>
        w.status === "up" &&
        w.pool === pool &&
        w.lastHeartbeatAt >= since &&
        (this.capabilities.get(w.id)?.runtimes.includes(runtime) ?? true),
    );
  }

  /** Whether worker `id` announced a key for `provider`. Workers the coordinator has not heard from since its own
   * start are unknown: they re-register on their next heartbeat, so they do not count yet. */
  servesProvider(id: string, provider: string): boolean {
    return this.capabilities.get(id)?.providers.includes(provider) ?? false;
  }

  /** Marks workers without a recent heartbeat as gone and logs who left. */
  async sweep(): Promise<void> {
    const gone = await this.deps.db.markWorkersGone(this.liveSince(), (w) =>
      workerLeftEntry(w, "no heartbeat for three intervals (lease lost)"),
    );
    for (const w of gone) {
      this.capabilities.delete(w.id);
      this.deps.logger.warn("worker left", { workerId: w.id, lastHeartbeatAt: w.lastHeartbeatAt.toISOString() });
    }
  }

  list(): Promise<WorkerRow[]> {
    return this.deps.db.listWorkers();
  }
}
