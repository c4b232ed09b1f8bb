import type { DbHandle } from "./handle.js";
import { findCommit, hasBlob, putBlob, recordCommit } from "./queries/blobs.js";
import {
  countRuns,
  estimateRunCost,
  getBudget,
  initBudget,
  insertRunWithReservation,
  type ReservationResult,
  setBudgetCeiling,
} from "./queries/budget.js";
import {
  type CompleteRunOptions,
  type CompleteRunResult,
  completeRun,
  type FinishRunOptions,
  findExpiredLeases,
  finishRun,
  requeueRun,
} from "./queries/completion.js";
import { toDatabaseError } from "./queries/db-errors.js";
import { appendEvents, listEvents, type NewEvent } from "./queries/events.js";
import {
  type ClaimRunOptions,
  type ClaimRunResult,
  checkLease,
  claimRun,
  type LeaseCheck,
  type RenewLeasesOptions,
  renewLeases,
} from "./queries/leases.js";
import { getReceipt, listReceipts, type NewReceipt, setReceipt } from "./queries/receipts.js";
import { findRunsByPrefix, getRun, insertRun, listActiveRuns, listRuns, setBusSeq } from "./queries/runs.js";
import { listKeys, type NewSigningKey, recordKey } from "./queries/signing-keys.js";
import {
  getRunUsage,
  listRunCosts,
  type RunCostRow,
  type RunUsageRow,
  recordProgress,
  totalRunTokens,
} from "./queries/usage.js";
import { heartbeatWorker, listWorkers, markWorkersGone, upsertWorker } from "./queries/workers.js";
import type {
  BudgetRow,
  EventRow,
  NewRun,
  ReceiptRow,
  RunRow,
  SigningKeyRow,
  WorkerRegistration,
  WorkerRow,
} from "./rows.js";

/**
 * The coordinator's store. Every status change is one conditional statement (or one transaction), so a stale
 * writer can never overwrite a newer attempt. Failures are PanCodeErrors: the documented codes of each method,
 * UNAVAILABLE (retryable) when the database cannot be reached, INTERNAL otherwise.
 */
export interface Database {
  /** Which engine backs this store. */
  readonly driver: "postgres" | "pglite";
  /** Inserts a new run (status 'pending' unless given). ALREADY_EXISTS when the id is taken. */
  insertRun(row: NewRun): Promise<RunRow>;
  /**
   * Reserves `estimateUsd` of the budget and inserts the run in one transaction; `{ ok: false, budget }` (nothing
   * written) when spent + reserved + estimate would pass the ceiling. ALREADY_EXISTS when the id is taken.
   */
  insertRunWithReservation(row: NewRun, estimateUsd: number): Promise<ReservationResult>;
  /** Creates the budget with this ceiling (USD, > 0) unless it exists; returns the budget. */
  initBudget(ceilingUsd: number): Promise<BudgetRow>;
  /** NOT_FOUND before {@link Database.initBudget}. */
  getBudget(): Promise<BudgetRow>;
  /** INVALID_ARGUMENT unless `ceilingUsd` > 0. */
  setBudgetCeiling(ceilingUsd: number): Promise<BudgetRow>;
  /** Average actual cost of the agent's ended runs with `model`, else of all its ended runs; null if none. */
  estimateRunCost(agent: string, model: string): Promise<number | null>;
  /** Number of runs ever admitted. */
  countRuns(): Promise<number>;
  getRun(id: string): Promise<RunRow | undefined>;
  /** Runs whose id starts with `prefix`, newest first. @default limit 10 */
  findRunsByPrefix(prefix: string, limit?: number): Promise<RunRow[]>;
  /** Newest runs first. */
  listRuns(options: { limit: number }): Promise<RunRow[]>;
  /** Runs still pending or running, oldest first. */
  listActiveRuns(): Promise<RunRow[]>;
  /** NOT_FOUND for an unknown run. */
  setBusSeq(runId: string, seq: number): Promise<void>;
  /** Starts a new attempt of a non-terminal run; see {@link claimRun}. */
  claimRun(options: ClaimRunOptions): Promise<ClaimRunResult>;
  /** Extends the leases of runs still running on the worker; returns how many. */
  renewLeases(options: RenewLeasesOptions): Promise<number>;
  checkLease(runId: string, attempt: number, leaseToken: string): Promise<LeaseCheck>;
  /** The worker's result; commits only for the live attempt. See {@link completeRun}. */
  completeRun(options: CompleteRunOptions): Promise<CompleteRunResult>;
  /** Coordinator-side terminal transition when the status is one of `onlyIf`. */
  finishRun(options: FinishRunOptions): Promise<RunRow | undefined>;
  /** running -> pending while `attempt` is current (lease lost). */
  requeueRun(runId: string, attempt: number): Promise<boolean>;
  /** Running runs whose lease expired before `now`. */
  findExpiredLeases(now: Date): Promise<RunRow[]>;
  /** Inserts the receipt and sets runs.receipt_id in one tx; same receipt again is a no-op. */
  setReceipt(runId: string, receipt: NewReceipt): Promise<void>;
  getReceipt(idOrRunId: string): Promise<ReceiptRow | undefined>;
  /** Receipts, newest first. */
  listReceipts(limit: number): Promise<ReceiptRow[]>;
  /** Records a receipt-signing public key; a known key id is a no-op. */
  recordKey(key: NewSigningKey): Promise<void>;
  /** Every receipt-signing public key, oldest first. */
  listKeys(): Promise<SigningKeyRow[]>;
  /** Appends events with db-assigned seqs; returns the last seq. */
  appendEvents(runId: string, attempt: number, events: NewEvent[]): Promise<number>;
  listEvents(runId: string, afterSeq: number, limit: number): Promise<EventRow[]>;
  /** Idempotent. */
  putBlob(digest: string, bytes: number, kind: string): Promise<void>;
  hasBlob(digest: string): Promise<boolean>;
  /** Idempotent. */
  recordCommit(repoId: string, commit: string, bundleDigest: string): Promise<void>;
  findCommit(repoId: string, commit: string): Promise<{ bundleDigest: string } | undefined>;
  upsertWorker(w: WorkerRegistration): Promise<void>;
  /** False when the worker is unknown or gone (it must register again). */
  heartbeatWorker(id: string, active: number, at: Date): Promise<boolean>;
  listWorkers(): Promise<WorkerRow[]>;
  markWorkersGone(staleBefore: Date): Promise<WorkerRow[]>;
  /** Folds agent event texts of `attempt` into the run's live progress; returns it. See {@link recordProgress}. */
  recordProgress(runId: string, attempt: number, agentEventTexts: readonly string[]): Promise<RunUsageRow>;
  /** Live progress of these runs; runs without agent events are absent. */
  getRunUsage(runIds: readonly string[]): Promise<Map<string, RunUsageRow>>;
  /** The newest `limit` runs with tokens and cost, newest first. */
  listRunCosts(limit: number): Promise<RunCostRow[]>;
  /** Tokens of every run ever. */
  totalRunTokens(): Promise<number>;
  /** Throws UNAVAILABLE when the database does not answer (readiness probes). */
  ping(): Promise<void>;
  /** Closes the pool or the embedded database. Idempotent. */
  close(): Promise<void>;
}

