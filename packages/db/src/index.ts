/**
 * @pancode/db: the coordinator's Postgres store (runs, events, receipts, blobs, commits, workers). The only package
 * that talks to drizzle-orm, pg and PGlite. Migrations are committed under packages/db/drizzle and applied at open.
 *
 * ```ts
 * import { openDatabase } from "@pancode/db";
 * const db = await openDatabase({ url: "postgres://pancode@127.0.0.1:5432/pancode", logger });
 * // or, embedded: await openDatabase({ dataDir: "/var/lib/pancode/db" })
 * const claim = await db.claimRun({ runId, workerId, leaseToken, leaseMs: 30_000 });
 * if (claim.ok) startAttempt(claim.run.attempt, claim.run.leaseToken);
 * await db.close();
 * ```
 */
export type { HeldLock } from "./advisory-lock.js";
export type { Database } from "./database.js";
export { MIGRATIONS_FOLDER } from "./migrate.js";
export { type OpenDatabaseOptions, openDatabase } from "./open-database.js";
export type {
  BatchItemRow,
  BatchRow,
  ChainRow,
  ChainStepRow,
  NewBatch,
  NewChain,
  OrchestrationRequest,
  OrchestrationStatus,
  RefineRow,
} from "./orchestration-rows.js";
export type { AdmissionOutcome, RunAdmission } from "./queries/admit-batch.js";
export { API_ROLES, type ApiRole, type ApiTokenRow, type NewApiToken } from "./queries/api-tokens.js";
export {
  AUDIT_CATEGORIES,
  type AuditCategory,
  type AuditFilter,
  type AuditFor,
  type AuditVerification,
  type NewAuditEntry,
} from "./queries/audit.js";
export type { ReservationResult } from "./queries/budget.js";
export type { ChainProgress } from "./queries/chains.js";
export type { ClusterFlag } from "./queries/cluster-flags.js";
export type { CompleteRunOptions, CompleteRunResult, FinishRunOptions } from "./queries/completion.js";
export {
  type ConsoleSessionRow,
  MAX_SESSIONS_PER_TOKEN,
  type NewConsoleSession,
} from "./queries/console-sessions.js";
export type { NewEvent } from "./queries/events.js";
export type { GroupKind } from "./queries/group-leases.js";
export type { GroupReceiptRow } from "./queries/group-receipts.js";
export type { ClaimRunOptions, ClaimRunResult, LeaseCheck, RenewLeasesOptions } from "./queries/leases.js";
export type { OutcomeQuery, RunOutcome } from "./queries/loop-history.js";
export type { PublishedMessage } from "./queries/publishing.js";
export type { NewReceipt } from "./queries/receipts.js";
export type { BlobContent } from "./queries/shared-blobs.js";
export type { NewSigningKey } from "./queries/signing-keys.js";
export type { SubRunQuota } from "./queries/sub-runs.js";
export type { TeamRow } from "./queries/teams.js";
export type { RunCostRow, RunUsageRow } from "./queries/usage.js";
export type { BindResult } from "./queries/worker-identities.js";
export type {
  AuditRow,
  BudgetRow,
  EventRow,
  NewRun,
  ReceiptRow,
  RunRow,
  SigningKeyRow,
  StoredRunSpec,
  WorkerIdentityRow,
  WorkerRegistration,
  WorkerRow,
  WorkerSandbox,
} from "./rows.js";
