import type { ClusterInfoResponse, WorkerInfo } from "@pancode/proto";

export { type WorkerJson, workerJson } from "@pancode/proto";

/** The workers that take runs now; gone ones are history (`--all` shows them). */
export function liveWorkers(info: ClusterInfoResponse): WorkerInfo[] {
  return info.workers.filter((w) => w.live);
}

/** `0.4s ago`, `12s ago`, `3m ago`, `2h ago`: how long since `iso`, as far as the clocks agree. */
function formatAgo(iso: string, now = Date.now()): string {
  const ms = Math.max(0, now - Date.parse(iso));
  if (!Number.isFinite(ms)) return "-";
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)}s ago`;
  if (ms < 120_000) return `${Math.round(ms / 1000)}s ago`;
  if (ms < 7_200_000) return `${Math.round(ms / 60_000)}m ago`;
  return `${Math.round(ms / 3_600_000)}h ago`;
}

/** A list for a table cell: `a,b`, or `-` when empty. */
function listCell(items: readonly string[]): string {
  return items.length > 0 ? items.join(",") : "-";
}

/** The cells of one worker's row: id, runtimes, providers, slots used/total, last seen. */
export function workerCells(w: WorkerInfo, now = Date.now()): string[] {
  return [
    w.id,
    listCell(w.runtimes),
    listCell(w.providers),
    `${w.active}/${w.capacity}`,
    formatAgo(w.lastHeartbeatAt, now),
  ];
}

export const WORKER_HEADERS = ["WORKER", "RUNTIMES", "PROVIDERS", "SLOTS", "LAST SEEN"];
