import { randomUUID } from "node:crypto";
import type { TaskBus } from "@pancode/bus";
import {
  type Completion,
  EMPTY_DIGEST,
  isTerminalStatus,
  PanCodeError,
  RUN_SAFETY_ACTIONS,
  type RunAssignment,
  RunStatus,
  ZERO_USAGE,
} from "@pancode/core";
import type { Database, NewEvent, RunRow, SigningKeyRow } from "@pancode/db";
import type { BlobSource } from "@pancode/proto";
import type { DsseEnvelope } from "@pancode/receipts";
import type { Logger } from "@pancode/telemetry";
import type { BlobStore, IncomingBlob } from "../blob-store.js";
import { attemptRunOf, modelOf, modeOf, safetyOf } from "./attempt-facts.js";
import {
  type AuditLog,
  COORDINATOR_ACTOR,
  endedEntry,
  receiptRefusedEntry,
  safetyWarningEntry,
  startedEntry,
} from "./audit-log.js";
import { NO_RUN_METRICS, type RunMetrics } from "./cluster-metrics.js";
import { recordedModelCalls } from "./model-calls.js";
import { orchestrationFactsOf, type ReceiptWriter } from "./receipt-writer.js";
import type { RunNotifier } from "./run-notifier.js";
import { workspaceOf } from "./run-view.js";

/** The lease a worker presents for everything it does on one attempt of a run. */
export interface Lease {
  runId: string;
  attempt: number;
  leaseToken: string;
  /** The worker id of the caller's session: only the worker holding the attempt may use its lease. */
  holder?: string;
}

/** A worker's final report of one attempt, with the lease it was made under. */
export interface LeasedCompletion extends Completion {
  lease: Lease;
}

/** Dependencies of {@link RunLifecycle}. */
/** Safety findings a worker may report for a run (`<action>: <message>` events of kind `safety`). */
const SAFETY_FINDINGS: ReadonlySet<string> = new Set(RUN_SAFETY_ACTIONS);

/** At most this many findings of one event report are audited (the events themselves are all kept). */
const MAX_AUDITED_FINDINGS_PER_REPORT = 16;

function parseSafetyFinding(text: string): { action: string; message: string } | undefined {
  const colon = text.indexOf(": ");
  const action = text.slice(0, colon);
  if (colon < 0 || !SAFETY_FINDINGS.has(action)) return undefined;
  return { action, message: text.slice(colon + 2, colon + 2 + 2000) };
}

/** What the statement check reads: the run, its recorded usage and model calls, the signing keys. */
type StatementReads = [
  RunRow | undefined,
  Awaited<ReturnType<RunStore["getRunUsage"]>>,
  Awaited<ReturnType<typeof recordedModelCalls>>,
  SigningKeyRow[],
];

/** The status event of an ended run: `done (exit 0)`, `error: <reason>`. */
function statusEventOf(run: Pick<RunRow, "status" | "error" | "exitCode">): NewEvent {
  const detail = run.error ? `: ${run.error}` : run.exitCode === null ? "" : ` (exit ${run.exitCode})`;
  return { at: new Date(), kind: "status", text: `${run.status}${detail}` };
}

/** A lease presented by a worker session other than the one holding the attempt (a stolen lease token). */
function heldByAnother(lease: Lease): PanCodeError {
  return new PanCodeError(
    "UNAUTHENTICATED",
    `attempt ${lease.attempt} of run ${lease.runId} is held by another worker than ${lease.holder}`,
  );
}

/**
 * Where an attempt stands for a worker delivering its result (events, patch, completion):
 * - `current`: the run is running this attempt under a live lease;
 * - `late`: still this attempt, though its lease expired or the reaper put the run back to `pending` and nobody
 *   claimed it since: the result is accepted, and it ends the pending requeue (one execution, not two);
 * - `superseded`: a newer attempt started (or the token is not the attempt's): the worker drops its result;
 * - `finished`: the run already ended (by this result delivered before, or by the coordinator);
 * - `foreign`: the attempt is current but held by another worker id than the caller's (a stolen lease token).
 * A worker restarted under the same id (new session) still holds its attempts: the holder is the worker id.
 */
export type AttemptStanding = "current" | "late" | "superseded" | "finished" | "not_found" | "foreign";

