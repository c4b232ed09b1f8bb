import { type AgentRegistry, loadDefinitionFiles } from "@pancode/agents";
import { isTerminalStatus, PanCodeError } from "@pancode/core";
import type { Database, OrchestrationRequest, RunRow } from "@pancode/db";
import type { Logger } from "@pancode/telemetry";
import type { DispatchInput } from "../services/admission.js";
import type { DispatchService } from "../services/dispatch-service.js";
import type { RunLifecycle } from "../services/run-lifecycle.js";
import type { GroupLeases } from "./group-leases.js";

/** The orchestration store as batches, chains and stop use it. */
export type OrchestrationStore = Pick<
  Database,
  | "insertBatch"
  | "getBatch"
  | "finishBatch"
  | "deleteBatch"
  | "setBatchItemError"
  | "insertChain"
  | "getChain"
  | "updateChain"
  | "finishChain"
  | "deleteChain"
  | "listRunsOf"
  | "findBatchesByPrefix"
  | "findChainsByPrefix"
  | "getRun"
  | "latestActiveRunOf"
  | "listRunningBatches"
  | "listRunningChains"
>;

/** What the batch scheduler, the chain runner and stop share. */
export interface OrchestrationDeps {
  db: OrchestrationStore;
  /** Every run of a batch or chain is admitted exactly like a single dispatch. */
  dispatch: DispatchService;
  lifecycle: RunLifecycle;
  agents: AgentRegistry;
  logger: Logger;
  defaultAgent: string;
  /** Which batches and chains this replica may act on (one replica per group at a time). */
  leases: GroupLeases;
  /** Called when a batch or chain ended (its receipt is written here). */
  onFinished?: (what: { batchId: string } | { chainId: string }) => Promise<void>;
}

/** Ends every run of a stopped batch or chain that is still going as `interrupted`; returns the ids it stopped. */
export async function interruptActive(
  lifecycle: RunLifecycle,
  runs: readonly RunRow[],
  reason: string,
): Promise<string[]> {
  const stopped: string[] = [];
  for (const run of runs) {
    if (isTerminalStatus(run.status)) continue;
    if (await lifecycle.finish(run.id, "interrupted", reason)) stopped.push(run.id);
  }
  return stopped;
}

/** The dispatch of one orchestrated run: the stored request plus the run's own task, agent and place. */
export function dispatchInputOf(
  request: OrchestrationRequest,
  run: { task: string; agent: string; orchestration: NonNullable<DispatchInput["orchestration"]> },
): DispatchInput {
  return {
    task: run.task,
    agent: run.agent,
    isolate: request.isolate,
    mode: request.mode,
    model: request.model,
    submitter: request.submitter,
    userName: request.userName ?? null,
    team: request.team ?? null,
    workspace: request.workspace,
    agentFiles: request.agentFiles,
    maxCostUsd: request.maxCostUsd,
    safety: request.safety ?? "",
    orchestration: run.orchestration,
  };
}

/** The registry a request sees: the cluster's agents with the repository's definitions on top. */
export function registryFor(agents: AgentRegistry, agentFiles: OrchestrationRequest["agentFiles"]): AgentRegistry {
  const repo = loadDefinitionFiles(agentFiles, "repo");
  return repo.agents.length + repo.teams.length > 0 ? agents.withRepository(repo) : agents;
}

/**
 * Every agent a batch or chain names must exist before anything starts: a typo in its last step must not surface
 * after the first steps ran (and were paid for). Throws UNKNOWN_AGENT naming the agent.
 */
export function requireAgents(registry: AgentRegistry, names: readonly string[]): void {
  for (const name of new Set(names)) registry.resolve(name);
}

/** Checks a count option: an integer within [min, max], else INVALID_ARGUMENT naming it. */
export function requireRange(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new PanCodeError("INVALID_ARGUMENT", `${name} must be an integer from ${min} to ${max}, got ${value}`);
  }
}

/** Finds a row by full id or unique prefix (at least 4 characters); errors say what to type. */
export async function resolveByPrefix<T>(
  kind: "batch" | "chain",
  idOrPrefix: string,
  get: (id: string) => Promise<T | undefined>,
  find: (prefix: string) => Promise<T[]>,
): Promise<T> {
  const id = idOrPrefix.trim();
  if (!id) throw new PanCodeError("INVALID_ARGUMENT", `a ${kind} id is required`);
  const exact = await get(id);
  if (exact) return exact;
  if (id.length < 4) {
    throw new PanCodeError("INVALID_ARGUMENT", `${kind} id prefix "${id}" is too short; give at least 4 characters`);
  }
  const matches = await find(id);
  if (matches.length === 0) throw new PanCodeError("NOT_FOUND", `no ${kind} with id or prefix "${id}"`);
  if (matches.length > 1) {
    throw new PanCodeError("INVALID_ARGUMENT", `${kind} id prefix "${id}" is ambiguous; give more characters`);
  }
  return matches[0] as T;
}

/**
 * Refusals that say "not now" rather than "never": the coordinator is draining, no worker is up at the moment, a
 * dependency is unreachable. A batch item or chain step refused this way waits for the next tick instead of
 * failing.
 */
export function isTransientRefusal(err: PanCodeError): boolean {
  return err.retryable || err.code === "NO_WORKER" || err.code === "UNAVAILABLE" || err.code === "DRAINING";
}
