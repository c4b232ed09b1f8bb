import type { TaskBus } from "@pancode/bus";
import type { Database, HeldLock, RunRow } from "@pancode/db";
import type { Logger } from "@pancode/telemetry";
import type { RunPublisher } from "./run-publisher.js";

/** The run store as the publish reconciler uses it: the pending runs and the lock that makes one replica scan. */
type PendingRunStore = Pick<Database, "listPendingRuns" | "markUnpublished" | "touchHeldRuns" | "tryAdvisoryLock">;

/** Advisory lock key of the reconciler ("pancode reconcile"): one coordinator at a time runs the passes. */
const RECONCILER_LOCK_KEY = 0x7063_7263;

/** Most pending runs looked at in one pass; the rest wait for the next one. */
const PASS_LIMIT = 1000;

/** Dependencies and bounds of {@link PublishReconciler}. */
export interface PublishReconcilerDeps {
  db: PendingRunStore;
  bus: TaskBus;
  publisher: RunPublisher;
  logger: Logger;
  /** Ends a run that cannot be delivered (the lifecycle's coordinator-side `error`, audited). */
  giveUp: (runId: string, reason: string) => Promise<unknown>;
  /** Pools whose consumers are recreated with a lost stream, besides those of pending runs. */
  pools: readonly string[];
  /** Pause between passes, in ms (PANCODE_RECONCILE_INTERVAL_MS). */
  intervalMs: number;
  /** A run without a live message this long, while the gate allowed one, ends `error` (PANCODE_UNDELIVERABLE_AFTER_MS). */
  undeliverableAfterMs: number;
  /** A run whose message was lost more often than this ends `error` (PANCODE_MAX_REPUBLISHES). */
  maxRepublishes: number;
  /**
   * A delivered message of a still pending run that nobody claims for this long is taken for stuck after its max
   * deliveries and replaced (PANCODE_REDELIVERY_STALL_MS).
   */
  stallAfterMs: number;
}

/** What one pass did (for logs and tests). */
export interface ReconcilePass {
  /** False when another coordinator holds the lock: this one did nothing. */
  owner: boolean;
  streamRecreated: boolean;
  published: string[];
  held: string[];
  ended: string[];
}

/**
 * Makes sure every `pending` run has a live task message: publishes runs never published (the bus was down at
 * dispatch, or the gate held them), republishes runs whose message is gone (dropped after max deliveries, purged,
 * lost with a deleted stream, which it recreates), and ends with a reason those that cannot be delivered within
 * the bounds. A republish can never run a run twice: the claim is a conditional update on status and attempt, and a
 * worker drops a message of a run that is already claimed or finished.
 */
export class PublishReconciler {
  private lock: HeldLock | undefined;
  private timer: NodeJS.Timeout | undefined;
  private passing: Promise<unknown> | undefined;
  private stopped = false;
  private running = false;
  private nudged = false;
  /** When this coordinator first saw each delivered, unclaimed message (`runId:seq`) still queued. */
  private readonly stalls = new Map<string, number>();

  constructor(private readonly deps: PublishReconcilerDeps) {}

  /** Runs a pass every interval (never two at once) until {@link stop}. */
  start(): void {
    this.schedule(this.deps.intervalMs);
  }

