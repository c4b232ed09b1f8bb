import { type AgentRegistry, loadDefinitionFiles } from "@pancode/agents";
import { PanCodeError } from "@pancode/core";
import {
  AUDIT_CATEGORIES,
  type AuditCategory,
  type AuditRow,
  type Database,
  type RunRow,
  type SigningKeyRow,
} from "@pancode/db";
import {
  type AuditEntry,
  type BlobRef,
  type BudgetInfo,
  type ClientServiceServer,
  type DispatchRequest,
  type DispatchResponse,
  downloadChunks,
  type RunInfo,
  type SigningKeyInfo,
  type UploadBlobRequest,
  type WatchRunResponse,
} from "@pancode/proto";
import { currentTraceparent, type Logger, withSpan } from "@pancode/telemetry";
import type { BlobStore } from "../blob-store.js";
import type { Orchestrator } from "../orchestration/orchestrator.js";
import type { AuditLog } from "../services/audit-log.js";
import type { BudgetService } from "../services/budget-service.js";
import { type ConfiguredProvider, clusterOverview } from "../services/cluster-overview.js";
import { buildCostReport, buildMetricsReport } from "../services/cost-report.js";
import type { DispatchService } from "../services/dispatch-service.js";
import type { KeyRegistry } from "../services/key-registry.js";
import type { ModelDirectory } from "../services/model-directory.js";
import type { RunQueries } from "../services/run-queries.js";
import { toRunInfo } from "../services/run-view.js";
import type { WorkerDirectory } from "../services/worker-directory.js";
import type { WorkerIdentities } from "../services/worker-identities.js";
import { openUpload, UPLOAD_LIMIT_SETTING } from "./blob-upload.js";
import {
  actorOf,
  type Caller,
  clientStream,
  type HandlerContext,
  type RunTokenAuth,
  serverStream,
  type UserAuth,
  unary,
} from "./handlers.js";
import { createIdentityHandlers, type IdentityDeps } from "./identity-handlers.js";
import { createOrchestrationHandlers } from "./orchestration-handlers.js";
import type { Implementation } from "./status.js";

/** Dependencies of the client-facing service. */
export interface ClientServiceDeps {
  /** Each person's token: who calls, with which role and team. */
  users: UserAuth;
  /** Token and team management (CreateToken, ListTokens, RevokeToken, SetTeam, ListTeams, WhoAmI). */
  identity: Omit<IdentityDeps, "db">;
  logger: Logger;
  db: Database;
  blobs: BlobStore;
  dispatch: DispatchService;
  budget: BudgetService;
  runs: RunQueries;
  agents: AgentRegistry;
  workers: WorkerDirectory;
  models: ModelDirectory;
  keys: KeyRegistry;
  /** Worker identities (ReadmitWorker). */
  identities: WorkerIdentities;
  maxWorkspaceBytes: number;
  /** Batches, chains and stop. */
  orchestrator: Orchestrator;
  info: () => { version: string; draining: boolean; bus: string; database: string };
  /** The providers of the cluster config with their model ids (ClusterInfo lists them with who serves them). */
  configuredProviders?: () => ConfiguredProvider[];
  /** The audit trail (ListAudit, VerifyAudit). */
  audit: AuditLog;
  /** Stops admissions (audited once); running runs finish. */
  drain: (actor: string) => Promise<{ draining: boolean; alreadyDraining: boolean; activeRuns: number }>;
  /** Ends the cluster-wide drain (audited once). */
  undrain: (actor: string) => Promise<{ draining: boolean; alreadyDraining: boolean; activeRuns: number }>;
  /** Run tokens (nested dispatch); without it only the client token is accepted. */
  runTokens?: Omit<RunTokenAuth, "methods">;
}

/** An audit row as it goes on the wire. */
function toAuditEntry(row: AuditRow): AuditEntry {
  return {
    seq: row.seq,
    at: row.at.toISOString(),
    category: row.category,
    action: row.action,
    runId: row.runId ?? "",
    actor: row.actor,
    gate: row.gate,
    message: row.message,
    dataJson: JSON.stringify(row.data),
    prevHash: row.prevHash,
    hash: row.hash,
  };
}

/** INVALID_ARGUMENT unless `category` is "" or a known audit category. */
function auditCategory(category: string): AuditCategory | undefined {
  if (category === "") return undefined;
  if (!(AUDIT_CATEGORIES as readonly string[]).includes(category)) {
    throw new PanCodeError(
      "INVALID_ARGUMENT",
      `unknown audit category "${category}"; use one of: ${AUDIT_CATEGORIES.join(", ")}`,
    );
  }
  return category as AuditCategory;
}

/** What a run's token may do: dispatch sub-runs and follow them. Nothing else, and never as a client. */
const RUN_TOKEN_METHODS: ReadonlySet<string> = new Set(["Dispatch", "GetRun", "WatchRun"]);

/** A run-token caller may read only the runs it dispatched; anyone else is told nothing about other runs. */
function requireVisible(caller: Caller, run: RunRow): void {
  if (caller.kind === "run" && run.parentRunId !== caller.runId) {
    throw new PanCodeError(
      "NOT_FOUND",
      `run ${run.id} was not dispatched by run ${caller.runId}; a run token reads only its own sub-runs`,
    );
  }
}

