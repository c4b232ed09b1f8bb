import { sql } from "drizzle-orm";
import { embeddedLocks, type HeldLock, type TryLock } from "./advisory-lock.js";
import type { DbHandle } from "./handle.js";
import type { BatchRow, ChainRow, NewBatch, NewChain, OrchestrationStatus } from "./orchestration-rows.js";
import { type AdmissionOutcome, admitRuns, type RunAdmission } from "./queries/admit-batch.js";
import {
  type ApiTokenRow,
  createApiToken,
  ensureBootstrapToken,
  findApiTokenByHash,
  listApiTokens,
  type NewApiToken,
  revokeApiToken,
  touchApiToken,
} from "./queries/api-tokens.js";
import {
  type AuditFilter,
  type AuditFor,
  type AuditVerification,
  appendAudit,
  listAudit,
  type NewAuditEntry,
  verifyAudit,
} from "./queries/audit.js";
import {
  deleteBatch,
  findBatchesByPrefix,
  finishBatch,
  getBatch,
  insertBatch,
  latestActiveRunOf,
  listBatches,
  listRunningBatches,
  listRunsOf,
  setBatchItemError,
  setBatchReceipt,
} from "./queries/batches.js";
import { findCommit, hasBlob, putBlob, recordCommit } from "./queries/blobs.js";
import {
  countRuns,
  estimateRunCost,
  getBudget,
  initBudget,
  insertRunWithReservation,
  type ReservationResult,
  setBudgetCeiling,
  tokenTotals,
} from "./queries/budget.js";
import {
  type ChainProgress,
  deleteChain,
  findChainsByPrefix,
  finishChain,
  getChain,
  insertChain,
  listChains,
  listRunningChains,
  setChainReceipt,
  updateChain,
} from "./queries/chains.js";
import { type ClusterFlag, clearClusterFlag, getClusterFlag, setClusterFlag } from "./queries/cluster-flags.js";
import {
  type CompleteRunOptions,
  type CompleteRunResult,
  completeRun,
  type FinishRunOptions,
  findExpiredLeases,
  finishRun,
  requeueRun,
} from "./queries/completion.js";
import {
  type ConsoleSessionRow,
  closeConsoleSession,
  findConsoleSession,
  type NewConsoleSession,
  openConsoleSession,
} from "./queries/console-sessions.js";
import { toDatabaseError } from "./queries/db-errors.js";
import { appendEvents, listEvents, type NewEvent } from "./queries/events.js";
import { type GroupKind, leaseGroup, releaseGroups } from "./queries/group-leases.js";
import { type GroupReceiptRow, getGroupReceipt, setGroupReceipt } from "./queries/group-receipts.js";
import {
  type ClaimRunOptions,
  type ClaimRunResult,
  checkLease,
  claimRun,
  type LeaseCheck,
  type RenewLeasesOptions,
  renewLeases,
} from "./queries/leases.js";
import { type OutcomeQuery, type RunOutcome, recentOutcomes, recentOutcomesMany } from "./queries/loop-history.js";
import {
  listPendingRuns,
  markPublished,
  markPublishedMany,
  markUnpublished,
  type PublishedMessage,
  touchHeldRuns,
} from "./queries/publishing.js";
import { getReceipt, listReceipts, type NewReceipt, setReceipt } from "./queries/receipts.js";
import { findRunsByPrefix, getRun, insertRun, listActiveRuns, listRuns } from "./queries/runs.js";
import {
  type BlobContent,
  commitBlobUpload,
  discardBlobUpload,
  getBlobContent,
  putBlobChunk,
  readBlobChunk,
  removeBlobLeftovers,
} from "./queries/shared-blobs.js";
import { listKeys, type NewSigningKey, recordKey, revokeKey } from "./queries/signing-keys.js";
import type { SubRunQuota } from "./queries/sub-runs.js";
import {
  countTeamRunsOnBus,
  getTeam,
  listTeams,
  setTeamBudgetCeiling,
  setTeamMaxRunning,
  type TeamRow,
  teamRunTotals,
} from "./queries/teams.js";
import { getRunUsage, listRunCosts, type RunCostRow, type RunUsageRow, recordProgress } from "./queries/usage.js";
import { type BindResult, bindWorkerIdentity, getWorkerIdentity, readmitWorker } from "./queries/worker-identities.js";
import { heartbeatWorker, listWorkers, markWorkersGone, upsertWorker } from "./queries/workers.js";
import type {
  AuditRow,
  BudgetRow,
  EventRow,
  NewRun,
  ReceiptRow,
  RunRow,
  SigningKeyRow,
  WorkerIdentityRow,
  WorkerRegistration,
  WorkerRow,
} from "./rows.js";
import { embeddedRunListener, type ListenRuns, RUN_CHANNEL } from "./run-channel.js";

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
  insertRunWithReservation(
    row: NewRun,
    estimateUsd: number,
    audit?: AuditFor,
    subRuns?: SubRunQuota,
  ): Promise<ReservationResult>;
  /**
   * Group commit of {@link Database.insertRunWithReservation} for many runs (never sub-runs): one transaction, one
   * lock of the budget row and the audit chain; each run's outcome as that call would have given it.
   */
  admitRuns(batch: readonly RunAdmission[]): Promise<AdmissionOutcome[]>;
  /** Creates the budget with this ceiling (USD, > 0) unless it exists; returns the budget. */
  initBudget(ceilingUsd: number): Promise<BudgetRow>;
  /** NOT_FOUND before {@link Database.initBudget}. */
  getBudget(): Promise<BudgetRow>;
  /** INVALID_ARGUMENT unless `ceilingUsd` > 0. `audit` is appended in the change's transaction. */
  setBudgetCeiling(
    ceilingUsd: number,
    audit?: (previousUsd: number | null, row: BudgetRow) => NewAuditEntry,
  ): Promise<BudgetRow>;
  /** Average actual cost of the agent's ended runs with `model`, else of all its ended runs; null if none. */
  estimateRunCost(agent: string, model: string): Promise<number | null>;
  /** Number of runs ever admitted. */
  countRuns(): Promise<number>;
  getRun(id: string): Promise<RunRow | undefined>;
  /** Runs whose id starts with `prefix`, newest first. @default limit 10 */
  findRunsByPrefix(prefix: string, limit?: number): Promise<RunRow[]>;
  /** Ended runs (done, error, timeout) of an agent on a task since a time, newest first: loop detection. */
  recentOutcomes(options: { agent: string; taskHash: string; since: Date; limit: number }): Promise<RunOutcome[]>;
  /** {@link recentOutcomes} of many (agent, task) pairs in one statement, answered in the order asked. */
  recentOutcomesMany(queries: readonly OutcomeQuery[]): Promise<RunOutcome[][]>;
  /** Newest runs first. */
  listRuns(options: { limit: number; userName?: string; team?: string }): Promise<RunRow[]>;
  /** Runs still pending or running, oldest first. */
  listActiveRuns(): Promise<RunRow[]>;
  /** Pending runs, oldest admission first (the publish reconciler's scan). */
  listPendingRuns(limit: number): Promise<RunRow[]>;
  /** Records the bus's confirmation of publish `generation` as message `seq`; false when a newer one was recorded. */
  markPublished(runId: string, generation: number, seq: number): Promise<boolean>;
  /** markPublished for a burst of publishes in one statement; the ids recorded. */
  markPublishedMany(published: readonly PublishedMessage[]): Promise<Set<string>>;
  /** Hands a pending run whose message `generation` is gone back to the publisher; false when it moved on. */
  markUnpublished(runId: string, generation: number): Promise<boolean>;
  /** Restarts the undeliverable clock of runs the publish gate holds. */
  touchHeldRuns(runIds: readonly string[]): Promise<void>;
  /**
   * Takes the advisory lock `key` for as long as the returned lock lives (one owner among several coordinators);
   * undefined when another session holds it.
   */
  tryAdvisoryLock(key: number): Promise<HeldLock | undefined>;
  /** Starts a new attempt of a non-terminal run; see {@link claimRun}. */
  claimRun(options: ClaimRunOptions): Promise<ClaimRunResult>;
  /** Extends the leases of runs still running on the worker; returns how many. */
  renewLeases(options: RenewLeasesOptions): Promise<number>;
  /** `holder`: the worker id that must hold the attempt (a worker session's); absent = any. */
  checkLease(runId: string, attempt: number, leaseToken: string, holder?: string): Promise<LeaseCheck>;
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
  /**
   * Marks a key revoked, and the worker identity bound to it (with its audit entry, in one transaction); undefined
   * when no key has that id.
   */
  revokeKey(keyId: string, audit?: (row: SigningKeyRow) => NewAuditEntry): Promise<SigningKeyRow | undefined>;
  /** Binds a worker id to its key on first registration, or renews its session; see {@link bindWorkerIdentity}. */
  bindWorkerIdentity(binding: { workerId: string; keyId: string; sessionHash: string }): Promise<BindResult>;
  getWorkerIdentity(workerId: string): Promise<WorkerIdentityRow | undefined>;
  /** Unbinds a worker id (revoked or not) so it may join with a new key; audited in the same transaction. */
  readmitWorker(
    workerId: string,
    audit: (previous: WorkerIdentityRow | undefined) => NewAuditEntry,
  ): Promise<WorkerIdentityRow | undefined>;
  /** Appends events with db-assigned seqs; returns the last seq. */
  appendEvents(runId: string, attempt: number, events: NewEvent[]): Promise<number>;
  listEvents(runId: string, afterSeq: number, limit: number): Promise<EventRow[]>;
  /** Idempotent. */
  putBlob(digest: string, bytes: number, kind: string): Promise<void>;
  hasBlob(digest: string): Promise<boolean>;
  /** Idempotent. */
  recordCommit(repoId: string, commit: string, bundleDigest: string): Promise<void>;
  findCommit(repoId: string, commit: string): Promise<{ bundleDigest: string } | undefined>;
  /** `audit` (the join's entry) is appended in the same transaction. */
  upsertWorker(w: WorkerRegistration, audit?: NewAuditEntry): Promise<void>;
  /** False when the worker is unknown or gone (it must register again). */
  heartbeatWorker(id: string, active: number, at: Date): Promise<boolean>;
  listWorkers(): Promise<WorkerRow[]>;
  /** Marks stale workers gone; `audit` (one entry per worker) is appended in the same transaction. */
  markWorkersGone(staleBefore: Date, audit?: (w: WorkerRow) => NewAuditEntry): Promise<WorkerRow[]>;
  /** Model tokens of all runs, as reported at completion. */
  tokenTotals(): Promise<{ inputTokens: number; outputTokens: number }>;
  /** Appends one entry to the audit hash chain (serialised cluster-wide); returns it with its seq and hash. */
  appendAudit(entry: NewAuditEntry): Promise<AuditRow>;
  /** Audit entries matching the filter, newest first. */
  listAudit(filter: AuditFilter): Promise<AuditRow[]>;
  /** Walks the audit chain and reports the first edited, deleted or unlinked entry. */
  verifyAudit(): Promise<AuditVerification>;
  /** Inserts a new batch (status running). */
  insertBatch(row: NewBatch): Promise<BatchRow>;
  getBatch(id: string): Promise<BatchRow | undefined>;
  /** Batches whose id starts with `prefix`, newest first. @default limit 2 */
  findBatchesByPrefix(prefix: string, limit?: number): Promise<BatchRow[]>;
  /** Newest first. */
  listBatches(limit: number): Promise<BatchRow[]>;
  /** Running batches, oldest first. */
  listRunningBatches(): Promise<BatchRow[]>;
  /** Records why admission refused item `index` (0-based). NOT_FOUND for an unknown batch. */
  setBatchItemError(id: string, index: number, error: string): Promise<void>;
  /** Ends a running batch; undefined when it was not running. */
  finishBatch(
    id: string,
    status: Exclude<OrchestrationStatus, "running">,
    error: string,
  ): Promise<BatchRow | undefined>;
  deleteBatch(id: string): Promise<void>;
  setBatchReceipt(id: string, receiptId: string): Promise<void>;
  /** The runs of a batch or a chain, by step. */
  listRunsOf(of: { batchId: string } | { chainId: string }): Promise<RunRow[]>;
  /** The submitter's newest run still pending or running. */
  latestActiveRunOf(submitter: string): Promise<RunRow | undefined>;
  /** Inserts a new chain (status running). */
  insertChain(row: NewChain): Promise<ChainRow>;
  getChain(id: string): Promise<ChainRow | undefined>;
  /** Chains whose id starts with `prefix`, newest first. @default limit 2 */
  findChainsByPrefix(prefix: string, limit?: number): Promise<ChainRow[]>;
  /** Newest first. */
  listChains(limit: number): Promise<ChainRow[]>;
  /** Running chains, oldest first. */
  listRunningChains(): Promise<ChainRow[]>;
  /** Updates a running chain's progress; false when it is no longer running. */
  updateChain(id: string, progress: ChainProgress): Promise<boolean>;
  /** Ends a running chain; undefined when it was not running. */
  finishChain(
    id: string,
    end: { status: Exclude<OrchestrationStatus, "running">; error: string; failedStep?: number; verdict?: string },
  ): Promise<ChainRow | undefined>;
  deleteChain(id: string): Promise<void>;
  setChainReceipt(id: string, receiptId: string): Promise<void>;
  /** Stores a batch's or chain's receipt and sets its receipt_id; a second one is ignored. */
  setGroupReceipt(kind: "batch" | "chain", groupId: string, receipt: NewReceipt): Promise<void>;
  /** A batch or chain receipt by receipt id or batch/chain id. */
  getGroupReceipt(idOrGroupId: string): Promise<GroupReceiptRow | undefined>;
  /** Folds agent event texts of `attempt` into the run's live progress; returns it. See {@link recordProgress}. */
  recordProgress(runId: string, attempt: number, agentEventTexts: readonly string[]): Promise<RunUsageRow>;
  /** Live progress of these runs; runs without agent events are absent. */
  getRunUsage(runIds: readonly string[]): Promise<Map<string, RunUsageRow>>;
  /** The newest `limit` runs with tokens and cost, newest first. */
  listRunCosts(limit: number): Promise<RunCostRow[]>;
  /** Inserts a client token row (only its hash); ALREADY_EXISTS when the name is taken. */
  createApiToken(row: NewApiToken): Promise<ApiTokenRow>;
  /** Makes `tokenHash` the admin `name`'s credential (bootstrap); see the query for what a changed hash does. */
  ensureBootstrapToken(name: string, tokenHash: string): Promise<ApiTokenRow>;
  /** The token row with this sha256 hex, revoked and expired ones included. */
  findApiTokenByHash(tokenHash: string): Promise<ApiTokenRow | undefined>;
  /** Sets the token's last_used_at. */
  touchApiToken(name: string, at: Date): Promise<void>;
  listApiTokens(): Promise<ApiTokenRow[]>;
  /** Revokes a token by name (idempotent); NOT_FOUND when there is none. */
  revokeApiToken(name: string, at: Date): Promise<ApiTokenRow>;
  /** Creates the team or sets its max running runs (null = no limit). */
  setTeamMaxRunning(name: string, maxRunning: number | null): Promise<TeamRow>;
  /** Creates the team or sets its budget ceiling, with the audit entry in the same transaction. */
  setTeamBudgetCeiling(
    name: string,
    ceilingUsd: number,
    audit?: (previousUsd: number | null, row: TeamRow) => NewAuditEntry,
  ): Promise<TeamRow>;
  getTeam(name: string): Promise<TeamRow | undefined>;
  listTeams(): Promise<TeamRow[]>;
  /** The team's runs running or queued on the bus (what its max-running limit counts). */
  countTeamRunsOnBus(name: string): Promise<number>;
  /** Runs of the team and their model tokens. */
  teamRunTotals(name: string): Promise<{ runs: number; inputTokens: number; outputTokens: number }>;
  /** Stores chunk `seq` of a blob upload in progress (PANCODE_BLOB_STORE=postgres). */
  putBlobChunk(uploadId: string, seq: number, data: Uint8Array): Promise<void>;
  /** Names a verified upload as the content of `digest`; false (upload dropped) when it already had one. */
  commitBlobUpload(digest: string, content: BlobContent): Promise<boolean>;
  /** Drops the chunks of an upload that failed. */
  discardBlobUpload(uploadId: string): Promise<void>;
  getBlobContent(digest: string): Promise<BlobContent | undefined>;
  readBlobChunk(uploadId: string, seq: number): Promise<Uint8Array | undefined>;
  /** Drops chunks older than `before` of uploads that never became a blob; returns how many. */
  removeBlobLeftovers(before: Date): Promise<number>;
  /**
   * Takes or renews the scheduling lease of a running batch or chain for replica `owner` (free, already its own,
   * or expired); false when another replica holds it or the group ended.
   */
  leaseGroup(kind: GroupKind, id: string, owner: string, leaseMs: number): Promise<boolean>;
  /** Gives up every group lease of `owner` (clean shutdown: the others take over at once). */
  releaseGroups(owner: string): Promise<void>;
  /** Turns a cluster-wide switch on; false when it already was. */
  setClusterFlag(name: string, setBy: string): Promise<boolean>;
  /** Turns a cluster-wide switch off; false when it was not on. */
  clearClusterFlag(name: string): Promise<boolean>;
  getClusterFlag(name: string): Promise<ClusterFlag | undefined>;
  /** Stores a console session (forgetting expired ones and the token's oldest beyond its cap). */
  openConsoleSession(row: NewConsoleSession, now: Date): Promise<void>;
  /** The console session with this id hash while it lives. */
  findConsoleSession(idHash: string, now: Date): Promise<ConsoleSessionRow | undefined>;
  /** Ends a console session (logout), on every replica at once. */
  closeConsoleSession(idHash: string): Promise<void>;
  /** Tells every coordinator on this database that something changed: a run (its id), or a group ("batch:<id>"). */
  announceRun(runId: string): Promise<void>;
  /** {@link announceRun} of many in one statement (the admissions of a burst). */
  announceRuns(runIds: readonly string[]): Promise<void>;
  /** Hears {@link Database.announceRun} of every coordinator (itself included); resolves to the unsubscribe. */
  listenRuns(onRun: (runId: string) => void): Promise<() => Promise<void>>;
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
  /** How advisory locks are taken. @default embeddedLocks (one process owns the database) */
  locks?: TryLock;
  /** How run announcements are heard. @default embeddedRunListener (one process owns the database) */
  listenRuns?: ListenRuns;
}

