import { context, propagation } from "@opentelemetry/api";
import type { TaskDelivery } from "@pancode/bus";
import { type Completion, isPanCodeError, type RunAssignment } from "@pancode/core";
import { assignmentFromWire, completionToWire, type WorkerApi } from "@pancode/proto";
import type { SigningKey } from "@pancode/receipts";
import type { Logger } from "@pancode/telemetry";
import { recordSpan, withSpan } from "@pancode/telemetry";
import { backoffDelay, REDELIVERY_BACKOFF } from "./backoff.js";
import { EventReporter } from "./event-reporter.js";
import type { Outbox, OutboxEntry } from "./outbox.js";
import type { DeliveryResult, OutboxSender } from "./outbox-sender.js";
import { type ExecutionDeps, executeRun, type RunOutcome, type StopReason } from "./run-execution.js";
import { signAttemptReceipt } from "./run-receipt.js";

/** An attempt this worker is executing. */
interface ActiveRun {
  abort: AbortController;
  stop: StopReason | undefined;
}

/** Options of {@link JobRunner}. */
export interface JobRunnerOptions extends ExecutionDeps {
  api: WorkerApi;
  flushMs: number;
  ackWaitMs: number;
  /** This worker's receipt-signing key. */
  signingKey: SigningKey;
  /** Where finished outcomes are kept until the coordinator acknowledges them, and who delivers them. */
  outbox: Outbox;
  sender: OutboxSender;
}

/** Deferred cleanups (worktree removals) allowed to run in the background at once; more wait for one to end. */
const MAX_BACKGROUND_CLEANUPS = 4;

/** How one attempt ended for its bus message: settled with the coordinator, abandoned before it ran, or left. */
type AttemptEnd = DeliveryResult | "abandoned";

/** Delay before a message this worker could not take is offered again: grows with its delivery count. */
function redeliveryDelay(deliveryCount: number): number {
  return backoffDelay(deliveryCount, REDELIVERY_BACKOFF);
}

/** The completion of an outcome, signed by `receiptEnvelope`. */
function completionOf(outcome: RunOutcome, receiptEnvelope: string): Completion {
  return {
    status: outcome.status,
    exitCode: outcome.exitCode,
    error: outcome.error,
    outputTail: outcome.outputTail,
    startedAt: outcome.startedAt,
    finishedAt: outcome.finishedAt,
    costUsd: outcome.usage.costUsd ?? 0,
    inputTokens: outcome.usage.input,
    outputTokens: outcome.usage.output,
    patch: outcome.patch,
    imageDigest: outcome.imageDigest,
    receiptEnvelope,
  };
}

/** What one attempt in progress holds besides its assignment: its reporter, stop state, deferred cleanups, log. */
interface AttemptContext {
  reporter: EventReporter;
  active: ActiveRun;
  cleanups: (() => Promise<void>)[];
  log: Logger;
}

/**
 * Turns bus deliveries into executed runs: claim (new attempt) -> execute -> outbox -> deliver -> ack. The message is
 * kept alive (in progress) while the run lasts and while its outcome waits in the outbox for the coordinator; it is
 * acked only once the coordinator holds the result, so a worker that dies mid-run leaves the message to be
 * redelivered to another worker, and a finished result is never executed again because the coordinator was away.
 */
export class JobRunner {
  private readonly active = new Map<string, ActiveRun>();
  /** Cleanups of attempts that ended, still under way. */
  private readonly cleaning = new Map<string, Promise<void>>();

  constructor(private readonly options: JobRunnerOptions) {}

  activeRunIds(): string[] {
    return [...this.active.keys()];
  }

  /** Stops a run this worker executes (user stop, superseded attempt, drain). */
  stop(runId: string, reason: StopReason): void {
    const run = this.active.get(runId);
    if (!run || run.stop) return;
    run.stop = reason;
    run.abort.abort(reason);
  }

