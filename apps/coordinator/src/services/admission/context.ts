import type { AgentRegistry, SandboxCaps } from "@pancode/agents";
import type { ModelTarget, ResolvedAgent } from "@pancode/core";
import type { Database, RunRow, SubRunQuota } from "@pancode/db";
import type { BlobStore } from "../../blob-store.js";
import type { DispatchInput } from "../admission.js";
import type { BudgetService } from "../budget-service.js";
import type { LoopThresholds } from "../loop-detector.js";
import type { ModelDirectory } from "../model-directory.js";
import type { Nesting } from "../recursion-guard.js";
import type { SafetyLevel } from "../safety-scope.js";
import type { WorkerDirectory } from "../worker-directory.js";
import type { WorkspaceTrees } from "../workspace-trees.js";

/**
 * What admission reads and writes in the database: a narrow port, so admission does not depend on all of it. The
 * gates read loop history one task at a time (`recentOutcomes`); {@link sharedReads} answers those reads of
 * concurrent admissions with one `recentOutcomesMany`.
 */
export type AdmissionStore = Pick<
  Database,
  | "getRun"
  | "recentOutcomes"
  | "recentOutcomesMany"
  | "findCommit"
  | "recordCommit"
  | "insertRunWithReservation"
  | "admitRuns"
>;

/** What the gates consult besides the request. */
export interface AdmissionDeps {
  db: AdmissionStore;
  blobs: Pick<BlobStore, "has">;
  agents: AgentRegistry;
  workers: Pick<WorkerDirectory, "liveWorkers" | "servesModel">;
  models: Pick<ModelDirectory, "resolve" | "discovering">;
  budget: Pick<BudgetService, "estimate" | "check">;
  defaultAgent: string;
  isDraining: () => Promise<boolean>;
  maxDepth?: number;
  maxSubRuns?: number;
  caps?: SandboxCaps;
  trees?: Pick<WorkspaceTrees, "load">;
  loop?: LoopThresholds;
}

/** A warning of a safety gate: recorded as its own audit entry with the admission. */
interface SafetyWarning {
  action: "path_warning" | "loop_warning";
  message: string;
}

/**
 * One dispatch on its way through the gates. Each gate reads what earlier gates found and adds its own finding;
 * the fields marked optional are unset until the gate that fills them has run.
 */
export interface AdmissionContext {
  /** The request; a sub-run's workspace is replaced by its parent's when it names none (gate 4). */
  input: DispatchInput;
  /** The agent asked for, or the cluster's default. */
  agentName: string;
  /** The cluster's agents plus this dispatch's repository agent files. */
  agents: AgentRegistry;
  /** Broken repository agent files: warnings, and named in an unknown-agent refusal. */
  fileWarnings: string[];
  /** What the submitter is told besides the run id. */
  warnings: string[];
  safetyWarnings: SafetyWarning[];
  /** The agent when it exists, for the gates before gate 9 (which reports an unknown one). */
  known?: ResolvedAgent;
  parent?: RunRow;
  nesting?: Nesting;
  subRuns?: SubRunQuota;
  safety?: SafetyLevel;
  estimateUsd?: number;
  /** The agent as the run gets it (gate 9): with the dispatch's timeout, within the cluster's caps. */
  agent?: ResolvedAgent;
  model?: ModelTarget | null;
  /** The bundle that holds the base commit (every blob checked present). */
  bundleDigest?: string;
}

/** One step of admission: throws its refusal, or adds what it found to the context. */
export interface AdmissionGate {
  name: string;
  check(ctx: AdmissionContext, deps: AdmissionDeps): void | Promise<void>;
}

/** A context field a later gate needs; an error here is a gate array out of order, not a refusal. */
export function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`admission: ${what} is read before the gate that sets it ran`);
  return value;
}