/** The standing of `lease` against the run's stored row (see {@link AttemptStanding}). */
function attemptStanding(
  run: Pick<RunRow, "status" | "attempt" | "leaseToken" | "workerId" | "leaseExpiresAt"> | undefined,
  lease: Lease,
  now: Date = new Date(),
): AttemptStanding {
  if (!run) return "not_found";
  if (isTerminalStatus(run.status)) return "finished";
  const sameAttempt = run.attempt === lease.attempt && run.leaseToken !== "" && run.leaseToken === lease.leaseToken;
  if (!sameAttempt) return "superseded";
  if (lease.holder !== undefined && run.workerId !== lease.holder) return "foreign";
  const live = run.status === "running" && run.leaseExpiresAt !== null && run.leaseExpiresAt > now;
  return live ? "current" : "late";
}

/** STALE_ATTEMPT (FAILED_PRECONDITION) saying a newer attempt took over: the worker drops what it holds. */
function superseded(lease: Lease): PanCodeError {
  return new PanCodeError(
    "STALE_ATTEMPT",
    `superseded: attempt ${lease.attempt} of run ${lease.runId} was replaced by a newer attempt`,
  );
}

/** The run store as the run lifecycle uses it: claims, leases, completions, events. */
type RunStore = Pick<
  Database,
  | "getRun"
  | "claimRun"
  | "renewLeases"
  | "checkLease"
  | "completeRun"
  | "finishRun"
  | "requeueRun"
  | "findExpiredLeases"
  | "listActiveRuns"
  | "appendEvents"
  | "recordProgress"
  | "getRunUsage"
  | "putBlob"
  | "listRunsOf"
  | "getReceipt"
  | "listEvents"
>;

export interface RunLifecycleDeps {
  db: RunStore;
  bus: TaskBus;
  blobs: BlobStore;
  notifier: RunNotifier;
  receipts: ReceiptWriter;
  logger: Logger;
  leaseMs: number;
  maxAttempts: number;
  /** Run start, completion and failure are recorded here. */
  audit: AuditLog;
  /** Called once a run reached a terminal status (batches and chains start their next runs from here). */
  onRunEnded?: (run: RunRow) => void;
  /** Told about claims, requeues and every run that ended (OpenTelemetry instruments); none = no metrics. */
  metrics?: RunMetrics;
}

/** The patch digests a stored run starts from (earlier chain steps); [] for runs stored before chains existed. */
function basePatchesOf(run: RunRow): string[] {
  const value = run.spec.basePatches;
  return Array.isArray(value) ? value.filter((d): d is string => typeof d === "string") : [];
}

/**
 * Owns every state transition after admission: claims (new attempts), progress, completion, interruption and the
 * reaper of lost attempts. Results are committed only for the current attempt and lease token, so a worker that was
 * presumed dead and comes back late can never overwrite a newer attempt.
 */
export class RunLifecycle {
  private readonly metrics: RunMetrics;

  constructor(private readonly deps: RunLifecycleDeps) {
    this.metrics = deps.metrics ?? NO_RUN_METRICS;
  }

