import { isTerminalStatus, PanCodeError } from "@pancode/core";
import type { RunLifecycle } from "../services/run-lifecycle.js";
import type { RunQueries } from "../services/run-queries.js";
import type { BatchScheduler } from "./batch-scheduler.js";
import type { ChainRunner } from "./chain-runner.js";
import type { OrchestrationStore } from "./orchestration-deps.js";
import { resolveByPrefix } from "./orchestration-deps.js";

/** What to stop: a run, a batch or a chain; none of them = the submitter's most recent active run. */
export interface StopRequest {
  runId: string;
  batchId: string;
  chainId: string;
  submitter: string;
}

/** The outcome of a stop, as the CLI prints it. */
export interface StopOutcome {
  target: string;
  alreadyFinished: boolean;
  status: string;
  stoppedRunIds: string[];
  message: string;
}

/**
 * `pancode stoprun`: ends runs wherever they run through the lifecycle's cancel path (status interrupted, the
 * worker kills the container, spend settled). A batch or chain is marked stopped first, so nothing more starts.
 * Stopping something that already ended changes nothing and says so.
 */
export class StopService {
  constructor(
    private readonly deps: {
      db: OrchestrationStore;
      runs: RunQueries;
      lifecycle: RunLifecycle;
      batches: BatchScheduler;
      chains: ChainRunner;
    },
  ) {}

  async stop(req: StopRequest): Promise<StopOutcome> {
    const who = req.submitter || "a user";
    if (req.batchId) {
      const db = this.deps.db;
      const batch = await resolveByPrefix("batch", req.batchId, db.getBatch, (p) => db.findBatchesByPrefix(p));
      const stopped = await this.deps.batches.stop(batch.id, `stopped by ${who}`);
      return this.outcome(`batch ${batch.id}`, stopped, async () => (await db.getBatch(batch.id))?.status ?? "");
    }
    if (req.chainId) {
      const db = this.deps.db;
      const chain = await resolveByPrefix("chain", req.chainId, db.getChain, (p) => db.findChainsByPrefix(p));
      const stopped = await this.deps.chains.stop(chain.id, `stopped by ${who}`);
      return this.outcome(`chain ${chain.id}`, stopped, async () => (await db.getChain(chain.id))?.status ?? "");
    }
    const run = req.runId
      ? await this.deps.runs.resolve(req.runId)
      : await this.deps.db.latestActiveRunOf(req.submitter);
    if (!run) {
      throw new PanCodeError(
        "NOT_FOUND",
        `no pending or running run of ${who} to stop (name one: pancode stoprun <run-id>)`,
      );
    }
    const ended = isTerminalStatus(run.status)
      ? undefined
      : await this.deps.lifecycle.finish(run.id, "interrupted", `stopped by ${who}`);
    return this.outcome(
      `run ${run.id}`,
      ended ? { stopped: [run.id], status: ended.status } : undefined,
      async () => (await this.deps.db.getRun(run.id))?.status ?? "",
    );
  }

  private async outcome(
    target: string,
    stopped: { stopped: string[]; status: string } | undefined,
    currentStatus: () => Promise<string>,
  ): Promise<StopOutcome> {
    if (!stopped) {
      const status = await currentStatus();
      return {
        target,
        alreadyFinished: true,
        status,
        stoppedRunIds: [],
        message: `${target} already finished (${status})`,
      };
    }
    const runs = stopped.stopped.length;
    const detail = target.startsWith("run ") ? "" : `, ${runs} run(s) interrupted`;
    return {
      target,
      alreadyFinished: false,
      status: stopped.status,
      stoppedRunIds: stopped.stopped,
      message: `${target} stopped${detail}`,
    };
  }
}