  /**
   * Asks for a pass as soon as possible (a held run may start: its team's run just ended) instead of at the next
   * interval. A pass under way is followed by another one.
   */
  nudge(): void {
    if (this.stopped) return;
    if (this.running) {
      this.nudged = true;
      return;
    }
    this.schedule(0);
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = true;
      this.passing = this.pass()
        .catch((err: unknown) => this.deps.logger.warn("publish reconciler pass failed", { error: err as Error }))
        .finally(() => {
          this.running = false;
          const again = this.nudged;
          this.nudged = false;
          this.schedule(again ? 0 : this.deps.intervalMs);
        });
    }, delayMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.passing;
    await this.lock?.release();
    this.lock = undefined;
  }

  /** One pass; does nothing (owner: false) while another coordinator holds the reconciler lock. */
  async pass(): Promise<ReconcilePass> {
    const result: ReconcilePass = { owner: false, streamRecreated: false, published: [], held: [], ended: [] };
    if (!(await this.holdLock())) return result;
    result.owner = true;
    const pending = await this.deps.db.listPendingRuns(PASS_LIMIT);
    const pass = new PassState(this.deps.bus, this.deps.logger);
    const pools = new Set([...this.deps.pools, ...pending.map((r) => r.pool)]);
    result.streamRecreated = (await pass.tryBus(() => this.deps.bus.ensureTaskQueue([...pools]))) ?? false;
    this.forgetStallsExcept(pending);
    await pass.lookUpQueued(pending);
    for (const found of pending) await this.reconcileRun(found, pass, result);
    await this.deps.db.touchHeldRuns(result.held);
    if (result.published.length + result.ended.length > 0 || result.streamRecreated) {
      this.deps.logger.info("publish reconciler pass", {
        published: result.published.length,
        held: result.held.length,
        ended: result.ended.length,
        streamRecreated: result.streamRecreated,
      });
    }
    return result;
  }

  /** Leaves a run with a live message alone; publishes, holds or ends one without. */
  private async reconcileRun(found: RunRow, pass: PassState, result: ReconcilePass): Promise<void> {
    // A message that cannot be looked up (bus away) is not known to be gone.
    const run = found.publishedAt === null ? found : await pass.tryBus(() => this.withoutLiveMessage(found, pass));
    if (run === undefined) return;
    const reason = this.undeliverable(run);
    if (reason) {
      await this.deps.giveUp(run.id, reason);
      result.ended.push(run.id);
      return;
    }
    const outcome = await pass.tryBus(() => this.deps.publisher.publish(run));
    if (outcome === "held") result.held.push(run.id);
    if (outcome === "published") result.published.push(run.id);
  }

  /**
   * The run handed back to the publisher when its message is gone; undefined while the message is live, or when the
   * run moved on meanwhile (claimed, finished, published again).
   */
  private async withoutLiveMessage(run: RunRow, pass: PassState): Promise<RunRow | undefined> {
    const seq = run.busSeq;
    const queued = seq !== null && pass.isQueued(run);
    if (queued && !(await this.hasStalled(run, seq, pass.delivered))) return undefined;
    if (!(await this.deps.db.markUnpublished(run.id, run.publishCount))) return undefined;
    // A stuck message would never be delivered again; a live one delivered late would only be dropped by the claim.
    if (queued) await this.deps.bus.discardTask(seq, run.id);
    this.deps.logger.warn(
      queued
        ? "task message of a pending run stalled after its deliveries; replacing it"
        : "task message of a pending run is gone; republishing",
      { runId: run.id, seq, publishes: run.publishCount },
    );
    return { ...run, publishedAt: null, unpublishedSince: run.unpublishedSince ?? new Date() };
  }

  /**
   * Whether the run's queued message was delivered and has gone unclaimed for the stall bound: what a message looks
   * like that ran out of deliveries while no coordinator was there to drop it. A message not delivered yet is
   * simply waiting for a free worker, however long that takes.
   */
  private async hasStalled(run: RunRow, seq: number, delivered: (pool: string) => Promise<number>): Promise<boolean> {
    const key = `${run.id}:${seq}`;
    if (seq > (await delivered(run.pool))) {
      this.stalls.delete(key);
      return false;
    }
    const since = this.stalls.get(key) ?? Date.now();
    this.stalls.set(key, since);
    return Date.now() - since >= this.deps.stallAfterMs;
  }

  /** Drops stall observations of runs that are no longer pending. */
  private forgetStallsExcept(pending: readonly RunRow[]): void {
    const live = new Set(pending.map((r) => `${r.id}:${r.busSeq}`));
    for (const key of this.stalls.keys()) if (!live.has(key)) this.stalls.delete(key);
  }

  /** Why the run can no longer be delivered, or "" while it may still be. */
  private undeliverable(run: RunRow): string {
    if (run.publishCount > this.deps.maxRepublishes) {
      return (
        `undeliverable: its task message was lost ${run.publishCount} times (dropped after max deliveries or ` +
        "with the task stream); check the workers' logs and NATS, then dispatch it again"
      );
    }
    const since = run.unpublishedSince?.getTime() ?? Number.POSITIVE_INFINITY;
    if (Date.now() - since < this.deps.undeliverableAfterMs) return "";
    return (
      `undeliverable: the task bus (NATS) did not take the run for ${durationText(this.deps.undeliverableAfterMs)} ` +
      "(PANCODE_UNDELIVERABLE_AFTER_MS); check NATS with `pancode status`, then dispatch it again"
    );
  }

  /** Whether this coordinator holds the reconciler lock, taking it when free (or when its connection was lost). */
  private async holdLock(): Promise<boolean> {
    if (this.lock && !this.lock.lost) return true;
    await this.lock?.release();
    this.lock = await this.deps.db.tryAdvisoryLock(RECONCILER_LOCK_KEY);
    return this.lock !== undefined;
  }
}

/** "30 min", "45 s": a bound as an operator reads it. */
function durationText(ms: number): string {
  return ms >= 60_000 ? `${Math.round(ms / 60_000)} min` : `${Math.round(ms / 1000)} s`;
}

/**
 * What one pass learns of the bus: once a call fails the bus is taken to be away, and the pass makes no more calls
 * (each would only wait for its timeout) while the undeliverable bound still runs.
 */
class PassState {
  private down = false;
  private readonly deliveredUpTo = new Map<string, Promise<number>>();
  /** Published runs whose task message the bus still held when the pass asked. */
  private readonly queued = new Set<string>();

  constructor(
    private readonly bus: TaskBus,
    private readonly logger: Logger,
  ) {}

  /** The call's result; undefined when the bus is away (now or earlier in the pass). */
  async tryBus<T>(call: () => Promise<T>): Promise<T | undefined> {
    if (this.down) return undefined;
    try {
      return await call();
    } catch (err) {
      this.down = true;
      this.logger.warn("task bus unavailable; publishing waits for it", { error: err as Error });
      return undefined;
    }
  }

  /**
   * Asks the bus once, for every published run of the pass, whether its task message is still queued: with a
   * backlog, a look-up per pending run on every pass was as much of the coordinator's CPU as publishing them
   * (bench/README.md, admissions). A run claimed, republished or lost after this answer is seen on the next pass.
   */
  async lookUpQueued(pending: readonly RunRow[]): Promise<void> {
    const published = pending.filter(
      (r): r is RunRow & { busSeq: number } => r.publishedAt !== null && r.busSeq !== null,
    );
    const answers = await this.tryBus(() =>
      this.bus.hasQueuedTasks(published.map((r) => ({ seq: r.busSeq, runId: r.id }))),
    );
    for (const [i, run] of published.entries()) if (answers?.[i]) this.queued.add(run.id);
  }

  /** Whether the run's task message was queued when the pass asked ({@link lookUpQueued}). */
  isQueued(run: RunRow): boolean {
    return this.queued.has(run.id);
  }

  /** The pool's highest delivered sequence, asked once per pass. */
  readonly delivered = (pool: string): Promise<number> => {
    const known = this.deliveredUpTo.get(pool) ?? this.bus.deliveredUpTo(pool);
    this.deliveredUpTo.set(pool, known);
    return known;
  };
}