/** Options of {@link createDatabase}. */
export interface CreateDatabaseOptions {
  handle: DbHandle;
  driver: Database["driver"];
  /** Releases the underlying connection(s); called once by `close()`. */
  close: () => Promise<void>;
}

/** Composes the query functions over one drizzle handle into a {@link Database}. */
export function createDatabase(options: CreateDatabaseOptions): Database {
  const db = options.handle;
  let closing: Promise<void> | undefined;
  const queries: Omit<Database, "driver" | "close"> = {
    insertRun: (row) => insertRun(db, row),
    insertRunWithReservation: (row, estimate) => insertRunWithReservation(db, row, estimate),
    initBudget: (ceiling) => initBudget(db, ceiling),
    getBudget: () => getBudget(db),
    setBudgetCeiling: (ceiling) => setBudgetCeiling(db, ceiling),
    estimateRunCost: (agent, model) => estimateRunCost(db, agent, model),
    countRuns: () => countRuns(db),
    getRun: (id) => getRun(db, id),
    findRunsByPrefix: (prefix, limit) => findRunsByPrefix(db, prefix, limit),
    listRuns: (o) => listRuns(db, o),
    listActiveRuns: () => listActiveRuns(db),
    setBusSeq: (runId, seq) => setBusSeq(db, runId, seq),
    claimRun: (o) => claimRun(db, o),
    renewLeases: (o) => renewLeases(db, o),
    checkLease: (runId, attempt, token) => checkLease(db, runId, attempt, token),
    completeRun: (o) => completeRun(db, o),
    finishRun: (o) => finishRun(db, o),
    requeueRun: (runId, attempt) => requeueRun(db, runId, attempt),
    findExpiredLeases: (now) => findExpiredLeases(db, now),
    setReceipt: (runId, receipt) => setReceipt(db, runId, receipt),
    getReceipt: (id) => getReceipt(db, id),
    listReceipts: (limit) => listReceipts(db, limit),
    recordKey: (key) => recordKey(db, key),
    listKeys: () => listKeys(db),
    appendEvents: (runId, attempt, events) => appendEvents(db, runId, attempt, events),
    listEvents: (runId, afterSeq, limit) => listEvents(db, runId, afterSeq, limit),
    putBlob: (digest, bytes, kind) => putBlob(db, digest, bytes, kind),
    hasBlob: (digest) => hasBlob(db, digest),
    recordCommit: (repoId, commit, bundle) => recordCommit(db, repoId, commit, bundle),
    findCommit: (repoId, commit) => findCommit(db, repoId, commit),
    upsertWorker: (w) => upsertWorker(db, w),
    heartbeatWorker: (id, active, at) => heartbeatWorker(db, id, active, at),
    listWorkers: () => listWorkers(db),
    markWorkersGone: (staleBefore) => markWorkersGone(db, staleBefore),
    recordProgress: (runId, attempt, texts) => recordProgress(db, runId, attempt, texts),
    getRunUsage: (runIds) => getRunUsage(db, runIds),
    listRunCosts: (limit) => listRunCosts(db, limit),
    totalRunTokens: () => totalRunTokens(db),
    ping: async () => {
      await db.execute("select 1");
    },
  };
  return {
    ...withErrorTranslation(queries),
    driver: options.driver,
    close: () => {
      closing ??= options.close();
      return closing;
    },
  };
}

type AsyncMethod = (...args: unknown[]) => Promise<unknown>;

// The adapter boundary: driver and drizzle errors become PanCodeErrors here, named after the failing operation.
function withErrorTranslation<T extends object>(methods: T): T {
  const wrapped: Record<string, AsyncMethod> = {};
  for (const [name, fn] of Object.entries(methods) as [string, AsyncMethod][]) {
    wrapped[name] = (...args) =>
      fn(...args).catch((err: unknown) => {
        throw toDatabaseError(name, err);
      });
  }
  return wrapped as T;
}
