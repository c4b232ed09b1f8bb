import type { RunRow } from "@pancode/db";
import type { Logger } from "@pancode/telemetry";
import type { RunLifecycle } from "../services/run-lifecycle.js";
import type { RunQueries } from "../services/run-queries.js";
import { BatchScheduler } from "./batch-scheduler.js";
import { ChainRunner } from "./chain-runner.js";
import type { GroupLeases } from "./group-leases.js";
import type { OrchestrationDeps, OrchestrationStore } from "./orchestration-deps.js";
import { StopService } from "./stop-service.js";

/**
 * How often running batches and chains are re-examined without a trigger (a missed wake-up, a restart, another
 * replica's end); each look renews this replica's leases of the groups it owns.
 */
const ORCHESTRATION_TICK_MS = 2000;

/**
 * The coordinator's orchestration: batches, chains and stop, wired to run endings. `runEnded` is the lifecycle's
 * hook; `start` resumes what was running before a restart and keeps a slow tick as the safety net.
 */
export class Orchestrator {
  readonly batches: BatchScheduler;
  readonly chains: ChainRunner;
  readonly stops: StopService;
  private timer: NodeJS.Timeout | undefined;
  private readonly db: OrchestrationStore;
  private readonly logger: Logger;
  private readonly leases: GroupLeases;

  constructor(deps: OrchestrationDeps & { runs: RunQueries; lifecycle: RunLifecycle }) {
    this.db = deps.db;
    this.logger = deps.logger;
    this.leases = deps.leases;
    this.batches = new BatchScheduler(deps);
    this.chains = new ChainRunner(deps);
    this.stops = new StopService({
      db: deps.db,
      runs: deps.runs,
      lifecycle: deps.lifecycle,
      batches: this.batches,
      chains: this.chains,
    });
  }

  /** A run reached a terminal status: its batch may start the next item, its chain the next step. */
  runEnded(run: RunRow): void {
    if (run.batchId) this.batches.pump(run.batchId);
    if (run.chainId) this.chains.advance(run.chainId);
  }

  /** Resumes running batches and chains now and then every {@link ORCHESTRATION_TICK_MS}. */
  start(): void {
    const tick = (): void => {
      this.resume().catch((err: unknown) => this.logger.error("orchestration tick failed", { error: err as Error }));
    };
    tick();
    this.timer = setInterval(tick, ORCHESTRATION_TICK_MS);
    this.timer.unref();
  }

  /** Stops the tick and hands this replica's batches and chains to the others. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.leases
      .releaseAll()
      .catch((err: unknown) => this.logger.warn("could not hand batches and chains over", { error: err as Error }));
  }

  private async resume(): Promise<void> {
    for (const batch of await this.db.listRunningBatches()) this.batches.pump(batch.id);
    for (const chain of await this.db.listRunningChains()) this.chains.advance(chain.id);
  }
}