  /** Starts a new attempt for a delivered task, or says why the worker must drop it. */
  async claim(runId: string, workerId: string): Promise<RunAssignment | { skip: string; retryAfterMs: number }> {
    const leaseToken = randomUUID();
    const claimed = await this.deps.db.claimRun({
      runId,
      workerId,
      leaseToken,
      leaseMs: this.deps.leaseMs,
      maxAttempts: this.deps.maxAttempts,
      audit: (run) => startedEntry(run, workerId),
      // In the claim's transaction: one transaction less between the delivery and the worker's start.
      event: (run) => ({
        at: new Date(),
        kind: "status",
        text: `running: attempt ${run.attempt} on worker ${workerId}`,
      }),
    });
    if (!claimed.ok) {
      if (claimed.reason === "exhausted") {
        await this.finish(
          runId,
          "error",
          `gave up after ${this.deps.maxAttempts} attempts: every worker that took it was lost`,
        );
      }
      // Every refusal drops the message (retryAfterMs 0: the worker acks it), "busy" included: another attempt's
      // lease is alive, so this is a duplicate or an early redelivery. Should that attempt's worker be lost, the
      // reaper puts the run back to pending and the publish reconciler, finding its message gone, publishes it again.
      return { skip: `run ${runId} was not claimed: ${claimed.reason}`, retryAfterMs: 0 };
    }
    const row = claimed.run;
    this.metrics.runClaimed(row);
    // The worker records these in the receipt it signs; a chain step's receipt links to the previous step's.
    const facts = await orchestrationFactsOf(this.deps.db, row);
    this.deps.notifier.notify(row.id);
    this.deps.logger.info("run claimed", { runId: row.id, workerId, attempt: row.attempt });
    return {
      spec: {
        runId: row.id,
        attempt: row.attempt,
        leaseToken,
        task: row.task,
        agent: row.spec.agent,
        workspace: workspaceOf(row),
        traceparent: row.traceparent,
        model: modelOf(row),
        // Runs stored before caps existed have none.
        maxCostUsd: typeof row.spec.maxCostUsd === "number" && row.spec.maxCostUsd > 0 ? row.spec.maxCostUsd : 0,
        basePatches: basePatchesOf(row),
      },
      // The run token is minted by the transport, which knows whether nested dispatch is on.
      grant: { runToken: "", depth: row.depth, safety: safetyOf(row), parentRunId: row.parentRunId },
      // The worker records these in the run's receipt; the coordinator checks them from the same helpers.
      facts: { mode: modeOf(row), isolate: row.isolate, ...facts },
    };
  }

  /** Throws STALE_ATTEMPT / RUN_FINISHED / NOT_FOUND unless `lease` is the run's current attempt. */
  async requireLease(lease: Lease): Promise<void> {
    const check = await this.deps.db.checkLease(lease.runId, lease.attempt, lease.leaseToken, lease.holder);
    if (check === "ok") return;
    if (check === "foreign") throw heldByAnother(lease);
    const code = check === "stale" ? "STALE_ATTEMPT" : check === "finished" ? "RUN_FINISHED" : "NOT_FOUND";
    throw new PanCodeError(code, `attempt ${lease.attempt} of run ${lease.runId} is no longer current (${check})`);
  }

  /** Appends progress events; returns true when the attempt is stale and the worker must stop. */
  async report(lease: Lease, events: { at: Date; kind: string; text: string }[]): Promise<boolean> {
    const standing = await this.standingOf(lease);
    if (standing === "foreign") throw heldByAnother(lease);
    // A late attempt's events are kept: its result (and receipt, checked against the usage they report) still counts.
    if (standing !== "current" && standing !== "late") return true;
    if (events.length > 0) {
      await this.deps.db.appendEvents(lease.runId, lease.attempt, events);
      // Live progress (turns, current tool, tokens, cost so far) for runs, watch, cost and metrics.
      const agentEvents = events.filter((e) => e.kind === "agent").map((e) => e.text);
      if (agentEvents.length > 0) await this.deps.db.recordProgress(lease.runId, lease.attempt, agentEvents);
      await this.auditSafetyFindings(lease.runId, events);
      this.deps.notifier.notify(lease.runId);
    }
    return false;
  }

  /**
   * The run's safety findings (what its model proxy refused, a usage report that differs from the metered one) go to
   * the audit trail as `safety/<action>`. Only the known actions, and a bounded number per report, so a worker's
   * events can never flood the trail.
   */
  private async auditSafetyFindings(runId: string, events: { kind: string; text: string }[]): Promise<void> {
    const findings = events.flatMap((e) => (e.kind === "safety" ? [parseSafetyFinding(e.text)] : []));
    const known = findings.filter((f) => f !== undefined).slice(0, MAX_AUDITED_FINDINGS_PER_REPORT);
    if (known.length === 0) return;
    const run = await this.deps.db.getRun(runId);
    if (!run) return;
    for (const f of known) await this.deps.audit.record(safetyWarningEntry(run, f.action, f.message));
  }

  /** A blob the worker may read for this attempt: only the run's own workspace parts. */
  async workspaceBlob(lease: Lease, digest: string): Promise<BlobSource> {
    await this.requireLease(lease);
    const run = await this.deps.db.getRun(lease.runId);
    const allowed =
      run && (digest === run.bundleDigest || digest === run.stateDigest || basePatchesOf(run).includes(digest));
    if (!run || !allowed) {
      throw new PanCodeError("NOT_FOUND", `blob ${digest} is not part of the workspace of run ${lease.runId}`);
    }
    return this.deps.blobs.source(digest);
  }

