/** Human duration: 850ms, 12.3s, 4m05s (as the CLI prints it). */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || ms < 0) return "-";
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes}m${String(Math.floor((ms % 60_000) / 1000)).padStart(2, "0")}s`;
}

/** Costs with 4 decimals: single runs of small models cost fractions of a cent. */
export function formatUsd(usd: number | null | undefined): string {
  return usd === null || usd === undefined ? "-" : `$${usd.toFixed(4)}`;
}

export function shortId(id: string | null | undefined): string {
  return id ? id.slice(0, 8) : "-";
}

/** Time since `iso` for a live row (the run's duration once it ended). */
export function elapsed(startIso: string | null, endIso: string | null, now = Date.now()): number | null {
  if (!startIso) return null;
  const start = Date.parse(startIso);
  const end = endIso ? Date.parse(endIso) : now;
  return Number.isFinite(start) && Number.isFinite(end) ? Math.max(0, end - start) : null;
}

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return "-";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}
