import { randomUUID } from "node:crypto";
import type { AgentRegistry, SandboxCaps } from "@pancode/agents";
import { EMPTY_DIGEST, isPanCodeError, PanCodeError } from "@pancode/core";
import type { NewRun, RunRow } from "@pancode/db";
import type { Logger } from "@pancode/telemetry";
import type { BlobStore } from "../blob-store.js";
import { type AdmissionContext, type AdmissionDeps, type AdmissionStore, required } from "./admission/context.js";
import { runGates } from "./admission/gates.js";
import { GroupCommit } from "./admission/group-commit.js";
import { sharedReads } from "./admission/shared-reads.js";
import { DEFAULT_POOL, type DispatchInput, effectiveCostCap, gateOf, REFUSAL_PREFIX } from "./admission.js";
import { type AuditLog, admittedEntry, safetyWarningEntry } from "./audit-log.js";
import { type BudgetService, refusal, teamRefusal } from "./budget-service.js";
import type { RunMetrics } from "./cluster-metrics.js";
import { type LoopThresholds, taskHashOf } from "./loop-detector.js";
import type { ModelDirectory } from "./model-directory.js";
import { subRunQuotaRefusal } from "./recursion-guard.js";
import type { RunNotifier } from "./run-notifier.js";
import type { RunPublisher } from "./run-publisher.js";
import type { WorkerDirectory } from "./worker-directory.js";
import type { WorkspaceTrees } from "./workspace-trees.js";

export {
  DEFAULT_POOL,
  effectiveCostCap,
  MAX_DISPATCH_TIMEOUT_MS,
  withTimeout,
} from "./admission.js";

/** Dependencies of {@link DispatchService}. */
export interface DispatchServiceDeps {
  /** Admission's reads and the run's insert (role port; the whole Database satisfies it). */
  db: AdmissionStore;
  /** Puts admitted runs on the bus (fast path; the publish reconciler catches up whatever it could not). */
  publisher: RunPublisher;
  /** Counts admissions and refusals by gate; none = no metrics. */
  metrics?: Pick<RunMetrics, "admission">;
  blobs: BlobStore;
  agents: AgentRegistry;
  workers: WorkerDirectory;
  notifier: RunNotifier;
  logger: Logger;
  defaultAgent: string;
  isDraining: () => Promise<boolean>;
  /** Providers, models and prices: PANCODE_CONFIG's, or discovered on the workers. */
  models: ModelDirectory;
  /** Gate 8: estimates and the early budget check; the reservation itself is made with the run's insert. */
  budget: BudgetService;
  /** Per-run cap in USD (PANCODE_PER_RUN_BUDGET) for dispatches that ask for none; 0 = none. */
  perRunUsd?: number;
  /** Every admission decision is recorded here. */
  audit: AuditLog;
  /** Gate 4: deepest nesting of sub-runs (PANCODE_DISPATCH_MAX_DEPTH). @default 2 */
  maxDepth?: number;
  /** Gate 4: sub-runs one tree of runs may start in total (PANCODE_MAX_SUBRUNS). @default 8 */
  maxSubRuns?: number;
  /** Cluster maxima of a run's sandbox and timeout (PANCODE_MAX_*); none = no caps (tests of other gates). */
  caps?: SandboxCaps;
  /** Gate 6: the submitted workspaces' files; without it paths are checked lexically only (no symlinks). */
  trees?: WorkspaceTrees;
  /** Gate 7b: loop detection thresholds. @default warn 3, refuse 5, within 10 min */
  loop?: LoopThresholds;
}

/**
 * Every refusal by a gate reads "Dispatch blocked: ..." whichever layer raised it (the agent registry, for one,
 * does not know it is a gate); other errors pass unchanged.
 */
function asRefusal(err: unknown): unknown {
  const gate = gateOf(err);
  if (!gate || gate === "request" || !isPanCodeError(err) || err.message.startsWith(REFUSAL_PREFIX)) return err;
  return new PanCodeError(err.code, `${REFUSAL_PREFIX}${err.message}`, { cause: err, retryable: err.retryable });
}

/**
 * Admits a dispatch through the gates in the seed's order, records the run as `pending` with its budget reservation,
 * and publishes it on the bus (or leaves that to the publish reconciler when the bus is away). A refused dispatch
 * leaves nothing behind.
 */
export class DispatchService {
  /** Concurrent admissions share one transaction; sub-runs, with a quota to count, are recorded alone. */
  private readonly groupCommit: GroupCommit;
  /** The gates' dependencies, with the reads every admission makes shared among concurrent ones. */
  private readonly gateDeps: AdmissionDeps;

  constructor(private readonly deps: DispatchServiceDeps) {
    this.groupCommit = new GroupCommit(deps.db);
    this.gateDeps = sharedReads(deps);
  }

  /**
   * Admits or refuses a dispatch and records the decision in the audit trail exactly once: the admission inside
   * {@link DispatchService.admit}, every refusal here. A refusal whose entry cannot be written still fails, and says
   * so, rather than leaving a silent hole.
   */
  async dispatch(input: DispatchInput, traceparent: string): Promise<{ run: RunRow; warnings: string[] }> {
    try {
      const admitted = await this.admit(input, traceparent);
      this.deps.metrics?.admission("admitted", "none");
      return admitted;
    } catch (thrown) {
      const err = asRefusal(thrown);
      // A failure no gate names (the database) is an error, not a refusal: refusal ratios stay a policy figure.
      const gate = gateOf(err);
      this.deps.metrics?.admission(gate ? "refused" : "error", gate ?? "none");
      const actor = { agent: input.agent || this.deps.defaultAgent, submitter: input.submitter, mode: input.mode };
      try {
        await this.deps.audit.refused(actor, err);
      } catch (auditErr) {
        if (!isPanCodeError(err)) throw auditErr;
        throw new PanCodeError(
          err.code,
          `${err.message} (and the refusal could not be audited: ${(auditErr as Error).message})`,
          {
            cause: err,
            retryable: err.retryable,
          },
        );
      }
      throw err;
    }
  }

