/** JSON shapes of the API: the CLI's `--json` field names. Only what the pages read is typed. */

interface PatchFile {
  path: string;
  status: string;
  oldPath?: string;
  binary: boolean;
}

export interface Run {
  runId: string;
  agent: string;
  status: string;
  model: string;
  task: string;
  isolate?: boolean;
  workerId?: string;
  attempt?: number;
  exitCode?: number | null;
  error?: string;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
  costUsd: number;
  patch: { digest: string; bytes: number; files: PatchFile[] } | null;
  receiptId?: string;
  outputTail?: string;
  user: string | null;
  team: string | null;
  batchId?: string | null;
  chainId?: string | null;
  turns?: number;
  tokens?: number;
  inputTokens?: number;
  outputTokens?: number;
}

/** One run event: `kind` + `text` as `logs --json`; `agent` events carry one agent event as JSON text. */
export interface RunEvent {
  seq: number;
  at: string;
  kind?: string;
  text?: string;
  type?: string;
  [field: string]: unknown;
}

interface GroupItem {
  task: string;
  agent: string;
  runId: string | null;
  error: string | null;
}

export interface Batch {
  batchId: string;
  status: string;
  tasks: number;
  items: GroupItem[];
  counts: Record<string, number>;
  costUsd: number;
  createdAt: string;
  finishedAt: string | null;
  error: string;
  submitter: string;
  runs: Run[];
}

export interface Chain {
  chainId: string;
  kind: string;
  status: string;
  steps: { agent: string; task: string }[];
  totalSteps: number;
  originalTask: string;
  failedStep: number | null;
  error: string;
  verdict: string | null;
  rounds: number;
  counts: Record<string, number>;
  costUsd: number;
  createdAt: string;
  finishedAt: string | null;
  submitter: string;
  runs: Run[];
}

export interface Budget {
  ceilingUsd: number;
  spentUsd: number;
  reservedUsd: number;
  remainingUsd: number;
  runs: number;
  tokens: number;
  team: string;
}

export interface CostTotal {
  key: string;
  runs: number;
  tokens: number;
  costUsd: number;
}

/** One of the cluster's agents, as `pancode agents --json` lists it (the fields the console shows). */
export interface AgentSummary {
  name: string;
  runtime: string;
  model: string;
  readonly: boolean;
  description: string;
}

/** A repository state the caller's CLI uploaded, named by the run that uploaded it. */
export interface Workspace {
  ref: string;
  repo?: string;
  commit?: string;
  runId?: string;
  task?: string;
  uploadedAt: string;
}

const TERMINAL = ["done", "error", "timeout", "interrupted", "budget_exceeded", "failed", "stopped"];

export function isTerminal(status: string): boolean {
  return TERMINAL.includes(status);
}

// The JSON the API answers, as the coordinator builds it (type-only: nothing of @pancode/proto reaches the bundle).
export type {
  AuditEntryJson as AuditEntry,
  AuditVerifyJson as AuditVerify,
  WorkerJson as Worker,
} from "@pancode/proto";
