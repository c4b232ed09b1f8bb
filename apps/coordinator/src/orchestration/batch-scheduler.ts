import { randomUUID } from "node:crypto";
import { isPanCodeError, isTerminalStatus, PanCodeError } from "@pancode/core";
import type { BatchItemRow, BatchRow, OrchestrationRequest, RunRow } from "@pancode/db";
import { KeyedSerial } from "./keyed-serial.js";
import {
  dispatchInputOf,
  interruptActive,
  isTransientRefusal,
  type OrchestrationDeps,
  registryFor,
  requireAgents,
  requireRange,
} from "./orchestration-deps.js";
import { isSettled } from "./run-settled.js";

/** Runs of a batch at once when the caller names no limit (the seed's default). */
const DEFAULT_BATCH_CONCURRENCY = 4;
/** Pause between two starts of a batch, in ms, when the caller names none (the seed's default). */
const DEFAULT_STAGGER_MS = 150;
/** Largest batch accepted: a batch is a fan-out of reviews or tasks, not a job queue. */
const MAX_BATCH_ITEMS = 256;

/** A batch as submitted. */
export interface CreateBatchInput {
  items: { task: string; agent: string }[];
  /** Every item is run by every member of this team ("" = none). */
  team: string;
  /** 0 = {@link DEFAULT_BATCH_CONCURRENCY}. */
  concurrency: number;
  /** < 0 = {@link DEFAULT_STAGGER_MS}. */
  staggerMs: number;
  request: OrchestrationRequest;
}

/**
 * The coordinator's batch scheduler. A batch's items become runs through the ordinary admission; the next item is
 * published only while fewer than `concurrency` runs of the batch are active, at least `staggerMs` after the
 * previous start. It is driven by run endings (RunLifecycle), a periodic tick and the coordinator's start, and
 * reads all its state from the database, so neither a disconnected client nor a restart loses a batch.
 */
export class BatchScheduler {
  private readonly serial = new KeyedSerial();
  private readonly lastStart = new Map<string, number>();

  constructor(private readonly deps: OrchestrationDeps) {}

  /** Records the batch and admits its first item in the call (a refusal is the caller's error; nothing is kept). */
  async create(input: CreateBatchInput): Promise<BatchRow> {
    const items = this.expand(input);
    if (items.length === 0) throw new PanCodeError("EMPTY_TASK", "Dispatch blocked: the batch has no tasks");
    requireRange("batch size", items.length, 1, MAX_BATCH_ITEMS);
    const concurrency = input.concurrency === 0 ? DEFAULT_BATCH_CONCURRENCY : input.concurrency;
    requireRange("concurrency", concurrency, 1, 64);
    const staggerMs = input.staggerMs < 0 ? DEFAULT_STAGGER_MS : input.staggerMs;
    requireRange("stagger", staggerMs, 0, 60_000);
    requireAgents(
      registryFor(this.deps.agents, input.request.agentFiles),
      items.map((i) => i.agent || this.deps.defaultAgent),
    );
    const batch = await this.deps.db.insertBatch({
      id: randomUUID(),
      items,
      concurrency,
      staggerMs,
      request: input.request,
      submitter: input.request.submitter,
      userName: input.request.userName ?? null,
      team: input.request.team ?? null,
    });
    try {
      await this.deps.leases.hold("batch", batch.id);
      await this.serial.run(batch.id, () => this.startItem(batch, 0));
    } catch (err) {
      await this.deps.db.deleteBatch(batch.id);
      throw err;
    }
    this.deps.logger.info("batch created", { batchId: batch.id, items: items.length, concurrency, staggerMs });
    this.pump(batch.id);
    return batch;
  }

  /** Starts what may start now (fire and forget; failures are logged and retried by the next tick). */
  pump(batchId: string): void {
    this.serial
      .run(batchId, () => this.fill(batchId))
      .catch((err: unknown) => this.deps.logger.error("batch scheduling failed", { batchId, error: err as Error }));
  }

