import type { BudgetInfo, ClientServiceServer } from "@pancode/proto";
import type { Logger } from "@pancode/telemetry";
import type { BudgetService } from "../services/budget-service.js";
import type { RunQueries } from "../services/run-queries.js";
import { buildCostReport, buildMetricsReport } from "./cost-report.js";
import { actorOf, type HandlerContext, unary } from "./handlers.js";

/** The ClientService methods of money and usage: the budget, the cost report, the metrics report. */
export type BudgetHandlers = Pick<ClientServiceServer, "getBudget" | "setBudget" | "getCost" | "getMetrics">;

/** What the budget handlers need. */
export interface BudgetHandlerDeps {
  budget: BudgetService;
  runs: RunQueries;
  logger: Logger;
}

/** Runs `pancode cost` lists when asked for no limit; `pancode metrics` reads up to {@link METRICS_RUNS}. */
const DEFAULT_COST_RUNS = 1000;
/** Newest runs `pancode metrics` aggregates: enough for any history this cluster keeps in one database. */
const METRICS_RUNS = 100_000;

/** Builds the budget, cost and metrics handlers. */
export function createBudgetHandlers(hc: HandlerContext, deps: BudgetHandlerDeps): BudgetHandlers {
  return {
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
    getCost: unary(hc, "GetCost", async (req) => {
      const limit = req.limit > 0 ? Math.min(req.limit, METRICS_RUNS) : DEFAULT_COST_RUNS;
      return buildCostReport(await deps.runs.costs(limit));
    }),
    getMetrics: unary(hc, "GetMetrics", async () => buildMetricsReport(await deps.runs.costs(METRICS_RUNS))),
  };
}
