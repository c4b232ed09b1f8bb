import { PanCodeError } from "@pancode/core";
import type { ClientServiceServer, WorkspaceRefMessage } from "@pancode/proto";
import { currentTraceparent } from "@pancode/telemetry";
import type { OrchestrationQueries, OrchestrationRequest } from "../orchestration/orchestration-queries.js";
import type { Orchestrator } from "../orchestration/orchestrator.js";
import { actorOf, type Caller, type HandlerContext, unary } from "./handlers.js";
import { toBatchInfo, toChainInfo } from "./orchestration-view.js";

/** The ClientService methods of batches, chains and stop. */
export type OrchestrationHandlers = Pick<
  ClientServiceServer,
  "createBatch" | "getBatch" | "listBatches" | "createChain" | "getChain" | "listChains" | "stopRun"
>;

const EMPTY_WORKSPACE = { repoId: "", baseCommit: "", bundleDigest: "", stateDigest: "", stateTree: "" };

/** The stored request of a batch or chain, from the wire fields every creating call carries and the caller. */
function requestOf(
  caller: Caller,
  req: {
    isolate: boolean;
    workspace: WorkspaceRefMessage | undefined;
    mode: string;
    model: string;
    submitter: string;
    agentFiles: { path: string; content: string }[];
    maxCostUsd: number;
    safety: string;
  },
): OrchestrationRequest {
  return {
    isolate: req.isolate,
    mode: req.mode,
    model: req.model,
    // Who asked is the authenticated caller, never what the request claims.
    submitter: actorOf(caller),
    userName: caller.kind === "user" ? caller.name : null,
    team: caller.kind === "user" ? caller.team : null,
    workspace: req.workspace ?? EMPTY_WORKSPACE,
    agentFiles: req.agentFiles.map((f) => ({ path: f.path, content: f.content })),
    maxCostUsd: req.maxCostUsd,
    safety: req.safety,
    traceparent: currentTraceparent(),
  };
}

/** Who owns a run, batch or chain. */
interface Owned {
  userName: string | null;
  team: string | null;
}

/**
 * PERMISSION_DENIED unless `caller` may stop what `owner` submitted: an admin anything, a member its own and its
 * team's.
 */
function requireMayStop(caller: Caller, what: string, owner: Owned): void {
  if (caller.kind !== "user" || caller.role === "admin") return;
  if (owner.userName === caller.name) return;
  if (caller.team && owner.team === caller.team) return;
  throw new PanCodeError(
    "PERMISSION_DENIED",
    `stop ${what} needs role admin (it is ${owner.userName ?? "nobody"}'s${owner.team ? `, team ${owner.team}` : ""}); you are ${caller.name} (${caller.role}${caller.team ? `, team ${caller.team}` : ""})`,
  );
}

function limitOf(limit: number): number {
  return limit > 0 ? Math.min(limit, 1000) : 20;
}

/** What the orchestration handlers need: the orchestrator to act, its read side to answer. */
export interface OrchestrationHandlerDeps {
  orchestrator: Orchestrator;
  queries: OrchestrationQueries;
}

/** Builds the orchestration handlers over the coordinator's orchestrator. */
export function createOrchestrationHandlers(hc: HandlerContext, deps: OrchestrationHandlerDeps): OrchestrationHandlers {
  const { orchestrator, queries } = deps;
  const batchView = async (id: string) => {
    const { batch, runs } = await queries.batchWithRuns(id);
    return toBatchInfo(batch, runs, true);
  };
  const chainView = async (id: string) => {
    const { chain, runs } = await queries.chainWithRuns(id);
    return toChainInfo(chain, runs, true);
  };
  return {
    createBatch: unary(hc, "CreateBatch", async (req, _trace, caller) => {
      const batch = await orchestrator.batches.create({
        items: req.items.map((i) => ({ task: i.task, agent: i.agent })),
        team: req.team,
        concurrency: req.concurrency,
        staggerMs: req.staggerMs,
        request: requestOf(caller, req),
      });
      return batchView(batch.id);
    }),
    getBatch: unary(hc, "GetBatch", async (req) => batchView(req.id)),
    listBatches: unary(hc, "ListBatches", async (req) => ({
      batches: (await queries.listBatches(limitOf(req.limit))).map((b) => toBatchInfo(b.batch, b.runs, false)),
    })),
    createChain: unary(hc, "CreateChain", async (req, _trace, caller) => {
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
        request: requestOf(caller, req),
      });
      return chainView(chain.id);
    }),
    getChain: unary(hc, "GetChain", async (req) => chainView(req.id)),
    listChains: unary(hc, "ListChains", async (req) => ({
      chains: (await queries.listChains(limitOf(req.limit))).map((c) => toChainInfo(c.chain, c.runs, false)),
    })),
    stopRun: unary(hc, "StopRun", async (req, _trace, caller) => {
      const submitter = actorOf(caller);
      if (req.batchId) {
        const batch = await queries.batch(req.batchId);
        requireMayStop(caller, `batch ${batch.id}`, batch);
      } else if (req.chainId) {
        const chain = await queries.chain(req.chainId);
        requireMayStop(caller, `chain ${chain.id}`, chain);
      } else if (req.runId) {
        const matches = await queries.runsByPrefix(req.runId);
        if (matches.length === 1 && matches[0]) requireMayStop(caller, `run ${matches[0].id}`, matches[0]);
      }
      return orchestrator.stops.stop({ ...req, submitter });
    }),
  };
}
