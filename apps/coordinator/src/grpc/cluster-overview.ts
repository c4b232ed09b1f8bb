import type { ClusterInfoResponse, ProviderStatus, WorkerInfo } from "@pancode/proto";
import type { BudgetStatus } from "../services/budget-service.js";
import type { WorkerOverview } from "../services/worker-directory.js";

/** A provider of the cluster config: its name and model ids. */
export interface ConfiguredProvider {
  name: string;
  models: string[];
}

/** What `ClusterInfo` is built from, gathered by the caller. */
export interface ClusterOverviewParts {
  info: { version: string; draining: boolean; bus: string; database: string };
  workers: WorkerOverview[];
  configuredProviders: ConfiguredProvider[];
  activeRunStatuses: string[];
  budget: BudgetStatus;
}

function workerInfo(w: WorkerOverview): WorkerInfo {
  return {
    id: w.id,
    pool: w.pool,
    sandbox: w.sandbox,
    capacity: w.capacity,
    active: w.active,
    status: w.status,
    lastHeartbeatAt: w.lastHeartbeatAt.toISOString(),
    runtimes: w.runtimes,
    providers: w.providers,
    live: w.live,
    version: w.version,
  };
}

/**
 * The cluster's providers: every configured one, plus any a live worker announced without a config entry, each
 * with the live workers able to serve it. Sorted by name so the output is stable.
 */
export function providerStatuses(configured: ConfiguredProvider[], workers: WorkerOverview[]): ProviderStatus[] {
  const live = workers.filter((w) => w.live);
  const names = new Set([...configured.map((p) => p.name), ...live.flatMap((w) => w.providers)]);
  return [...names].sort().map((name) => ({
    name,
    models: configured.find((p) => p.name === name)?.models ?? offeredModels(name, live),
    workerIds: live.filter((w) => w.providers.includes(name)).map((w) => w.id),
  }));
}

/** Zero-config: the models live workers discovered for a provider, without duplicates. */
function offeredModels(provider: string, live: WorkerOverview[]): string[] {
  return [...new Set(live.flatMap((w) => w.offeredModels[provider] ?? []))];
}

/** The `ClusterInfo` answer: version, drain state, workers, providers, queue depth and budget in one snapshot. */
export function clusterOverview(parts: ClusterOverviewParts): ClusterInfoResponse {
  return {
    ...parts.info,
    workers: parts.workers.map(workerInfo),
    providers: providerStatuses(parts.configuredProviders, parts.workers),
    pendingRuns: parts.activeRunStatuses.filter((s) => s === "pending").length,
    runningRuns: parts.activeRunStatuses.filter((s) => s === "running").length,
    budget: parts.budget,
  };
}
