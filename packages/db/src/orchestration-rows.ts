import type { WorkspaceRef } from "@pancode/core";

/**
 * What every run of a batch or chain is dispatched with, besides its own task and agent: the submitted workspace
 * and the dispatch options, stored so the coordinator can start later items after the client went away (or after
 * its own restart).
 */
export interface OrchestrationRequest {
  isolate: boolean;
  mode: string;
  model: string;
  submitter: string;
  /** Authenticated user and team every run of the batch or chain is recorded with (absent before teams existed). */
  userName?: string | null;
  team?: string | null;
  workspace: WorkspaceRef;
  agentFiles: { path: string; content: string }[];
  maxCostUsd: number;
  /** Session safety level every run is admitted with; absent in requests stored before it existed (auto-edit). */
  safety?: string;
  /** W3C traceparent of the creating call, so later runs join its trace. */
  traceparent: string;
}

/** Status of a batch or chain: running until every run ended (or it was stopped). */
export type OrchestrationStatus = "running" | "done" | "failed" | "stopped";

/** One item of a batch; `error` is set when admission refused it (it then never becomes a run). */
export interface BatchItemRow {
  task: string;
  agent: string;
  error?: string;
}

/** A row of `batches`. Its runs are the `runs` rows with this `batch_id`, `step` = item index + 1. */
export interface BatchRow {
  id: string;
  status: OrchestrationStatus;
  items: BatchItemRow[];
  concurrency: number;
  staggerMs: number;
  request: OrchestrationRequest;
  submitter: string;
  userName: string | null;
  team: string | null;
  error: string;
  createdAt: Date;
  finishedAt: Date | null;
  receiptId: string;
}

/** A step of a chain: an agent and its task template ($INPUT, $ORIGINAL). */
export interface ChainStepRow {
  agent: string;
  task: string;
}

/** Settings of a review-fix loop (chains of kind "refine"). */
export interface RefineRow {
  builder: string;
  reviewer: string;
  maxRounds: number;
  /** Task template of the reviewer ("" = the built-in review prompt). */
  reviewTask: string;
}

/** A row of `chains`. Its runs are the `runs` rows with this `chain_id`, `step` = 1-based step number. */
export interface ChainRow {
  id: string;
  kind: "chain" | "refine";
  status: OrchestrationStatus;
  /** Chain: every step's template. Refine: the steps generated so far, as dispatched. */
  steps: ChainStepRow[];
  originalTask: string;
  refine: RefineRow | null;
  request: OrchestrationRequest;
  submitter: string;
  userName: string | null;
  team: string | null;
  /** 1-based step that failed; 0 = none. */
  failedStep: number;
  error: string;
  /** Refine: approved | changes_requested | "". */
  verdict: string;
  /** Refine: reviews done. */
  rounds: number;
  createdAt: Date;
  finishedAt: Date | null;
  receiptId: string;
}

/** Fields of a new batch. */
export type NewBatch = Pick<BatchRow, "id" | "items" | "concurrency" | "staggerMs" | "request" | "submitter"> &
  Partial<Pick<BatchRow, "userName" | "team">>;

/** Fields of a new chain. */
export type NewChain = Pick<ChainRow, "id" | "kind" | "steps" | "originalTask" | "refine" | "request" | "submitter"> &
  Partial<Pick<ChainRow, "userName" | "team">>;