  /** Where `lease`'s attempt stands for delivering its result (see {@link attemptStanding}). */
  async standingOf(lease: Lease): Promise<AttemptStanding> {
    return attemptStanding(await this.deps.db.getRun(lease.runId), lease);
  }

  /** Throws unless the attempt may still deliver its result (current, or late but not superseded). */
  private async requireDeliverable(lease: Lease): Promise<void> {
    const standing = await this.standingOf(lease);
    if (standing === "current" || standing === "late") return;
    if (standing === "foreign") throw heldByAnother(lease);
    if (standing === "superseded") throw superseded(lease);
    const code = standing === "finished" ? "RUN_FINISHED" : "NOT_FOUND";
    throw new PanCodeError(code, `attempt ${lease.attempt} of run ${lease.runId} is no longer current (${standing})`);
  }

  /**
   * Stores the patch of the attempt (current, or late but not superseded) as its bytes arrive (never whole in
   * memory): refused before any byte is written when the attempt may not deliver, kept only when its size and digest
   * check out.
   */
  async storePatch(lease: Lease, patch: IncomingBlob, data: AsyncIterable<Uint8Array>): Promise<void> {
    await this.requireDeliverable(lease);
    await this.deps.blobs.write(patch, data);
    await this.deps.db.putBlob(patch.digest, patch.size, "patch");
  }

  /** Commits the result of an attempt exactly once; a stale or repeated completion is refused and changes nothing. */
  async complete(c: LeasedCompletion): Promise<{ accepted: boolean; reason: string; receiptId: string }> {
    const status = RunStatus.safeParse(c.status);
    if (!status.success || !isTerminalStatus(status.data)) {
      throw new PanCodeError("INVALID_ARGUMENT", `completion status must be terminal, got "${c.status}"`);
    }
    // The patch's presence is asked beside the statement's reads; it is still checked first.
    const reads = this.statementReads(c.lease);
    reads.catch(() => undefined);
    if (c.patch && c.patch.digest !== EMPTY_DIGEST && !(await this.deps.blobs.has(c.patch.digest))) {
      throw new PanCodeError("INVALID_ARGUMENT", `patch ${c.patch.digest} was not uploaded before completion`);
    }
    const envelope = await this.checkStatement(c, await reads);
    // Countersigned ahead, stored with the terminal status and its event in one transaction: the watchers, woken
    // once, find the ended run with its receipt and its last event, and the receipt costs no second transaction.
    const receipt = envelope && this.deps.receipts.workerReceipt(envelope);
    const result = await this.deps.db.completeRun({
      runId: c.lease.runId,
      attempt: c.lease.attempt,
      leaseToken: c.lease.leaseToken,
      status: status.data,
      exitCode: c.exitCode,
      error: c.error,
      outputTail: c.outputTail,
      finishedAt: c.finishedAt,
      costUsd: c.costUsd,
      patch: c.patch,
      inputTokens: c.inputTokens,
      outputTokens: c.outputTokens,
      audit: (run) => endedEntry(run, run.workerId),
      events: [statusEventOf({ status: status.data, error: c.error, exitCode: c.exitCode })],
      ...(receipt ? { receipt } : {}),
    });
    if (!result.ok) {
      this.deps.logger.warn("completion refused", {
        runId: c.lease.runId,
        attempt: c.lease.attempt,
        reason: result.reason,
      });
      if (result.reason === "stale") throw superseded(c.lease);
      return { accepted: false, reason: result.reason, receiptId: "" };
    }
    // Without a checked statement (no receipt in the transaction) the run gets the coordinator's own, as before.
    const receiptId = receipt ? receipt.id : await this.writeReceiptAndEvent(result.run, c.imageDigest);
    this.announceEnded(result.run);
    this.deps.logger.info("run finished", {
      runId: result.run.id,
      status: result.run.status,
      attempt: c.lease.attempt,
    });
    return { accepted: true, reason: "", receiptId };
  }