  async handle(delivery: TaskDelivery): Promise<void> {
    const { runId } = delivery.task;
    const log = this.options.logger.child({ runId });
    // A redelivery of a run this very worker still executes: the original delivery acks it.
    if (this.active.has(runId)) return;
    const keepalive = setInterval(
      () => void delivery.working().catch(() => {}),
      Math.max(200, this.options.ackWaitMs / 3),
    );
    keepalive.unref();
    try {
      // The message of an outcome this worker holds (delivered again after a restart or a bus blip): kept in
      // progress until the outcome is delivered, then settled like the original, never claimed again.
      const held = this.options.sender.pending(runId);
      if (held) return await this.settle(delivery, await held, log);
      let claim: Awaited<ReturnType<JobRunnerOptions["api"]["claimRun"]>>;
      try {
        claim = await this.options.api.claimRun({
          runId,
          workerId: this.options.workerId,
          deliveryCount: delivery.deliveryCount,
        });
      } catch (err) {
        // Nothing ran: offer the message again later, later with every delivery, so an outage does not use up
        // the message's deliveries in seconds.
        const retryInMs = redeliveryDelay(delivery.deliveryCount);
        log.warn("task not claimed: coordinator unreachable; offered again later", { retryInMs, error: err as Error });
        await delivery.nak(retryInMs).catch(() => {});
        return;
      }
      if (!claim.spec) {
        log.info("task not claimed", { reason: claim.skipReason, retryAfterMs: claim.retryAfterMs });
        if (claim.retryAfterMs > 0) await delivery.nak(claim.retryAfterMs);
        else await delivery.ack();
        return;
      }
      const assignment = assignmentFromWire(claim.spec);
      const { spec } = assignment;
      const parent = propagation.extract(context.active(), {
        traceparent: spec.traceparent || delivery.headers.traceparent,
      });
      const attrs = {
        "pancode.run_id": runId,
        "pancode.attempt": spec.attempt,
        "pancode.worker_id": this.options.workerId,
      };
      recordSpan("pancode.queue.wait", { start: new Date(delivery.task.enqueuedAt), end: new Date() }, attrs, parent);
      const end = await context.with(parent, () =>
        withSpan("pancode.run", attrs, () => this.runAttempt(assignment, log)),
      );
      await this.settle(delivery, end, log);
    } catch (err) {
      log.error("delivery failed; will be redelivered", { error: err as Error });
      await delivery.nak(redeliveryDelay(delivery.deliveryCount)).catch(() => {});
    } finally {
      clearInterval(keepalive);
    }
  }

  /** Acks the message once the coordinator settled the attempt; otherwise it is offered again (or left, stopping). */
  private async settle(delivery: TaskDelivery, end: AttemptEnd, log: Logger): Promise<void> {
    if (end === "delivered" || end === "dropped") return delivery.ack();
    // Stopping: the outcome stays in the outbox for the next start; the message comes back after the ack wait.
    if (end === "stopped") return;
    const retryInMs = redeliveryDelay(delivery.deliveryCount);
    log.warn("attempt not completed; offered again later", { end, retryInMs });
    await delivery.nak(retryInMs);
  }

  private async runAttempt(assignment: RunAssignment, log: Logger): Promise<AttemptEnd> {
    const { spec } = assignment;
    const active: ActiveRun = { abort: new AbortController(), stop: undefined };
    this.active.set(spec.runId, active);
    // An earlier attempt of this run on this worker (abandoned, or its outcome refused) may still be removing the
    // run's directory, which this attempt's worktree is about to reuse.
    await this.cleaning.get(spec.runId);
    const lease = { runId: spec.runId, attempt: spec.attempt, leaseToken: spec.leaseToken };
    const reporter = new EventReporter({
      api: this.options.api,
      lease,
      flushMs: this.options.flushMs,
      logger: log,
      onStale: () => this.stop(spec.runId, "stale"),
    });
    const timeout = setTimeout(() => this.stop(spec.runId, "timeout"), spec.agent.timeoutMs);
    const cleanups: (() => Promise<void>)[] = [];
    try {
      return await this.executeAndComplete(assignment, { reporter, active, cleanups, log });
    } finally {
      clearTimeout(timeout);
      this.active.delete(spec.runId);
      await this.cleanUpInBackground(spec.runId, cleanups, log);
    }
  }

  /**
   * Runs an attempt's deferred cleanups (its worktree's removal, the sandbox's upkeep) after its outcome was
   * delivered, without holding up the message's ack and the next run. Bounded: with {@link MAX_BACKGROUND_CLEANUPS}
   * under way, the next one waits for one of them. A failing cleanup is logged; the outcome is already with the
   * coordinator (or in the outbox), and the start-up reaper removes what is left.
   */
  private async cleanUpInBackground(runId: string, cleanups: (() => Promise<void>)[], log: Logger): Promise<void> {
    if (cleanups.length === 0) return;
    while (this.cleaning.size >= MAX_BACKGROUND_CLEANUPS) await Promise.race(this.cleaning.values());
    // Independent of one another (the worktree's removal, the sandbox's upkeep): side by side.
    const cleaning = Promise.all(
      cleanups.map((cleanup) =>
        cleanup().catch((err: unknown) => log.warn("run cleanup failed", { error: err as Error })),
      ),
    )
      .then(() => undefined)
      .finally(() => {
        if (this.cleaning.get(runId) === cleaning) this.cleaning.delete(runId);
      });
    this.cleaning.set(runId, cleaning);
  }

