import { type AgentRegistry, loadDefinitionFiles } from "@pancode/agents";
import { EMPTY_DIGEST, isDigest, PanCodeError } from "@pancode/core";
import type { Database, RunRow } from "@pancode/db";
import {
  BlobAssembler,
  type BlobRef,
  type BudgetInfo,
  type ClientServiceServer,
  type DispatchRequest,
  type DispatchResponse,
  downloadChunks,
  type RunInfo,
  type UploadBlobRequest,
  type WatchRunResponse,
} from "@pancode/proto";
import { currentTraceparent, type Logger, withSpan } from "@pancode/telemetry";
import type { BlobStore } from "../blob-store.js";
import type { BudgetService } from "../services/budget-service.js";
import { buildCostReport, buildMetricsReport } from "../services/cost-report.js";
import type { DispatchService } from "../services/dispatch-service.js";
import type { RunQueries } from "../services/run-queries.js";
import { toRunInfo } from "../services/run-view.js";
import type { WorkerDirectory } from "../services/worker-directory.js";
import { clientStream, type HandlerContext, serverStream, unary } from "./handlers.js";
import type { Implementation } from "./status.js";

/** Dependencies of the client-facing service. */
export interface ClientServiceDeps {
  token: string;
  logger: Logger;
  db: Database;
  blobs: BlobStore;
  dispatch: DispatchService;
  budget: BudgetService;
  runs: RunQueries;
  agents: AgentRegistry;
  workers: WorkerDirectory;
  maxWorkspaceBytes: number;
  info: () => { version: string; draining: boolean; bus: string; database: string };
}

/** Kinds of blob a client may upload: the parts of a workspace. */
const CLIENT_BLOB_KINDS = new Set(["bundle", "state"]);

/** Receives one uploaded blob: header first, then chunks; stored only when its digest and size check out. */
export async function receiveBlob(
  messages: AsyncIterable<{ header: UploadBlobRequest["header"]; data: Uint8Array }>,
  options: { maxBytes: number; kinds: Set<string> },
): Promise<{ digest: string; kind: string; data: Buffer }> {
  let assembler: BlobAssembler | undefined;
  let header: NonNullable<UploadBlobRequest["header"]> | undefined;
  for await (const message of messages) {
    if (!header) {
      header = message.header;
      if (!header || !isDigest(header.digest) || header.size < 0 || !options.kinds.has(header.kind)) {
        throw new PanCodeError(
          "INVALID_ARGUMENT",
          `an upload must start with a header naming a sha256 digest, a size and a kind (${[...options.kinds].join(", ")})`,
        );
      }
      assembler = new BlobAssembler({
        expectedDigest: header.digest,
        expectedSize: header.size,
        maxBytes: options.maxBytes,
      });
    }
    if (message.data.length > 0) assembler?.push(message.data);
  }
  if (!header || !assembler) throw new PanCodeError("INVALID_ARGUMENT", "upload stream was empty");
  return { digest: header.digest, kind: header.kind, data: assembler.finish() };
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
  const hc: HandlerContext = { token: deps.token, who: "client", logger: deps.logger };
  const service: ClientServiceServer = {
    uploadBlob: clientStream(hc, "UploadBlob", async (messages: AsyncIterable<UploadBlobRequest>): Promise<BlobRef> => {
      const blob = await receiveBlob(messages, { maxBytes: deps.maxWorkspaceBytes, kinds: CLIENT_BLOB_KINDS });
      await deps.blobs.put(blob.digest, blob.data);
      await deps.db.putBlob(blob.digest, blob.data.length, blob.kind);
      return { digest: blob.digest, size: blob.data.length };
    }),
    hasCommit: unary(hc, "HasCommit", async (req) => {
      const known = await deps.db.findCommit(req.repoId, req.commit);
      return { present: known !== undefined && (await deps.blobs.has(known.bundleDigest)) };
    }),
    dispatch: unary(hc, "Dispatch", async (req: DispatchRequest, trace): Promise<DispatchResponse> => {
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
              submitter: req.submitter,
              agentFiles: req.agentFiles,
              maxCostUsd: req.maxCostUsd,
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
    getRun: unary(hc, "GetRun", async (req) => runInfo(deps.db, await deps.runs.resolve(req.runId))),
    listRuns: unary(hc, "ListRuns", async (req) => ({
      runs: await runInfos(deps.db, await deps.runs.list(req.limit)),
    })),
    watchRun: serverStream(hc, "WatchRun", async function* (req, signal): AsyncGenerator<WatchRunResponse> {
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
      const { run, data } = await deps.runs.patch(req.runId);
      yield* downloadChunks(data, run.patchDigest || EMPTY_DIGEST);
    }),
    getReceipt: unary(hc, "GetReceipt", async (req) => {
      const receipt = await deps.db.getReceipt(req.id);
      if (!receipt) throw new PanCodeError("NOT_FOUND", `no receipt with id or run id "${req.id}"`);
      return { ...receipt, createdAt: receipt.createdAt.toISOString() };
    }),
    listReceipts: unary(hc, "ListReceipts", async (req) => {
      const limit = req.limit > 0 ? Math.min(req.limit, 1000) : 20;
      const rows = await deps.db.listReceipts(limit);
      return { receipts: rows.map((r) => ({ ...r, createdAt: r.createdAt.toISOString() })) };
    }),
    getKeys: unary(hc, "GetKeys", async () => ({
      keys: (await deps.db.listKeys()).map((k) => ({ ...k, createdAt: k.createdAt.toISOString() })),
    })),
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
    clusterInfo: unary(hc, "ClusterInfo", async () => ({
      ...deps.info(),
      workers: (await deps.workers.list()).map((w) => ({
        id: w.id,
        pool: w.pool,
        sandbox: w.sandbox,
        capacity: w.capacity,
        active: w.active,
        status: w.status,
        lastHeartbeatAt: w.lastHeartbeatAt.toISOString(),
      })),
    })),
    // BudgetStatus has exactly the wire shape of BudgetInfo: it goes out as is.
    getBudget: unary(hc, "GetBudget", async (): Promise<BudgetInfo> => deps.budget.status()),
    setBudget: unary(hc, "SetBudget", async (req) => {
      const status = await deps.budget.setCeiling(req.ceilingUsd);
      deps.logger.info("budget ceiling set", { ceilingUsd: status.ceilingUsd });
      return status;
    }),
    getCost: unary(hc, "GetCost", async (req) => {
      const limit = req.limit > 0 ? Math.min(req.limit, METRICS_RUNS) : DEFAULT_COST_RUNS;
      return buildCostReport(await deps.db.listRunCosts(limit));
    }),
    getMetrics: unary(hc, "GetMetrics", async () => buildMetricsReport(await deps.db.listRunCosts(METRICS_RUNS))),
  };
  return service as unknown as Implementation;
}