/** Composes the query functions over one drizzle handle into a {@link Database}. */
export function createDatabase(options: CreateDatabaseOptions): Database {
  const db = options.handle;
  let closing: Promise<void> | undefined;
  const queries: Omit<Database, "driver" | "close"> = {
    insertRun: (row) => insertRun(db, row),
    admitRuns: (batch) => admitRuns(db, batch),
    insertRunWithReservation: (row, estimate, audit, subRuns) =>
      insertRunWithReservation(db, row, estimate, audit, subRuns),
    initBudget: (ceiling) => initBudget(db, ceiling),
    getBudget: () => getBudget(db),
    setBudgetCeiling: (ceiling, audit) => setBudgetCeiling(db, ceiling, audit),
    estimateRunCost: (agent, model) => estimateRunCost(db, agent, model),
    countRuns: () => countRuns(db),
    getRun: (id) => getRun(db, id),
    recentOutcomes: (options) => recentOutcomes(db, options),
    recentOutcomesMany: (queries) => recentOutcomesMany(db, queries),
    findRunsByPrefix: (prefix, limit) => findRunsByPrefix(db, prefix, limit),
    listRuns: (o) => listRuns(db, o),
    listActiveRuns: () => listActiveRuns(db),
    listPendingRuns: (limit) => listPendingRuns(db, limit),
    markPublished: (runId, generation, seq) => markPublished(db, runId, generation, seq),
    markPublishedMany: (published) => markPublishedMany(db, published),
    markUnpublished: (runId, generation) => markUnpublished(db, runId, generation),
    touchHeldRuns: (runIds) => touchHeldRuns(db, runIds),
    tryAdvisoryLock: (key) => (options.locks ?? embeddedLocks)(key),
    claimRun: (o) => claimRun(db, o),
    renewLeases: (o) => renewLeases(db, o),
    checkLease: (runId, attempt, token, holder) => checkLease(db, runId, attempt, token, holder),
    completeRun: (o) => completeRun(db, o),
    finishRun: (o) => finishRun(db, o),
    requeueRun: (runId, attempt) => requeueRun(db, runId, attempt),
    findExpiredLeases: (now) => findExpiredLeases(db, now),
    setReceipt: (runId, receipt) => setReceipt(db, runId, receipt),
    getReceipt: (id) => getReceipt(db, id),
    listReceipts: (limit) => listReceipts(db, limit),
    recordKey: (key) => recordKey(db, key),
    listKeys: () => listKeys(db),
    revokeKey: (keyId, audit) => revokeKey(db, keyId, audit),
    bindWorkerIdentity: (binding) => bindWorkerIdentity(db, binding),
    getWorkerIdentity: (workerId) => getWorkerIdentity(db, workerId),
    readmitWorker: (workerId, audit) => readmitWorker(db, workerId, audit),
    appendEvents: (runId, attempt, events) => appendEvents(db, runId, attempt, events),
    listEvents: (runId, afterSeq, limit) => listEvents(db, runId, afterSeq, limit),
    putBlob: (digest, bytes, kind) => putBlob(db, digest, bytes, kind),
    hasBlob: (digest) => hasBlob(db, digest),
    recordCommit: (repoId, commit, bundle) => recordCommit(db, repoId, commit, bundle),
    findCommit: (repoId, commit) => findCommit(db, repoId, commit),
    upsertWorker: (w, audit) => upsertWorker(db, w, audit),
    heartbeatWorker: (id, active, at) => heartbeatWorker(db, id, active, at),
    listWorkers: () => listWorkers(db),
    markWorkersGone: (staleBefore, audit) => markWorkersGone(db, staleBefore, audit),
    tokenTotals: () => tokenTotals(db),
    appendAudit: (entry) => appendAudit(db, entry),
    listAudit: (filter) => listAudit(db, filter),
    verifyAudit: () => verifyAudit(db),
    insertBatch: (row) => insertBatch(db, row),
    getBatch: (id) => getBatch(db, id),
    findBatchesByPrefix: (prefix, limit) => findBatchesByPrefix(db, prefix, limit),
    listBatches: (limit) => listBatches(db, limit),
    listRunningBatches: () => listRunningBatches(db),
    setBatchItemError: (id, index, error) => setBatchItemError(db, id, index, error),
    finishBatch: (id, status, error) => finishBatch(db, id, status, error),
    deleteBatch: (id) => deleteBatch(db, id),
    setBatchReceipt: (id, receiptId) => setBatchReceipt(db, id, receiptId),
    listRunsOf: (of) => listRunsOf(db, of),
    latestActiveRunOf: (submitter) => latestActiveRunOf(db, submitter),
    insertChain: (row) => insertChain(db, row),
    getChain: (id) => getChain(db, id),
    findChainsByPrefix: (prefix, limit) => findChainsByPrefix(db, prefix, limit),
    listChains: (limit) => listChains(db, limit),
    listRunningChains: () => listRunningChains(db),
    updateChain: (id, progress) => updateChain(db, id, progress),
    finishChain: (id, end) => finishChain(db, id, end),
    deleteChain: (id) => deleteChain(db, id),
    setChainReceipt: (id, receiptId) => setChainReceipt(db, id, receiptId),
    setGroupReceipt: (kind, groupId, receipt) => setGroupReceipt(db, kind, groupId, receipt),
    getGroupReceipt: (id) => getGroupReceipt(db, id),
    recordProgress: (runId, attempt, texts) => recordProgress(db, runId, attempt, texts),
    getRunUsage: (runIds) => getRunUsage(db, runIds),
    listRunCosts: (limit) => listRunCosts(db, limit),
    createApiToken: (row) => createApiToken(db, row),
    ensureBootstrapToken: (name, hash) => ensureBootstrapToken(db, name, hash),
    findApiTokenByHash: (hash) => findApiTokenByHash(db, hash),
    touchApiToken: (name, at) => touchApiToken(db, name, at),
    listApiTokens: () => listApiTokens(db),
    revokeApiToken: (name, at) => revokeApiToken(db, name, at),
    setTeamMaxRunning: (name, max) => setTeamMaxRunning(db, name, max),
    countTeamRunsOnBus: (name) => countTeamRunsOnBus(db, name),
    setTeamBudgetCeiling: (name, ceiling, audit) => setTeamBudgetCeiling(db, name, ceiling, audit),
    getTeam: (name) => getTeam(db, name),
    listTeams: () => listTeams(db),
    teamRunTotals: (name) => teamRunTotals(db, name),
    putBlobChunk: (uploadId, seq, data) => putBlobChunk(db, uploadId, seq, data),
    commitBlobUpload: (digest, content) => commitBlobUpload(db, digest, content),
    discardBlobUpload: (uploadId) => discardBlobUpload(db, uploadId),
    getBlobContent: (digest) => getBlobContent(db, digest),
    readBlobChunk: (uploadId, seq) => readBlobChunk(db, uploadId, seq),
    removeBlobLeftovers: (before) => removeBlobLeftovers(db, before),
    leaseGroup: (kind, id, owner, leaseMs) => leaseGroup(db, kind, id, owner, leaseMs),
    releaseGroups: (owner) => releaseGroups(db, owner),
    setClusterFlag: (name, setBy) => setClusterFlag(db, name, setBy),
    clearClusterFlag: (name) => clearClusterFlag(db, name),
    getClusterFlag: (name) => getClusterFlag(db, name),
    openConsoleSession: (row, now) => openConsoleSession(db, row, now),
    findConsoleSession: (idHash, now) => findConsoleSession(db, idHash, now),
    closeConsoleSession: (idHash) => closeConsoleSession(db, idHash),
    announceRun: async (runId) => {
      if (options.driver === "pglite") return;
      await db.execute(sql`select pg_notify(${RUN_CHANNEL}, ${runId})`);
    },
    announceRuns: async (runIds) => {
      if (options.driver === "pglite" || runIds.length === 0) return;
      await db.execute(sql`select pg_notify(${RUN_CHANNEL}, id) from unnest(${sql.param([...runIds])}::text[]) as id`);
    },
    listenRuns: (onRun) => (options.listenRuns ?? embeddedRunListener)(onRun),
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
