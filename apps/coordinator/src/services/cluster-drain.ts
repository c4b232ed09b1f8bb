import type { Database } from "@pancode/db";
import type { Logger } from "@pancode/telemetry";
import type { AuditLog } from "./audit-log.js";

/** The cluster-flag store as the drain uses it. */
export type ClusterFlagStore = Pick<Database, "getClusterFlag" | "setClusterFlag" | "clearClusterFlag">;

/** Name of the cluster flag that stops admissions on every coordinator replica. */
const DRAIN_FLAG = "draining";

/** What `pancode drain` / `pancode undrain` answer. */
export interface DrainState {
  draining: boolean;
  /** Nothing changed (already draining, or already admitting): nothing audited. */
  alreadyDraining: boolean;
  activeRuns: number;
}

/**
 * Drain of the whole cluster, persisted as a row in Postgres: every replica reads it before each admission and in
 * its readiness, so a drain asked of one replica holds on all of them and across restarts until `undrain`. A replica
 * shutting down drains itself only (`stopLocally`), never the others.
 */
export class ClusterDrain {
  private local = false;

  constructor(
    private readonly deps: {
      db: ClusterFlagStore;
      audit: AuditLog;
      logger: Logger;
      activeRuns: () => Promise<number>;
    },
  ) {}

  /** True while the cluster is drained or this replica shuts down. */
  async isDraining(): Promise<boolean> {
    if (this.local) return true;
    return (await this.deps.db.getClusterFlag(DRAIN_FLAG)) !== undefined;
  }

  /** Drains every replica. Audited before it takes effect, so a drain that cannot be recorded is refused. */
  async drain(actor: string): Promise<DrainState> {
    const activeRuns = await this.deps.activeRuns();
    if (await this.deps.db.getClusterFlag(DRAIN_FLAG)) return { draining: true, alreadyDraining: true, activeRuns };
    await this.deps.audit.drainStarted(actor, activeRuns);
    await this.deps.db.setClusterFlag(DRAIN_FLAG, actor);
    this.deps.logger.info("cluster draining: no new admissions on any coordinator", { actor, activeRuns });
    return { draining: true, alreadyDraining: false, activeRuns };
  }

  /** Lets every replica admit again (this one too, unless it is shutting down). */
  async undrain(actor: string): Promise<DrainState> {
    const activeRuns = await this.deps.activeRuns();
    if (!(await this.deps.db.getClusterFlag(DRAIN_FLAG))) {
      return { draining: this.local, alreadyDraining: true, activeRuns };
    }
    await this.deps.audit.drainEnded(actor);
    await this.deps.db.clearClusterFlag(DRAIN_FLAG);
    this.deps.logger.info("cluster drain ended: runs are admitted again", { actor });
    return { draining: this.local, alreadyDraining: false, activeRuns };
  }

  /** This replica stops admitting (it is shutting down); the others go on. */
  stopLocally(): void {
    this.local = true;
  }
}