  /** Resolves once every background cleanup has ended (worker stop, tests). */
  async cleanedUp(): Promise<void> {
    while (this.cleaning.size > 0) await Promise.allSettled([...this.cleaning.values()]);
  }

  private async executeAndComplete(assignment: RunAssignment, attempt: AttemptContext): Promise<AttemptEnd> {
    const { spec, grant } = assignment;
    const { reporter, active, cleanups, log } = attempt;
    let outcome: RunOutcome;
    try {
      outcome = await executeRun(
        this.options,
        spec,
        reporter,
        {
          signal: active.abort.signal,
          reason: () => active.stop,
          request: (reason) => this.stop(spec.runId, reason),
          deferCleanup: (cleanup) => cleanups.push(cleanup),
        },
        grant,
      );
    } catch (err) {
      if (isPanCodeError(err) && err.code === "UNAVAILABLE") {
        // The workspace could not be fetched (coordinator away): nothing ran, nothing was spent. Let it go.
        log.warn("attempt abandoned before it ran: coordinator unreachable", { error: err as Error });
        await reporter.close();
        return "abandoned";
      }
      // Preparation or sandbox failure: the run ends `error` with the reason, never stays running.
      const message = isPanCodeError(err) ? err.message : `worker failure: ${(err as Error).message}`;
      log.error("run failed on worker", { error: err as Error });
      reporter.note(message);
      const now = new Date();
      outcome = {
        status: "error",
        exitCode: null,
        error: message,
        startedAt: now,
        finishedAt: now,
        patch: null,
        imageDigest: "",
        usage: reporter.reportedUsage(),
        outputTail: message,
      };
    }
    // Written to the outbox, the final events included, beside the last flush (which may hang on a coordinator
    // that is frozen; its events are in the entry either way): once written, the result survives the coordinator,
    // its database and a kill of this worker.
    const entry = this.outboxEntry(assignment, outcome, reporter.peekPending());
    const put = this.options.outbox.put(entry);
    put.catch(() => undefined);
    await reporter.close();
    // What the final flush delivered is not sent twice: the entry keeps only what is still undelivered.
    const delivering = { ...entry, outcome: { ...entry.outcome, events: reporter.takePending() } };
    const recorded = put.then(async () => {
      if (entry.outcome.events.length > 0 || delivering.outcome.events.length > 0) {
        await this.options.outbox.update(delivering.outcome);
      }
      log.info("outcome recorded in the outbox", { status: outcome.status, attempt: spec.attempt });
    });
    recorded.catch(() => undefined);
    // The completion goes out while the outbox write syncs (see deliverWhileRecording: a crash loses nothing more).
    return this.options.sender.deliverWhileRecording(delivering, recorded);
  }

  /** The outbox entry of a finished attempt: lease, undelivered events, patch and signed completion(s). */
  private outboxEntry(
    assignment: RunAssignment,
    outcome: RunOutcome,
    events: OutboxEntry["outcome"]["events"],
  ): OutboxEntry {
    const { spec } = assignment;
    const sign = (o: RunOutcome) =>
      signAttemptReceipt({ assignment, outcome: o, workerId: this.options.workerId, key: this.options.signingKey });
    // Signed now, used only if the coordinator refuses the patch for good (too large): the run then ends error.
    const refused: RunOutcome = {
      ...outcome,
      status: "error",
      error: "the coordinator refused the run's patch (see the worker log)",
      patch: null,
      patchData: undefined,
    };
    return {
      outcome: {
        version: 1,
        runId: spec.runId,
        attempt: spec.attempt,
        leaseToken: spec.leaseToken,
        workerId: this.options.workerId,
        recordedAt: new Date().toISOString(),
        events,
        completion: completionToWire(completionOf(outcome, sign(outcome))),
        refusedPatchCompletion: completionToWire(completionOf(refused, sign(refused))),
      },
      patch: outcome.patchData ?? null,
    };
  }
}