/** Kinds of blob a client may upload: the parts of a workspace. */
const CLIENT_BLOB_KINDS = new Set(["bundle", "state"]);

/** A signing key as the wire shows it. */
function keyInfo(k: SigningKeyRow): SigningKeyInfo {
  return { ...k, createdAt: k.createdAt.toISOString() };
}

/** Runs `pancode cost` lists when asked for no limit; `pancode metrics` reads up to {@link METRICS_RUNS}. */
const DEFAULT_COST_RUNS = 1000;
/** Newest runs `pancode metrics` aggregates: enough for any history this cluster keeps in one database. */
const METRICS_RUNS = 100_000;

/** Client views of runs with their live progress (one query for all of them). */
async function runInfos(db: Database, rows: readonly RunRow[]): Promise<RunInfo[]> {
  const progress = await db.getRunUsage(rows.map((r) => r.id));
  return rows.map((r) => toRunInfo(r, progress.get(r.id)));
}

async function runInfo(db: Database, row: RunRow): Promise<RunInfo> {
  return (await runInfos(db, [row]))[0] as RunInfo;
}

/** Builds the ClientService implementation. */
export function createClientService(deps: ClientServiceDeps): Implementation {
  const hc: HandlerContext = {
    token: "",
    users: deps.users,
    who: "client",
    logger: deps.logger,
    ...(deps.runTokens ? { runTokens: { ...deps.runTokens, methods: RUN_TOKEN_METHODS } } : {}),
  };
  const service: ClientServiceServer = {
    uploadBlob: clientStream(hc, "UploadBlob", async (messages: AsyncIterable<UploadBlobRequest>): Promise<BlobRef> => {
      const { header, data } = await openUpload(messages, CLIENT_BLOB_KINDS);
      const { digest, size } = header;
      await deps.blobs.write(
        { digest, size, maxBytes: deps.maxWorkspaceBytes, limitSetting: UPLOAD_LIMIT_SETTING },
        data,
      );
      await deps.db.putBlob(digest, size, header.kind);
      return { digest, size };
    }),
    hasCommit: unary(hc, "HasCommit", async (req) => {
      const known = await deps.db.findCommit(req.repoId, req.commit);
      return { present: known !== undefined && (await deps.blobs.has(known.bundleDigest)) };
    }),
    dispatch: unary(hc, "Dispatch", async (req: DispatchRequest, trace, caller): Promise<DispatchResponse> => {
      const result = await withSpan(
        "pancode.admission",
        { "pancode.agent": req.agent },
        async () =>
          deps.dispatch.dispatch(
            {
              task: req.task,
              agent: req.agent,
              isolate: req.isolate,
              mode: req.mode,
              model: req.model,
              // Who dispatched is the authenticated caller, never what the request claims.
              submitter: actorOf(caller),
              ...(caller.kind === "user" ? { userName: caller.name, team: caller.team } : {}),
              agentFiles: req.agentFiles,
              maxCostUsd: req.maxCostUsd,
              safety: req.safety,
              // Only the server-verified run token makes a dispatch a sub-run; nothing in the request can.
              ...(caller.kind === "run" ? { parentRunId: caller.runId } : {}),
              timeoutMs: req.timeoutMs,
              workspace: req.workspace ?? {
                repoId: "",
                baseCommit: "",
                bundleDigest: "",
                stateDigest: "",
                stateTree: "",
              },
            },
            currentTraceparent(),
          ),
        trace,
      );
      return { run: toRunInfo(result.run), warnings: result.warnings };
    }),
    getRun: unary(hc, "GetRun", async (req, _trace, caller) => {
      const run = await deps.runs.resolve(req.runId);
      requireVisible(caller, run);
      return runInfo(deps.db, run);
    }),
    listRuns: unary(hc, "ListRuns", async (req, _trace, caller) => {
      const userName = req.mine ? actorOf(caller) : req.user || undefined;
      return {
        runs: await runInfos(deps.db, await deps.runs.list(req.limit, { userName, team: req.team || undefined })),
      };
    }),
    watchRun: serverStream(hc, "WatchRun", async function* (req, signal, caller): AsyncGenerator<WatchRunResponse> {
      if (caller.kind === "run") requireVisible(caller, await deps.runs.resolve(req.runId));
      for await (const item of deps.runs.watch(req.runId, req.afterSeq, req.follow, signal)) {
        if ("run" in item) yield { run: await runInfo(deps.db, item.run), event: undefined };
        else {
          const e = item.event;
          yield {
            run: undefined,
            event: {
              runId: e.runId,
              seq: e.seq,
              attempt: e.attempt,
              at: e.at.toISOString(),
              kind: e.kind,
              text: e.text,
            },
          };
        }
      }
    }),
    fetchPatch: serverStream(hc, "FetchPatch", async function* (req) {
      const patch = await deps.runs.patch(req.runId);
      yield* downloadChunks(patch, patch.chunks());
    }),
    getReceipt: unary(hc, "GetReceipt", async (req) => {
      const receipt = await deps.db.getReceipt(req.id);
      if (!receipt) {
        // Batch and chain receipts (by receipt id or batch/chain id) have no run.
        const group = await deps.db.getGroupReceipt(req.id);
        if (group) return { ...group, runId: "", createdAt: group.createdAt.toISOString() };
        throw new PanCodeError("NOT_FOUND", `no receipt with id or run id "${req.id}"`);
      }
      return { ...receipt, createdAt: receipt.createdAt.toISOString() };
    }),
    listReceipts: unary(hc, "ListReceipts", async (req) => {
      const limit = req.limit > 0 ? Math.min(req.limit, 1000) : 20;
      const rows = await deps.db.listReceipts(limit);
      return { receipts: rows.map((r) => ({ ...r, createdAt: r.createdAt.toISOString() })) };
    }),
    getKeys: unary(hc, "GetKeys", async () => ({
      keys: (await deps.keys.list()).map(keyInfo),
    })),
    revokeKey: unary(hc, "RevokeKey", async (req, _trace, caller) =>
      keyInfo(await deps.keys.revoke(req.keyId, actorOf(caller))),
    ),
    readmitWorker: unary(hc, "ReadmitWorker", async (req, _trace, caller) => {
      const previous = await deps.identities.readmit(req.workerId, actorOf(caller));
      return { workerId: req.workerId, revokedKeyId: previous?.keyId ?? "" };
    }),
    listAgents: unary(hc, "ListAgents", async (req) => {
      const repo = loadDefinitionFiles(req.agentFiles, "repo");
      return {
        agents: deps.agents
          .withRepository(repo)
          .list()
          .map((a) => ({
            name: a.name,
            description: a.description,
            runtime: a.runtime,
            model: a.model,
            readonly: a.readonly,
            source: a.source,
            tools: a.tools,
            maxTurns: a.maxTurns,
            timeoutMs: a.timeoutMs,
            network: a.network,
            prompt: a.prompt,
          })),
        warnings: repo.errors.map((e) => e.message),
      };
    }),
    clusterInfo: unary(hc, "ClusterInfo", async () => {
      const [workers, active, budget] = await Promise.all([
        deps.workers.overview(),
        deps.db.listActiveRuns(),
        deps.budget.status(),
      ]);
      return clusterOverview({
        info: deps.info(),
        workers,
        configuredProviders: deps.configuredProviders?.() ?? [],
        activeRunStatuses: active.map((r) => r.status),
        budget,
      });
    }),
    listModels: unary(hc, "ListModels", async () =>
      deps.models.list(await deps.workers.live(), (id, provider) => deps.workers.servesProvider(id, provider)),
    ),
    // BudgetStatus has exactly the wire shape of BudgetInfo: it goes out as is.
    getBudget: unary(
      hc,
      "GetBudget",
      async (req): Promise<BudgetInfo> => (req.team ? deps.budget.teamStatus(req.team) : deps.budget.status()),
    ),
    setBudget: unary(hc, "SetBudget", async (req, _trace, caller) => {
      const status = req.team
        ? await deps.budget.setTeamCeiling(req.team, req.ceilingUsd, actorOf(caller))
        : await deps.budget.setCeiling(req.ceilingUsd, actorOf(caller));
      deps.logger.info("budget ceiling set", { ceilingUsd: status.ceilingUsd, team: req.team, actor: actorOf(caller) });
      return status;
    }),
    listAudit: unary(hc, "ListAudit", async (req) => {
      const category = auditCategory(req.category);
      // A run id may be a prefix, as everywhere else in the CLI.
      const runId = req.runId ? (await deps.runs.resolve(req.runId)).id : undefined;
      const limit = req.limit > 0 ? Math.min(req.limit, 1000) : 50;
      return { entries: (await deps.audit.list({ category, runId, limit })).map(toAuditEntry) };
    }),
    verifyAudit: unary(hc, "VerifyAudit", async () => {
      const v = await deps.audit.verify();
      return v.ok
        ? { ok: true, entries: v.entries, brokenSeq: 0, reason: "", message: "", headHash: v.headHash }
        : { ok: false, entries: v.entries, brokenSeq: v.seq, reason: v.reason, message: v.message, headHash: "" };
    }),
    drain: unary(hc, "Drain", async (_req, _trace, caller) => deps.drain(actorOf(caller))),
    undrain: unary(hc, "Undrain", async (_req, _trace, caller) => deps.undrain(actorOf(caller))),
    ...createOrchestrationHandlers(hc, { db: deps.db, orchestrator: deps.orchestrator }),
    ...createIdentityHandlers(hc, { ...deps.identity, db: deps.db }),
    getCost: unary(hc, "GetCost", async (req) => {
      const limit = req.limit > 0 ? Math.min(req.limit, METRICS_RUNS) : DEFAULT_COST_RUNS;
      return buildCostReport(await deps.db.listRunCosts(limit));
    }),
    getMetrics: unary(hc, "GetMetrics", async () => buildMetricsReport(await deps.db.listRunCosts(METRICS_RUNS))),
  };
  return service as unknown as Implementation;
}