  /** Stops a running batch: no further item starts, its active runs end interrupted. Returns the stopped runs. */
  async stop(batchId: string, reason: string): Promise<{ stopped: string[]; status: string } | undefined> {
    return this.serial.run(batchId, async () => {
      const ended = await this.deps.db.finishBatch(batchId, "stopped", reason);
      if (!ended) return undefined;
      const stopped = await interruptActive(this.deps.lifecycle, await this.deps.db.listRunsOf({ batchId }), reason);
      this.lastStart.delete(batchId);
      this.deps.logger.info("batch stopped", { batchId, runs: stopped.length });
      await this.deps.onFinished?.({ batchId });
      return { stopped, status: "stopped" };
    });
  }

  /** Items of the request; with a team, every task by every member. */
  private expand(input: CreateBatchInput): BatchItemRow[] {
    if (!input.team) return input.items.map((i) => ({ task: i.task, agent: i.agent }));
    const team = registryFor(this.deps.agents, input.request.agentFiles).resolveTeam(input.team);
    return input.items.flatMap((i) => team.agents.map((a) => ({ task: i.task, agent: a.name })));
  }

  /**
   * One pass under the batch's lock: start items while slots are free, then end the batch when all ended. Each
   * decision is taken under this replica's lease of the batch and from the database alone (which items have runs),
   * so a replica taking over a dead owner's batch starts exactly the items that have none.
   */
  private async fill(batchId: string): Promise<void> {
    for (;;) {
      if (!(await this.deps.leases.hold("batch", batchId))) return;
      const batch = await this.deps.db.getBatch(batchId);
      if (batch?.status !== "running") return;
      const runs = await this.deps.db.listRunsOf({ batchId });
      const started = new Set(runs.map((r) => r.step));
      const active = runs.filter((r) => !isTerminalStatus(r.status)).length;
      const next = batch.items.findIndex((item, i) => !item.error && !started.has(i + 1));
      if (next < 0) {
        if (runs.every((r) => isSettled(r))) await this.end(batch, runs);
        return;
      }
      if (active >= batch.concurrency) return;
      const wait = (this.lastStart.get(batchId) ?? 0) + batch.staggerMs - Date.now();
      if (wait > 0) {
        // Re-read after the pause: the batch may have been stopped meanwhile (stop waits for this lock anyway).
        await new Promise((resolve) => setTimeout(resolve, wait));
        continue;
      }
      try {
        await this.startItem(batch, next);
      } catch (err) {
        if (!isPanCodeError(err)) throw err;
        if (isTransientRefusal(err)) {
          this.deps.logger.warn("batch item waits", { batchId, item: next + 1, error: err.message });
          return;
        }
        // A refused item (budget, no worker, ...) is recorded and the batch goes on with the others.
        await this.deps.db.setBatchItemError(batchId, next, err.message);
        this.deps.logger.warn("batch item refused", { batchId, item: next + 1, error: err.message });
      }
    }
  }

  private async startItem(batch: BatchRow, index: number): Promise<void> {
    const item = batch.items[index];
    if (!item) throw new PanCodeError("INTERNAL", `batch ${batch.id} has no item ${index + 1}`);
    // Measured from the end of the admission (the run's insert is before it), so two starts are never closer
    // than the stagger, however long an admission takes.
    const { run } = await this.deps.dispatch
      .dispatch(
        dispatchInputOf(batch.request, {
          task: item.task,
          agent: item.agent,
          orchestration: { batchId: batch.id, step: index + 1 },
        }),
        batch.request.traceparent,
      )
      .finally(() => this.lastStart.set(batch.id, Date.now()));
    this.deps.logger.info("batch item started", { batchId: batch.id, item: index + 1, runId: run.id });
  }

  private async end(batch: BatchRow, runs: RunRow[]): Promise<void> {
    const refused = batch.items.filter((i) => i.error).length;
    const failed = runs.filter((r) => r.status !== "done").length + refused;
    const error = failed === 0 ? "" : `${failed} of ${batch.items.length} item(s) did not end done`;
    const ended = await this.deps.db.finishBatch(batch.id, failed === 0 ? "done" : "failed", error);
    this.lastStart.delete(batch.id);
    if (!ended) return;
    this.deps.logger.info("batch finished", { batchId: batch.id, status: ended.status, failed });
    await this.deps.onFinished?.({ batchId: batch.id });
  }
}
