import { randomUUID } from "node:crypto";
import { type AgentRegistry, capViolations, getRuntime, loadDefinitionFiles, type SandboxCaps } from "@pancode/agents";
import { EMPTY_DIGEST, isPanCodeError, type ModelTarget, PanCodeError, type ResolvedAgent } from "@pancode/core";
import type { Database, RunRow, SubRunQuota } from "@pancode/db";
import type { Logger } from "@pancode/telemetry";
import type { BlobStore } from "../blob-store.js";
import {
  checkMode,
  checkMutation,
  checkTask,
  checkWorkspaceShape,
  type DispatchInput,
  gateOf,
  REFUSAL_PREFIX,
} from "./admission.js";
import { type AuditLog, admittedEntry, safetyWarningEntry } from "./audit-log.js";
import { type BudgetService, refusal, teamRefusal } from "./budget-service.js";
import type { RunMetrics } from "./cluster-metrics.js";
import { checkLoop, DEFAULT_LOOP_THRESHOLDS, type LoopThresholds, taskHashOf } from "./loop-detector.js";
import type { ModelDirectory } from "./model-directory.js";
import { checkPaths } from "./path-check.js";
import { checkRecursion, inheritedWorkspace, type Nesting, rootRunOf, subRunQuotaRefusal } from "./recursion-guard.js";
import type { RunNotifier } from "./run-notifier.js";
import type { RunPublisher } from "./run-publisher.js";
import { checkScope, sessionSafety } from "./safety-scope.js";
import type { WorkerDirectory } from "./worker-directory.js";
import type { WorkspaceTrees } from "./workspace-trees.js";

/** The pool every run goes to until routing by capability splits them (a subject per pool on the bus). */
export const DEFAULT_POOL = "default";

/** Dependencies of {@link DispatchService}. */
export interface DispatchServiceDeps {
  db: Database;
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

/** Default of PANCODE_MAX_SUBRUNS. */
const DEFAULT_MAX_SUBRUNS = 8;

/** Default of PANCODE_DISPATCH_MAX_DEPTH. */
const DEFAULT_MAX_DEPTH = 2;

/** The cost cap a run gets: the dispatch's own when positive, else the cluster's per-run budget, else 0 (none). */
export function effectiveCostCap(requestedUsd: number | undefined, perRunUsd: number | undefined): number {
  if (requestedUsd !== undefined && Number.isFinite(requestedUsd) && requestedUsd > 0) return requestedUsd;
  return perRunUsd !== undefined && perRunUsd > 0 ? perRunUsd : 0;
}

/** Longest per-dispatch timeout accepted: 24 h (an int32 of ms holds about 24.8 days, a run should not). */
export const MAX_DISPATCH_TIMEOUT_MS = 24 * 3_600_000;

/** The agent with the dispatch's own timeout when one was asked for (`--timeout`), else as defined. */
export function withTimeout(agent: ResolvedAgent, timeoutMs: number | undefined): ResolvedAgent {
  if (timeoutMs === undefined || timeoutMs === 0) return agent;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 0 || timeoutMs > MAX_DISPATCH_TIMEOUT_MS) {
    throw new PanCodeError(
      "INVALID_ARGUMENT",
      `timeout must be a whole number of ms between 1 and ${MAX_DISPATCH_TIMEOUT_MS} (24 h), got ${timeoutMs}`,
    );
  }
  return { ...agent, timeoutMs };
}

/**
 * An agent's sandbox and timeout must fit the cluster's caps: repository agent files and `--timeout` only ask.
 * Refused, not clamped, so the developer learns why their run would not get what its file says.
 */
function checkCaps(agent: ResolvedAgent, caps: SandboxCaps): void {
  const over = capViolations(agent, caps);
  if (over.length > 0) throw new PanCodeError("INVALID_ARGUMENT", `${REFUSAL_PREFIX}${over.join("; ")}`);
}