  /** Coordinator-side terminal transition (interrupt, give up). No-op when the run already ended. */
  async finish(runId: string, status: "interrupted" | "error", reason: string): Promise<RunRow | undefined> {
    const run = await this.deps.db.finishRun({
      runId,
      status,
      error: reason,
      onlyIf: ["pending", "running"],
      audit: (ended) => endedEntry(ended, COORDINATOR_ACTOR),
    });
    if (!run) return undefined;
    await this.withdrawFromBus(run, reason);
    await this.writeReceiptAndEvent(run, "");
    this.announceEnded(run);
    this.deps.logger.info("run ended by coordinator", { runId, status, reason });
    return run;
  }

  /**
   * Removes the ended run's queued message and tells a worker running it to stop. The run has ended already, so a bus
   * that is away (often why it ended) must not skip its receipt: a message left behind is dropped by the claim.
   */
  private async withdrawFromBus(run: RunRow, reason: string): Promise<void> {
    try {
      if (run.busSeq !== null && (await this.deps.bus.hasQueuedTask(run.busSeq, run.id))) {
        await this.deps.bus.removeQueuedTask(run.busSeq);
      }
      await this.deps.bus.publishControl({ type: "cancel", runId: run.id, reason });
    } catch (err) {
      this.deps.logger.warn("ended run not withdrawn from the bus", { runId: run.id, error: err as Error });
    }
  }

  /**
   * Every read the statement check needs, side by side (they sit between the worker's CompleteRun and the client
   * seeing `done`): one read of the run for both its standing and the statement's facts (completeRun re-checks the
   * lease anyway), the usage and model calls recorded from the attempt's events, the signing keys.
   */
  private statementReads(lease: Lease): Promise<StatementReads> {
    return Promise.all([
      this.deps.db.getRun(lease.runId),
      this.deps.db.getRunUsage([lease.runId]),
      recordedModelCalls(this.deps.db, lease.runId, lease.attempt),
      this.deps.receipts.listKeys(),
    ]);
  }

  /**
   * The worker's signed statement must agree with its completion and its attempt before anything is committed.
   * A superseded attempt is refused (FAILED_PRECONDITION, the worker drops its result); a finished run skips the
   * check: completeRun refuses it anyway. A completion without a statement is refused: every worker signs, so a
   * missing one is a broken or forged worker, and accepting it would let a run end with no worker vouching for it.
   */
  private async checkStatement(c: LeasedCompletion, reads: StatementReads): Promise<DsseEnvelope | undefined> {
    const lease = c.lease;
    const [run, usage, modelCalls, keys] = reads;
    const standing = attemptStanding(run, lease);
    if (standing === "foreign") throw heldByAnother(lease);
    if (standing === "superseded") throw superseded(lease);
    if (standing !== "current" && standing !== "late") return undefined;
    if (standing === "late")
      this.deps.logger.info("completion of a late attempt (lease expired or requeued, not superseded)", {
        runId: lease.runId,
        attempt: lease.attempt,
      });
    if (!c.receiptEnvelope) {
      throw new PanCodeError(
        "INVALID_ARGUMENT",
        `completion of run ${lease.runId} attempt ${lease.attempt} carries no signed receipt statement; workers must sign every completion (upgrade the worker)`,
      );
    }
    if (!run) return undefined;
    // A chain step's previous receipt: the only read that needs the run (none for plain dispatches).
    const facts = await orchestrationFactsOf(this.deps.db, run);
    const recorded = usage.get(run.id);
    try {
      return await this.deps.receipts.checkWorkerEnvelope(
        c.receiptEnvelope,
        {
          run: attemptRunOf(run, facts),
          result: {
            status: c.status,
            exitCode: c.exitCode,
            finishedAt: c.finishedAt.toISOString(),
            tokens: {
              input: c.inputTokens ?? 0,
              output: c.outputTokens ?? 0,
              cacheRead: recorded?.attempt === run.attempt ? recorded.usage.cacheRead : 0,
              cacheWrite: recorded?.attempt === run.attempt ? recorded.usage.cacheWrite : 0,
            },
            costUsd: c.costUsd,
            outputTail: c.outputTail,
            patch: c.patch ? { ...c.patch, files: c.patch.files.map((f) => f.path) } : null,
            imageDigest: c.imageDigest,
            modelCalls,
          },
          recordedUsage: recorded?.attempt === run.attempt ? recorded.usage : ZERO_USAGE,
        },
        keys,
      );
    } catch (err) {
      // A statement the coordinator refuses to countersign is a broken or compromised worker: on the record.
      await this.deps.audit.record(receiptRefusedEntry(run, err));
      throw err;
    }
  }

