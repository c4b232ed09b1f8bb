import { type AgentRegistry, loadDefinitionFiles } from "@pancode/agents";
import type { ClientServiceServer } from "@pancode/proto";
import type { BudgetService } from "../services/budget-service.js";
import type { DrainState } from "../services/cluster-drain.js";
import type { ModelDirectory } from "../services/model-directory.js";
import type { RunQueries } from "../services/run-queries.js";
import type { WorkerDirectory } from "../services/worker-directory.js";
import { type ConfiguredProvider, clusterOverview } from "./cluster-overview.js";
import { actorOf, type HandlerContext, unary } from "./handlers.js";

/** The ClientService methods of the cluster as a whole: agents, workers, models, drain. */
export type ClusterHandlers = Pick<
  ClientServiceServer,
  "listAgents" | "clusterInfo" | "listModels" | "drain" | "undrain"
>;

/** What the cluster handlers need. */
export interface ClusterHandlerDeps {
  agents: AgentRegistry;
  workers: WorkerDirectory;
  models: ModelDirectory;
  budget: BudgetService;
  runs: RunQueries;
  info: () => { version: string; draining: boolean; bus: string; database: string };
  /** The providers of the cluster config with their model ids (ClusterInfo lists them with who serves them). */
  configuredProviders?: () => ConfiguredProvider[];
  /** Stops admissions (audited once); running runs finish. */
  drain: (actor: string) => Promise<DrainState>;
  /** Ends the cluster-wide drain (audited once). */
  undrain: (actor: string) => Promise<DrainState>;
}

/** Builds the cluster handlers. */
export function createClusterHandlers(hc: HandlerContext, deps: ClusterHandlerDeps): ClusterHandlers {
  return {
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
        deps.runs.active(),
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
    drain: unary(hc, "Drain", async (_req, _trace, caller) => deps.drain(actorOf(caller))),
    undrain: unary(hc, "Undrain", async (_req, _trace, caller) => deps.undrain(actorOf(caller))),
  };
}