/** Gate 9, agent existence; when repository agent files were broken, the refusal says which and why. */
function resolveAgent(agents: AgentRegistry, name: string, fileWarnings: readonly string[]): ResolvedAgent {
  try {
    return agents.resolve(name);
  } catch (err) {
    if (fileWarnings.length === 0 || !isPanCodeError(err) || err.code !== "UNKNOWN_AGENT") throw err;
    throw new PanCodeError("UNKNOWN_AGENT", `${err.message}; agent files with errors: ${fileWarnings.join("; ")}`, {
      cause: err,
    });
  }
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
  constructor(private readonly deps: DispatchServiceDeps) {}

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

  private async admit(request: DispatchInput, traceparent: string): Promise<{ run: RunRow; warnings: string[] }> {
    let input = request;
    const agentName = input.agent || this.deps.defaultAgent;
    // The repository's own agents and teams apply to this dispatch only; broken files are warnings, not refusals.
    const repo = loadDefinitionFiles(input.agentFiles ?? [], "repo");
    const fileWarnings = repo.errors.map((e) => e.message);
    const warnings = [...fileWarnings];
    const agents =
      repo.agents.length + repo.teams.length > 0 ? this.deps.agents.withRepository(repo) : this.deps.agents;
    checkMode(input);
    // The mutation gate needs the agent's read-only flag; an unknown agent is reported by gate 9 below.
    const known = agents.get(agentName) ? agents.resolve(agentName) : undefined;
    if (known) checkMutation(input, known);
    if (await this.deps.isDraining()) {
      throw new PanCodeError("DRAINING", "Dispatch blocked: the coordinator is draining and admits no new runs", {
        retryable: true,
      });
    }
    // Gate 4: nesting comes from the parent row only. A sub-run that names no workspace works on its parent's.
    const parent = input.parentRunId ? await this.deps.db.getRun(input.parentRunId) : undefined;
    const nesting: Nesting = checkRecursion(parent, input.parentRunId, this.deps.maxDepth ?? DEFAULT_MAX_DEPTH);
    if (parent) input = { ...input, workspace: inheritedWorkspace(input, parent) };
    // The quota is counted in the insert's transaction, under a lock on the tree's root.
    const subRuns = parent ? await this.subRunQuota(parent) : undefined;
    checkTask(input);
    checkWorkspaceShape(input);
    if (input.maxCostUsd !== undefined && (!Number.isFinite(input.maxCostUsd) || input.maxCostUsd < 0)) {
      throw new PanCodeError("INVALID_ARGUMENT", `max cost must be a positive amount in USD, got ${input.maxCostUsd}`);
    }
    // Gate 6: only a task that names paths costs a look at the workspace's files.
    const trees = this.deps.trees;
    // Warnings of the safety gates are safety decisions: each gets its own audit entry with the admission.
    const safetyWarnings: { action: string; message: string }[] = [];
    for (const message of await checkPaths(input.task, async () => {
      if (!trees) return { files: new Map(), isDirectory: () => true, readLink: async () => "" };
      return trees.load({ ...input.workspace, bundleDigest: await this.checkWorkspaceBlobs(input) });
    })) {
      safetyWarnings.push({ action: "path_warning", message });
    }
    // Gate 7: scope (needs the agent; an unknown one is gate 9's to report), then loop detection.
    const safety = sessionSafety(input.safety ?? "", parent?.spec.safety);
    if (known) checkScope(known, safety);
    const loopWarning = await checkLoop(
      this.deps.db,
      known?.name ?? agentName,
      input.task,
      this.deps.loop ?? DEFAULT_LOOP_THRESHOLDS,
    );
    if (loopWarning) safetyWarnings.push({ action: "loop_warning", message: loopWarning });
    warnings.push(...safetyWarnings.map((w) => w.message));
    // Gate 8 needs only the agent's name (and the model, when known) to estimate.
    const estimateUsd = await this.deps.budget.estimate(agentName, input.model, agents);
    await this.deps.budget.check(estimateUsd, parent ? parent.team : (input.team ?? null));
    const agent = withTimeout(resolveAgent(agents, agentName, fileWarnings), input.timeoutMs);
    if (this.deps.caps) checkCaps(agent, this.deps.caps);
    const model = this.resolveModelFor(agent, input.model);
    await this.checkRouting(agent, model);
    const bundleDigest = await this.checkWorkspaceBlobs(input);

    // The authoritative budget check: reserve and insert in one transaction, so concurrent dispatches cannot pass
    // the ceiling between the early check above and here.
    const reserved = await this.deps.db.insertRunWithReservation(
      {
        id: randomUUID(),
        agent: agent.name,
        model: model?.ref ?? (input.model || agent.model),
        task: input.task,
        isolate: input.isolate,
        pool: DEFAULT_POOL,
        repoId: input.workspace.repoId,
        baseCommit: input.workspace.baseCommit,
        bundleDigest,
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
          safety,
          basePatches: input.orchestration?.basePatches ?? [],
        },
        traceparent,
        parentRunId: nesting.parentRunId,
        depth: nesting.depth,
        taskHash: taskHashOf(input.task),
        batchId: input.orchestration?.batchId ?? null,
        chainId: input.orchestration?.chainId ?? null,
        step: input.orchestration?.step ?? 0,
      },
      estimateUsd,
      // Recorded in the run's insert transaction: no run exists without its admission on record.
      (run) => [
        admittedEntry(run, estimateUsd, warnings),
        ...safetyWarnings.map((w) => safetyWarningEntry(run, w.action, w.message)),
      ],
      subRuns,
    );
    if (!reserved.ok && "subRunsStarted" in reserved && subRuns) {
      throw subRunQuotaRefusal(subRuns.rootRunId, reserved.subRunsStarted, subRuns.max);
    }
    if (!reserved.ok && "budget" in reserved) throw refusal(reserved.budget, estimateUsd);
    if (!reserved.ok && "team" in reserved) throw teamRefusal(reserved.team, estimateUsd);
    if (!reserved.ok) throw new PanCodeError("INTERNAL", "the run was not inserted");
    const run = reserved.run;
    const queued = await this.publishNow(run);
    if (queued) warnings.push(queued);
    this.deps.logger.info("run admitted", {
      runId: run.id,
      agent: agent.name,
      pool: run.pool,
      estimateUsd,
      safety,
      ...(nesting.parentRunId ? { parentRunId: nesting.parentRunId, depth: nesting.depth } : {}),
    });
    this.deps.notifier.notify(run.id);
    return { run, warnings };
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

  /** The quota of the tree a sub-run of `parent` joins. */
  private async subRunQuota(parent: RunRow): Promise<SubRunQuota> {
    const root = await rootRunOf(this.deps.db, parent);
    return { rootRunId: root.id, max: this.deps.maxSubRuns ?? DEFAULT_MAX_SUBRUNS };
  }

  /**
   * The model of a run whose runtime needs one: the dispatch's `--model`, else the agent's, else the cluster
   * default, resolved against the cluster's models (unknown names list the known ones). Null for plain commands.
   */
  private resolveModelFor(agent: ResolvedAgent, requested: string): ModelTarget | null {
    if (!getRuntime(agent.runtime).needsModel) return null;
    return this.deps.models.resolve(requested || agent.model);
  }

  /**
   * Gate 10: a live worker must serve the pool, the agent's runtime and, for model runs, hold a key for the model's
   * provider, or the run would wait forever. The refusal names what is missing.
   */
  private async checkRouting(agent: ResolvedAgent, model: ModelTarget | null): Promise<void> {
    const live = await this.deps.workers.liveWorkers(DEFAULT_POOL, agent.runtime);
    if (live.length === 0) {
      throw new PanCodeError(
        "NO_WORKER",
        `Dispatch blocked: no live worker in pool "${DEFAULT_POOL}" serves runtime "${agent.runtime}" (start one with \`pancode worker\`)`,
      );
    }
    if (model && !live.some((w) => this.deps.workers.servesModel(w.id, model.provider, model.id))) {
      const keyHint = model.apiKeyEnv
        ? `set ${model.apiKeyEnv} on a worker`
        : this.deps.models.discovering
          ? "the workers that offered it are gone; see `pancode models`"
          : "check the workers' PANCODE_CONFIG";
      throw new PanCodeError(
        "NO_WORKER",
        `Dispatch blocked: no live worker holds an API key for provider "${model.provider}" (${keyHint})`,
      );
    }
  }

  /** The workspace's blobs must be on the coordinator; returns the bundle that holds the base commit. */
  private async checkWorkspaceBlobs(input: DispatchInput): Promise<string> {
    const w = input.workspace;
    const state = w.stateDigest || EMPTY_DIGEST;
    if (!(await this.deps.blobs.has(state))) {
      throw new PanCodeError(
        "INVALID_ARGUMENT",
        `uncommitted state ${state} was not uploaded; upload it before dispatching`,
      );
    }
    if (w.bundleDigest) {
      if (!(await this.deps.blobs.has(w.bundleDigest))) {
        throw new PanCodeError(
          "INVALID_ARGUMENT",
          `bundle ${w.bundleDigest} was not uploaded; upload it before dispatching`,
        );
      }
      await this.deps.db.recordCommit(w.repoId, w.baseCommit, w.bundleDigest);
      return w.bundleDigest;
    }
    const known = await this.deps.db.findCommit(w.repoId, w.baseCommit);
    if (!known) {
      throw new PanCodeError(
        "INVALID_ARGUMENT",
        `the coordinator does not have commit ${w.baseCommit} of repository ${w.repoId}; send a bundle with it`,
      );
    }
    return known.bundleDigest;
  }
}
