import { PanCodeError } from "@pancode/core";
import type { Database, OrchestrationRequest } from "@pancode/db";
import type { ClientServiceServer, WorkspaceRefMessage } from "@pancode/proto";
import { currentTraceparent } from "@pancode/telemetry";
import { resolveByPrefix } from "../orchestration/orchestration-deps.js";
import { toBatchInfo, toChainInfo } from "../orchestration/orchestration-view.js";
import type { Orchestrator } from "../orchestration/orchestrator.js";
import { type HandlerContext, unary } from "./handlers.js";

/** The ClientService methods of batches, chains and stop. */
export type OrchestrationHandlers = Pick<
  ClientServiceServer,
  "createBatch" | "getBatch" | "listBatches" | "createChain" | "getChain" | "listChains" | "stopRun"
>;

const EMPTY_WORKSPACE = { repoId: "", baseCommit: "", bundleDigest: "", stateDigest: "", stateTree: "" };

/** The stored request of a batch or chain, from the wire fields every creating call carries. */
function requestOf(req: {
  isolate: boolean;
  workspace: WorkspaceRefMessage | undefined;
  mode: string;
  model: string;
  submitter: string;
  agentFiles: { path: string; content: string }[];
  maxCostUsd: number;
  safety: string;
}): OrchestrationRequest {
  return {
    isolate: req.isolate,
    mode: req.mode,
    model: req.model,
    submitter: req.submitter,
    workspace: req.workspace ?? EMPTY_WORKSPACE,
    agentFiles: req.agentFiles.map((f) => ({ path: f.path, content: f.content })),
    maxCostUsd: req.maxCostUsd,
    safety: req.safety,
    traceparent: currentTraceparent(),
  };
}

function limitOf(limit: number): number {
  return limit > 0 ? Math.min(limit, 1000) : 20;
}

/** Builds the orchestration handlers over the coordinator's orchestrator. */
export function createOrchestrationHandlers(
  hc: HandlerContext,
  deps: { db: Database; orchestrator: Orchestrator },
): OrchestrationHandlers {
  const { db, orchestrator } = deps;
  const batchView = async (id: string, withRuns = true) => {
    const batch = await resolveByPrefix("batch", id, db.getBatch, (p) => db.findBatchesByPrefix(p));
    return toBatchInfo(batch, await db.listRunsOf({ batchId: batch.id }), withRuns);
  };
  const chainView = async (id: string, withRuns = true) => {
    const chain = await resolveByPrefix("chain", id, db.getChain, (p) => db.findChainsByPrefix(p));
    return toChainInfo(chain, await db.listRunsOf({ chainId: chain.id }), withRuns);
  };
  return {
    createBatch: unary(hc, "CreateBatch", async (req) => {
      const batch = await orchestrator.batches.create({
        items: req.items.map((i) => ({ task: i.task, agent: i.agent })),
        team: req.team,
        concurrency: req.concurrency,
        staggerMs: req.staggerMs,
        request: requestOf(req),
      });
      return batchView(batch.id);
    }),
    getBatch: unary(hc, "GetBatch", async (req) => batchView(req.id)),
    listBatches: unary(hc, "ListBatches", async (req) => ({
      batches: await Promise.all(
        (await db.listBatches(limitOf(req.limit))).map(async (b) =>
          toBatchInfo(b, await db.listRunsOf({ batchId: b.id }), false),
        ),
      ),
    })),
    createChain: unary(hc, "CreateChain", async (req) => {
      const refine = req.refine?.builder || req.refine?.reviewer ? req.refine : undefined;
      if (refine && (!refine.builder || !refine.reviewer)) {
        throw new PanCodeError("INVALID_ARGUMENT", "refine needs both a builder and a reviewer agent");
      }
      const chain = await orchestrator.chains.create({
        steps: req.steps.map((s) => ({ agent: s.agent, task: s.task })),
        originalTask: req.originalTask,
        refine: refine
          ? {
              builder: refine.builder,
              reviewer: refine.reviewer,
              maxRounds: refine.maxRounds,
              reviewTask: refine.reviewTask,
            }
          : null,
        request: requestOf(req),
      });
      return chainView(chain.id);
    }),
    getChain: unary(hc, "GetChain", async (req) => chainView(req.id)),
    listChains: unary(hc, "ListChains", async (req) => ({
      chains: await Promise.all(
        (await db.listChains(limitOf(req.limit))).map(async (c) =>
          toChainInfo(c, await db.listRunsOf({ chainId: c.id }), false),
        ),
      ),
    })),
    stopRun: unary(hc, "StopRun", async (req) => orchestrator.stops.stop(req)),
  };
}
