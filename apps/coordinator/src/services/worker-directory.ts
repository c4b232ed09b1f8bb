import type { WorkerOffer } from "@pancode/agents";
import type { Database, WorkerRow, WorkerSandbox } from "@pancode/db";
import type { Logger } from "@pancode/telemetry";

export type { WorkerSandbox };

/** The worker store as the directory of workers uses it. */
export type WorkerStore = Pick<Database, "upsertWorker" | "heartbeatWorker" | "listWorkers" | "markWorkersGone">;

import { workerJoinedEntry, workerLeftEntry } from "./audit-log.js";

/** What a worker announced at registration, kept in memory (capabilities are not history, so not in the DB). */
interface WorkerCapabilities {
  runtimes: string[];
  /** Providers whose API key the worker holds (or that need none). */
  providers: string[];
  /** Zero-config: the providers and models the worker discovered; empty for workers under a config file. */
  offer: WorkerOffer;
}

/** Knows which workers are alive and what they can run; the routing gate asks it. */
export class WorkerDirectory {
  private readonly capabilities = new Map<string, WorkerCapabilities>();

  constructor(private readonly deps: { db: WorkerStore; logger: Logger; heartbeatMs: number }) {}

  async register(w: {
    id: string;
    pool: string;
    sandbox: WorkerSandbox;
    capacity: number;
    version: string;
    runtimes: string[];
    providers: string[];
    offer?: WorkerOffer;
  }): Promise<void> {
    await this.deps.db.upsertWorker(
      { id: w.id, pool: w.pool, sandbox: w.sandbox, capacity: w.capacity, version: w.version },
      workerJoinedEntry(w),
    );
    const offer = w.offer ?? { workerId: w.id, providers: [], problems: [] };
    this.capabilities.set(w.id, { runtimes: w.runtimes, providers: w.providers, offer });
    this.deps.logger.info("worker joined", { workerId: w.id, pool: w.pool, sandbox: w.sandbox, capacity: w.capacity });
  }

  /**
   * Records a heartbeat; false when the worker is unknown (it must register again). A worker this coordinator
   * process has not seen register (it restarted) is unknown too, although the database knows it: its capabilities
   * and model offers live only in memory, and registering again restores them.
   */
  async heartbeat(workerId: string, active: number): Promise<boolean> {
    if (!this.capabilities.has(workerId)) return false;
    return this.deps.db.heartbeatWorker(workerId, active, new Date());
  }

  /** A worker counts as live while its last heartbeat is younger than three intervals. */
  /** Workers with a heartbeat since then are live. */
  liveSince(): Date {
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

  /** Whether worker `id` offers model `provider/modelId`: by its discovered models when it announced any, else by
   * its key for the provider (a worker under a config file serves all of a provider's models). */
  servesModel(id: string, provider: string, modelId: string): boolean {
    const offered = this.capabilities.get(id)?.offer.providers.find((p) => p.name === provider);
    if (offered) return offered.models.some((m) => m.id === modelId);
    return this.servesProvider(id, provider);
  }

  /** The discovered providers and problems of every worker the coordinator knows (gone ones are swept). */
  offers(): WorkerOffer[] {
    return [...this.capabilities.values()].map((c) => c.offer);
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

  /** Workers that are up with a recent heartbeat, in every pool. */
  async live(): Promise<WorkerRow[]> {
    const since = this.liveSince();
    return (await this.deps.db.listWorkers()).filter((w) => w.status === "up" && w.lastHeartbeatAt >= since);
  }

  list(): Promise<WorkerRow[]> {
    return this.deps.db.listWorkers();
  }

  /** Every known worker with what it announced and whether it is live (for `pancode status` and `workers`). */
  async overview(): Promise<WorkerOverview[]> {
    const since = this.liveSince();
    return (await this.deps.db.listWorkers()).map((w) => ({
      ...w,
      runtimes: this.capabilities.get(w.id)?.runtimes ?? [],
      providers: this.capabilities.get(w.id)?.providers ?? [],
      offeredModels: offeredModelsOf(this.capabilities.get(w.id)?.offer),
      live: w.status === "up" && w.lastHeartbeatAt >= since,
    }));
  }
}

/** A worker as `overview` describes it. */
export interface WorkerOverview extends WorkerRow, Omit<WorkerCapabilities, "offer"> {
  /** Zero-config: the model ids the worker discovered, by provider name. */
  offeredModels: Record<string, string[]>;
  live: boolean;
}

function offeredModelsOf(offer: WorkerOffer | undefined): Record<string, string[]> {
  return Object.fromEntries((offer?.providers ?? []).map((p) => [p.name, p.models.map((m) => m.id)]));
}
