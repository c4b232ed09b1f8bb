import type { PatchFile, ResolvedAgent, RunStatus } from "@pancode/core";

/**
 * What the coordinator stores in `runs.spec` to rebuild the RunSpec of every attempt: the resolved agent plus any
 * further fields it needs (kept open so adding one needs no migration).
 */
export interface StoredRunSpec {
  agent: ResolvedAgent;
  [key: string]: unknown;
}

/** A row of `runs`. Timestamps are Dates; cost and byte counts are numbers. */
export interface RunRow {
  id: string;
  status: RunStatus;
  agent: string;
  model: string;
  task: string;
  isolate: boolean;
  pool: string;
  repoId: string;
  baseCommit: string;
  bundleDigest: string;
  stateDigest: string;
  stateTree: string;
  /** '' until claimed, and again after a requeue. */
  workerId: string;
  /** 0 until the first claim; incremented by every claim. */
  attempt: number;
  /** Secret of the current attempt; '' before the first claim and after the run ends. */
  leaseToken: string;
  leaseExpiresAt: Date | null;
  exitCode: number | null;
  error: string;
  outputTail: string;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  costUsd: number;
  /** Budget still reserved by the run (its admission estimate); 0 once it ended and was settled. */
  reservedUsd: number;
  /** '' when the run produced no patch; an empty patch still has a digest. */
  patchDigest: string;
  patchBytes: number;
  patchFiles: PatchFile[];
  /** '' until the receipt is stored. */
  receiptId: string;
  /** JetStream sequence of the task message; null until published. */
  busSeq: number | null;
  /** When the bus confirmed the current task message; null while the reconciler owns (re)publishing it. */
  publishedAt: Date | null;
  /** Confirmed publishes so far (the generation of the last one). */
  publishCount: number;
  /** Since when the run has had no live message though the publish gate allowed one; null once published. */
  unpublishedSince: Date | null;
  submitter: string;
  /** Authenticated name of the submitting token (sub-runs: the parent's); null for runs stored before teams. */
  userName: string | null;
  /** Team of that token at submission; null = no team. */
  team: string | null;
  spec: StoredRunSpec;
  traceparent: string;
  /** Highest event seq of the run (0 before the first event). */
  eventSeq: number;
  /** Model tokens the run used, as reported at completion; 0 when the runtime reports none. */
  inputTokens: number;
  outputTokens: number;
  /** Run that dispatched this one with its run token; '' for client submissions. */
  parentRunId: string;
  /** Nesting depth: 0 for client submissions, parent's + 1 for sub-runs. */
  depth: number;
  /** sha256 digest of the task text (loop detection); '' for runs stored before it existed. */
  taskHash: string;
  /** Batch of which the run is item `step`; null for plain dispatches. */
  batchId: string | null;
  /** Chain of which the run is step `step`; null for plain dispatches. */
  chainId: string | null;
  /** 1-based item or step number; 0 for plain dispatches. */
  step: number;
}

/** Fields of a new run. Everything the coordinator does not know at submit time is filled in later. */
export type NewRun = Pick<
  RunRow,
  | "id"
  | "agent"
  | "model"
  | "task"
  | "isolate"
  | "pool"
  | "repoId"
  | "baseCommit"
  | "bundleDigest"
  | "stateDigest"
  | "stateTree"
  | "submitter"
  | "spec"
  | "traceparent"
> & {
  /** @default "pending" */
  status?: RunStatus;
  /** @default the database's now() */
  createdAt?: Date;
  /** @default "" (a client submission) */
  parentRunId?: string;
  /** @default 0 */
  depth?: number;
  /** @default "" */
  taskHash?: string;
  /** @default null */
  batchId?: string | null;
  /** @default null */
  chainId?: string | null;
  /** @default 0 */
  step?: number;
  /** @default null */
  userName?: string | null;
  /** @default null */
  team?: string | null;
};

/** A row of `run_events`. `seq` is 1-based, gap-free and increasing per run. */
export interface EventRow {
  id: number;
  runId: string;
  attempt: number;
  seq: number;
  at: Date;
  kind: string;
  text: string;
}

/** A row of `receipts`; `body` is the canonical JSON exactly as hashed. */
export interface ReceiptRow {
  id: string;
  runId: string;
  contentHash: string;
  body: string;
  createdAt: Date;
}

/** A receipt-signing public key. */
export interface SigningKeyRow {
  keyId: string;
  role: "worker" | "coordinator";
  ownerId: string;
  publicKeyPem: string;
  createdAt: Date;
  revoked: boolean;
}

/** The key a worker id is bound to, and its current session. */
export interface WorkerIdentityRow {
  workerId: string;
  keyId: string;
  sessionHash: string;
  boundAt: Date;
  /** Set once the bound key was revoked: the id stays out until readmitted. */
  revokedAt: Date | null;
}

/** How a worker isolates runs. */
export type WorkerSandbox = "docker" | "process";

/** A row of `workers`. */
export interface WorkerRow {
  id: string;
  pool: string;
  sandbox: WorkerSandbox;
  capacity: number;
  active: number;
  version: string;
  registeredAt: Date;
  lastHeartbeatAt: Date;
  status: "up" | "gone";
}

/** What a worker announces when it registers (or registers again after being marked gone). */
export interface WorkerRegistration {
  id: string;
  pool: string;
  sandbox: WorkerSandbox;
  capacity: number;
  version: string;
  /** Runs already in flight (non-zero when a worker re-registers after a partition). @default 0 */
  active?: number;
  /** Registration time; also counts as the first heartbeat. @default new Date() */
  at?: Date;
}

/** The cluster's budget (one row). Amounts in USD; arithmetic on them happens in SQL. */
export interface BudgetRow {
  id: number;
  ceilingUsd: number;
  spentUsd: number;
  reservedUsd: number;
}

/** An entry of the audit trail (`audit_log`). */
export interface AuditRow {
  seq: number;
  at: Date;
  category: string;
  action: string;
  runId: string | null;
  actor: string;
  gate: string;
  message: string;
  data: Record<string, unknown>;
  prevHash: string;
  hash: string;
}