  /** The coordinator's own receipt of a run it ended (no worker statement) and its status event, side by side. */
  private async writeReceiptAndEvent(run: RunRow, imageDigest: string): Promise<string> {
    const [receiptId] = await Promise.all([
      this.deps.receipts.writeCoordinatorReceipt(run, imageDigest),
      this.deps.db.appendEvents(run.id, run.attempt, [statusEventOf(run)]),
    ]);
    return receiptId;
  }

  /** Wakes the run's watchers and tells orchestration and metrics, once its end is stored. */
  private announceEnded(run: RunRow): void {
    this.deps.notifier.notify(run.id);
    this.deps.onRunEnded?.(run);
    this.metrics.runEnded(run);
  }

  /**
   * Extends the leases of a worker's active runs (executing, or holding an undelivered outcome); returns the ids it
   * must stop (ended, or taken over). A run the reaper requeued while this worker could not reach us, and nobody
   * claimed since, is running again: its worker is not lost, so its message must not start a second execution.
   */
  async heartbeat(workerId: string, activeRunIds: string[]): Promise<string[]> {
    if (activeRunIds.length === 0) return [];
    const before = await Promise.all(activeRunIds.map((id) => this.deps.db.getRun(id)));
    await this.deps.db.renewLeases({ workerId, runIds: activeRunIds, leaseMs: this.deps.leaseMs });
    const cancel: string[] = [];
    for (const [i, id] of activeRunIds.entries()) {
      const run = await this.deps.db.getRun(id);
      if (!run || isTerminalStatus(run.status) || run.workerId !== workerId) cancel.push(id);
      else if (before[i]?.status === "pending" && before[i]?.attempt === run.attempt && run.status === "running") {
        await this.noteRevived(run);
      }
    }
    return cancel;
  }

  private async noteRevived(run: RunRow): Promise<void> {
    await this.deps.db.appendEvents(run.id, run.attempt, [
      {
        at: new Date(),
        kind: "status",
        text: `running: worker ${run.workerId} is back; attempt ${run.attempt} continues`,
      },
    ]);
    this.deps.notifier.notify(run.id);
    this.deps.logger.info("requeued run continues on its worker", { runId: run.id, workerId: run.workerId });
  }

  /**
   * Reaper: an attempt whose lease expired belongs to a lost worker. With attempts left the run goes back to
   * `pending` (the bus redelivers the unacked message to another worker); otherwise it ends `error` with the reason.
   */
  async reapExpiredLeases(): Promise<void> {
    for (const run of await this.deps.db.findExpiredLeases(new Date())) {
      if (run.attempt >= this.deps.maxAttempts) {
        await this.finish(
          run.id,
          "error",
          `worker ${run.workerId} was lost (no heartbeat) and all ${this.deps.maxAttempts} attempts are used`,
        );
      } else if (await this.deps.db.requeueRun(run.id, run.attempt)) {
        this.metrics.runRequeued();
        await this.deps.audit.record({
          category: "run",
          action: "requeued",
          runId: run.id,
          actor: COORDINATOR_ACTOR,
          message: `worker ${run.workerId} was lost (lease expired); attempt ${run.attempt} given up, waiting for redelivery`,
          data: { attempt: run.attempt, workerId: run.workerId },
        });
        await this.deps.db.appendEvents(run.id, run.attempt, [
          { at: new Date(), kind: "status", text: `pending: worker ${run.workerId} was lost; waiting for redelivery` },
        ]);
        this.deps.notifier.notify(run.id);
        this.deps.logger.warn("run requeued after lost worker", { runId: run.id, workerId: run.workerId });
      }
    }
  }

  /** Runs still pending or running (drain waits for them). */
  activeRuns(): Promise<RunRow[]> {
    return this.deps.db.listActiveRuns();
  }
}