  private async admit(input: DispatchInput, traceparent: string): Promise<{ run: RunRow; warnings: string[] }> {
    const agentName = input.agent || this.deps.defaultAgent;
    const ctx: AdmissionContext = {
      input,
      agentName,
      agents: this.deps.agents,
      fileWarnings: [],
      warnings: [],
      safetyWarnings: [],
    };
    await runGates(ctx, this.gateDeps);
    const run = await this.record(ctx, traceparent);
    const queued = await this.publishNow(run);
    if (queued) ctx.warnings.push(queued);
    this.deps.logger.info("run admitted", {
      runId: run.id,
      agent: run.agent,
      pool: run.pool,
      estimateUsd: ctx.estimateUsd,
      safety: ctx.safety,
      ...(run.parentRunId ? { parentRunId: run.parentRunId, depth: run.depth } : {}),
    });
    this.deps.notifier.notify(run.id);
    return { run, warnings: ctx.warnings };
  }

  /**
   * The authoritative budget check: reserve and insert in one transaction, so concurrent dispatches cannot pass the
   * ceiling between the early check of gate 8 and here. The admission's audit entries commit with the run.
   */
  private async record(ctx: AdmissionContext, traceparent: string): Promise<RunRow> {
    const { input, parent, subRuns, safetyWarnings, warnings } = ctx;
    const agent = required(ctx.agent, "the agent");
    const model = required(ctx.model, "the model");
    const estimateUsd = required(ctx.estimateUsd, "the estimate");
    const nesting = required(ctx.nesting, "the nesting");
    const row: NewRun = {
      id: randomUUID(),
      agent: agent.name,
      model: model?.ref ?? (input.model || agent.model),
      task: input.task,
      isolate: input.isolate,
      pool: DEFAULT_POOL,
      repoId: input.workspace.repoId,
      baseCommit: input.workspace.baseCommit,
      bundleDigest: required(ctx.bundleDigest, "the bundle"),
      stateDigest: input.workspace.stateDigest || EMPTY_DIGEST,
      stateTree: input.workspace.stateTree,
      submitter: input.submitter,
      // A sub-run is its parent's person's and team's, whatever its run token's request says.
      userName: parent ? parent.userName : (input.userName ?? null),
      team: parent ? parent.team : (input.team ?? null),
      spec: {
        agent,
        mode: input.mode || "build",
        model,
        maxCostUsd: effectiveCostCap(input.maxCostUsd, this.deps.perRunUsd),
        safety: required(ctx.safety, "the safety level"),
        basePatches: input.orchestration?.basePatches ?? [],
      },
      traceparent,
      parentRunId: nesting.parentRunId,
      depth: nesting.depth,
      taskHash: taskHashOf(input.task),
      batchId: input.orchestration?.batchId ?? null,
      chainId: input.orchestration?.chainId ?? null,
      step: input.orchestration?.step ?? 0,
    };
    // Recorded in the run's insert transaction: no run exists without its admission on record.
    const audit = (run: RunRow) => [
      admittedEntry(run, estimateUsd, warnings),
      ...safetyWarnings.map((w) => safetyWarningEntry(run, w.action, w.message)),
    ];
    const reserved = subRuns
      ? await this.deps.db.insertRunWithReservation(row, estimateUsd, audit, subRuns)
      : await this.groupCommit.admit({ row, estimateUsd, audit });
    if (!reserved.ok && "subRunsStarted" in reserved && subRuns) {
      throw subRunQuotaRefusal(subRuns.rootRunId, reserved.subRunsStarted, subRuns.max);
    }
    if (!reserved.ok && "budget" in reserved) throw refusal(reserved.budget, estimateUsd);
    if (!reserved.ok && "team" in reserved) throw teamRefusal(reserved.team, estimateUsd);
    if (!reserved.ok) throw new PanCodeError("INTERNAL", "the run was not inserted");
    return reserved.run;
  }

  /**
   * The fast path of the outbox: publish the run just committed. A dispatch whose publish fails still succeeds: its
   * run, budget reservation and admission entry are committed together and the audit trail is append-only, so
   * "no row" could only be faked; instead the run stays the publisher's (unpublished) and the publish reconciler puts
   * it on the bus when NATS is back, or ends it `error` with the reason after PANCODE_UNDELIVERABLE_AFTER_MS.
   * Returns a warning for the submitter when the run was not queued at once.
   */
  private async publishNow(run: RunRow): Promise<string | undefined> {
    try {
      if ((await this.deps.publisher.publish(run)) === "published") return undefined;
      if (run.team) {
        return (
          `run ${run.id} waits its turn: team ${run.team} is at its limit of running runs ` +
          "(pancode teams list); it starts as the team's runs end"
        );
      }
      return `run ${run.id} is admitted and held until the cluster's publish policy lets it start`;
    } catch (err) {
      this.deps.logger.warn("run admitted but not published yet: the task bus is unavailable", {
        runId: run.id,
        error: err as Error,
      });
      return `the task bus is unavailable: run ${run.id} is admitted and will be queued when it is back`;
    }
  }
}
