import type { ClientServiceServer } from "@pancode/proto";
import type { Logger } from "@pancode/telemetry";
import type { OrchestrationQueries } from "../orchestration/orchestration-queries.js";
import type { Orchestrator } from "../orchestration/orchestrator.js";
import { type AuditHandlerDeps, createAuditHandlers } from "./audit-handlers.js";
import { type BudgetHandlerDeps, createBudgetHandlers } from "./budget-handlers.js";
import { type ClusterHandlerDeps, createClusterHandlers } from "./cluster-handlers.js";
import type { HandlerContext, RunTokenAuth, UserAuth } from "./handlers.js";
import { createIdentityHandlers, type IdentityDeps } from "./identity-handlers.js";
import { createOrchestrationHandlers } from "./orchestration-handlers.js";
import { createReceiptHandlers, type ReceiptHandlerDeps } from "./receipt-handlers.js";
import { createRunHandlers, type RunHandlerDeps } from "./run-handlers.js";
import type { Implementation } from "./status.js";

/** Dependencies of the client-facing service: the services each group of methods calls. */
export interface ClientServiceDeps
  extends RunHandlerDeps,
    ReceiptHandlerDeps,
    ClusterHandlerDeps,
    BudgetHandlerDeps,
    AuditHandlerDeps {
  /** Each person's token: who calls, with which role and team. */
  users: UserAuth;
  /** Token and team management (CreateToken, ListTokens, RevokeToken, SetTeam, ListTeams, WhoAmI). */
  identity: IdentityDeps;
  logger: Logger;
  /** Batches, chains and stop. */
  orchestrator: Orchestrator;
  /** The read side of batches and chains. */
  orchestration: OrchestrationQueries;
  /** Run tokens (nested dispatch); without it only the client token is accepted. */
  runTokens?: Omit<RunTokenAuth, "methods">;
}

/** What a run's token may do: dispatch sub-runs and follow them. Nothing else, and never as a client. */
const RUN_TOKEN_METHODS: ReadonlySet<string> = new Set(["Dispatch", "GetRun", "WatchRun"]);

/** Builds the ClientService implementation from its groups of methods. */
export function createClientService(deps: ClientServiceDeps): Implementation {
  const hc: HandlerContext = {
    token: "",
    users: deps.users,
    who: "client",
    logger: deps.logger,
    ...(deps.runTokens ? { runTokens: { ...deps.runTokens, methods: RUN_TOKEN_METHODS } } : {}),
  };
  const service: ClientServiceServer = {
    ...createRunHandlers(hc, deps),
    ...createReceiptHandlers(hc, deps),
    ...createClusterHandlers(hc, deps),
    ...createBudgetHandlers(hc, deps),
    ...createAuditHandlers(hc, deps),
    ...createOrchestrationHandlers(hc, { orchestrator: deps.orchestrator, queries: deps.orchestration }),
    ...createIdentityHandlers(hc, deps.identity),
  };
  return service as unknown as Implementation;
}
