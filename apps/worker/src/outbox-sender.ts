import type { WorkerApi } from "@pancode/proto";
import type { Logger } from "@pancode/telemetry";
import { type BackoffPolicy, backoffDelay, COORDINATOR_BACKOFF, isTransient, sleep } from "./backoff.js";
import { MAX_BATCH_BYTES } from "./event-reporter.js";
import { entryName, type Outbox, type OutboxCompletion, type OutboxEntry, type OutcomeFile } from "./outbox.js";

/**
 * How a delivery ended: `delivered` (the coordinator committed it), `dropped` (it said for good it does not want it:
 * a newer attempt took over, or the run already ended), `rejected` (the coordinator refused it as invalid, e.g. its
 * receipt statement: the entry is quarantined and the run may be executed again), or `stopped` (the worker is
 * stopping; the entry stays on disk for the next start).
 */
export type DeliveryResult = "delivered" | "dropped" | "rejected" | "stopped";

/** An answer that ends a delivery without committing it. */
class Dropped extends Error {}

/** Codes with which the coordinator refuses a patch for good (too large, malformed): the run ends error instead. */
const PATCH_REFUSALS = new Set(["INVALID_ARGUMENT", "WORKSPACE_TOO_LARGE", "DIGEST_MISMATCH"]);

/** Events in batches under the gRPC message limit. */
function batchesOf(events: OutcomeFile["events"]): OutcomeFile["events"][] {
  const batches: OutcomeFile["events"][] = [];
  let batch: OutcomeFile["events"] = [];
  let bytes = 0;
  for (const event of events) {
    const size = Buffer.byteLength(event.text) + 64;
    if (batch.length > 0 && bytes + size > MAX_BATCH_BYTES) {
      batches.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(event);
    bytes += size;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

/**
 * Delivers outbox entries to the coordinator: events, then the patch, then the completion, each step retried with
 * exponential backoff and jitter (0.5 s up to 30 s) for as long as the coordinator or its database is away. The
 * entry is removed once CompleteRun is acknowledged, or when the coordinator answers that the attempt is superseded
 * or the run has ended (logged). While an entry is held, its run id is reported in heartbeats, which keeps the
 * attempt's lease (see {@link held}).
 */
export class OutboxSender {
  private readonly holding = new Map<string, Promise<DeliveryResult>>();
  private readonly stopping = new AbortController();

  constructor(
    private readonly deps: {
      api: Pick<WorkerApi, "reportEvents" | "uploadPatch" | "completeRun">;
      outbox: Outbox;
      workerId: string;
      logger: Logger;
      backoff?: BackoffPolicy;
    },
  ) {}

  /** Run ids whose outcome waits for the coordinator's acknowledgement. */
  held(): string[] {
    return [...this.holding.keys()].map((name) => name.slice(0, name.lastIndexOf("-")));
  }

  /** The delivery under way of `runId`'s outcome, if this worker holds one. */
  pending(runId: string): Promise<DeliveryResult> | undefined {
    for (const [name, delivery] of this.holding) if (name.slice(0, name.lastIndexOf("-")) === runId) return delivery;
    return undefined;
  }

  /** Delivers `entry` (already in the outbox); a second call for the same attempt joins the first. */
  deliver(entry: OutboxEntry): Promise<DeliveryResult> {
    const name = entryName(entry.outcome);
    const running = this.holding.get(name);
    if (running) return running;
    const delivery = this.deliverUntilSettled(entry).finally(() => this.holding.delete(name));
    this.holding.set(name, delivery);
    return delivery;
  }

  /**
   * Delivers `entry` while its outbox write (`recorded`) is still under way: the first attempt goes out at once
   * instead of after the write's syncs. This loses nothing on a crash: until the write is durable a crash loses the
   * outcome either way (the message is then redelivered and the run executed again), and once it is, the entry is
   * delivered from the outbox as always. A first attempt that fails for whatever reason is retried as
   * {@link deliver} does, from the recorded entry; a failed write fails the delivery unless the coordinator already
   * holds the result. Only for an entry without events: those go first, and their delivery rewrites the entry.
   */
  deliverWhileRecording(entry: OutboxEntry, recorded: Promise<void>): Promise<DeliveryResult> {
    if (entry.outcome.events.length > 0) return recorded.then(() => this.deliver(entry));
    const name = entryName(entry.outcome);
    const delivery = this.firstAttemptThenSettle(entry, recorded).finally(() => this.holding.delete(name));
    this.holding.set(name, delivery);
    return delivery;
  }

  private async firstAttemptThenSettle(entry: OutboxEntry, recorded: Promise<void>): Promise<DeliveryResult> {
    const { runId, attempt } = entry.outcome;
    const log = this.deps.logger.child({ runId, attempt });
    const first = await this.deliverOnce(entry, log).then(
      () => true,
      (err: unknown) => {
        log.debug("first delivery attempt failed; retried from the outbox once written", { error: err as Error });
        return false;
      },
    );
    try {
      await recorded;
    } catch (err) {
      if (!first) throw err;
      log.warn("outcome delivered; its outbox write failed (nothing left to deliver from it)", { error: err as Error });
      return "delivered";
    }
    if (!first) return this.deliverUntilSettled(entry);
    await this.deps.outbox.remove(entry.outcome);
    return "delivered";
  }

  /** Starts delivering every entry of the outbox this worker recorded (worker start). Returns how many. */
  async resume(): Promise<number> {
    const entries = await this.deps.outbox.scan();
    let started = 0;
    for (const entry of entries) {
      if (entry.outcome.workerId !== this.deps.workerId) {
        // Only the worker that ran the attempt may deliver it; a data dir shared with another worker id keeps it.
        this.deps.logger.warn("outbox entry of another worker id left alone", {
          runId: entry.outcome.runId,
          attempt: entry.outcome.attempt,
          recordedBy: entry.outcome.workerId,
          hint: `start the worker with PANCODE_WORKER_ID=${entry.outcome.workerId} to deliver it`,
        });
        continue;
      }
      this.deps.logger.info("delivering outcome kept in the outbox", {
        runId: entry.outcome.runId,
        attempt: entry.outcome.attempt,
      });
      void this.deliver(entry);
      started += 1;
    }
    return started;
  }

  /** Stops retrying; undelivered entries stay on disk. */
  stop(): void {
    this.stopping.abort();
  }

  private async deliverUntilSettled(entry: OutboxEntry): Promise<DeliveryResult> {
    const { runId, attempt } = entry.outcome;
    const log = this.deps.logger.child({ runId, attempt });
    for (let failures = 0; ; ) {
      if (this.stopping.signal.aborted) return "stopped";
      try {
        await this.deliverOnce(entry, log);
        await this.deps.outbox.remove(entry.outcome);
        return "delivered";
      } catch (err) {
        if (err instanceof Dropped) {
          log.warn("outcome dropped: the coordinator no longer takes this attempt", { reason: err.message });
          await this.deps.outbox.remove(entry.outcome);
          return "dropped";
        }
        if (!isTransient(err)) {
          await this.deps.outbox.quarantine(entryName(entry.outcome), err);
          return "rejected";
        }
        failures += 1;
        const delayMs = backoffDelay(failures, this.deps.backoff ?? COORDINATOR_BACKOFF);
        log.warn("coordinator unreachable; outcome kept in the outbox, retrying", {
          failures,
          retryInMs: delayMs,
          error: err as Error,
        });
        if (!(await sleep(delayMs, this.stopping.signal))) return "stopped";
      }
    }
  }

  private async deliverOnce(entry: OutboxEntry, log: Logger): Promise<void> {
    const { outcome } = entry;
    const lease = { runId: outcome.runId, attempt: outcome.attempt, leaseToken: outcome.leaseToken };
    if (outcome.events.length > 0) {
      for (const batch of batchesOf(outcome.events)) {
        if (await this.deps.api.reportEvents(lease, batch)) throw new Dropped("superseded or ended (events refused)");
      }
      // Delivered: a retry of the patch or completion must not send them twice.
      entry.outcome = { ...outcome, events: [] };
      await this.deps.outbox.update(entry.outcome);
    }
    const completion = await this.uploadPatch(entry, lease, log);
    try {
      const answer = await this.deps.api.completeRun({ ...completion, patch: completion.patch, lease });
      if (!answer.accepted) throw new Dropped(answer.reason || "refused");
      log.info("run completed", { status: completion.status, receiptId: answer.receiptId });
    } catch (err) {
      throw this.finalOrTransient(err);
    }
  }

  /** Uploads the patch (idempotent: blobs are addressed by digest); the completion to send after it. */
  private async uploadPatch(
    entry: OutboxEntry,
    lease: { runId: string; attempt: number; leaseToken: string },
    log: Logger,
  ): Promise<OutboxCompletion> {
    if (!entry.patch) return entry.outcome.completion;
    try {
      await this.deps.api.uploadPatch(lease, entry.patch);
      return entry.outcome.completion;
    } catch (err) {
      const code = (err as { code?: string }).code ?? "";
      if (!PATCH_REFUSALS.has(code)) throw this.finalOrTransient(err);
      log.error("the coordinator refused the run's patch; the run ends error", { error: err as Error });
      return entry.outcome.refusedPatchCompletion;
    }
  }

  /** Superseded / finished / not found end the delivery; anything else is retried or thrown as is. */
  private finalOrTransient(err: unknown): unknown {
    const code = (err as { code?: string }).code ?? "";
    if (code === "STALE_ATTEMPT" || code === "RUN_FINISHED" || code === "NOT_FOUND") {
      return new Dropped((err as Error).message);
    }
    return err;
  }
}
