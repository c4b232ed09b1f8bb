import type { CostReport, CostTotal, MetricsGroup, MetricsReport, RunCost } from "@pancode/proto";
import type { RunCostRow } from "../services/run-queries.js";

/** Tokens of a run: input, output and both cache directions. */
function tokensOf(r: RunCostRow): number {
  return r.inputTokens + r.outputTokens + r.cacheReadTokens + r.cacheWriteTokens;
}

/** Sums of USD amounts rounded to the database's 6 decimals, so float noise never shows in reports. */
function roundUsd(amount: number): number {
  return Math.round(amount * 1e6) / 1e6;
}

function totalOf(key: string, rows: readonly RunCostRow[]): CostTotal {
  let tokens = 0;
  let costUsd = 0;
  for (const r of rows) {
    tokens += tokensOf(r);
    costUsd += r.costUsd;
  }
  return { key, runs: rows.length, tokens, costUsd: roundUsd(costUsd) };
}

/** Rows grouped by a key, groups in name order (stable output for people and tests). */
function groupBy(rows: readonly RunCostRow[], key: (r: RunCostRow) => string): [string, RunCostRow[]][] {
  const groups = new Map<string, RunCostRow[]>();
  for (const r of rows) {
    const k = key(r);
    const list = groups.get(k);
    if (list) list.push(r);
    else groups.set(k, [r]);
  }
  return [...groups.entries()].sort(([a], [b]) => a.localeCompare(b));
}

/** `pancode cost`: every run's spend, newest first, with totals by agent, by model and overall. */
export function buildCostReport(rows: readonly RunCostRow[]): CostReport {
  const runs: RunCost[] = rows.map((r) => ({
    runId: r.runId,
    agent: r.agent,
    model: r.model,
    status: r.status,
    inputTokens: r.inputTokens,
    outputTokens: r.outputTokens,
    tokens: tokensOf(r),
    costUsd: r.costUsd,
    createdAt: r.createdAt.toISOString(),
    user: r.userName,
    team: r.team,
  }));
  return {
    runs,
    byAgent: groupBy(rows, (r) => r.agent).map(([k, g]) => totalOf(k, g)),
    // Plain commands have no model; they are grouped under "-" rather than an empty name.
    byModel: groupBy(rows, (r) => r.model || "-").map(([k, g]) => totalOf(k, g)),
    total: totalOf("", rows),
    byUser: groupBy(rows, (r) => r.userName).map(([k, g]) => totalOf(k, g)),
    byTeam: groupBy(rows, (r) => r.team).map(([k, g]) => totalOf(k, g)),
  };
}

/** The nearest-rank percentile `p` (0-100) of sorted values; -1 for none. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return -1;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

function metricsOf(key: string, rows: readonly RunCostRow[]): MetricsGroup {
  const byStatus = new Map<string, number>();
  for (const r of rows) byStatus.set(r.status, (byStatus.get(r.status) ?? 0) + 1);
  const durations = rows
    .map((r) => r.durationMs)
    .filter((d) => d >= 0)
    .sort((a, b) => a - b);
  const total = totalOf(key, rows);
  return {
    key,
    runs: rows.length,
    byStatus: [...byStatus.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([status, runs]) => ({ status, runs })),
    costUsd: total.costUsd,
    tokens: total.tokens,
    p50DurationMs: percentile(durations, 50),
    p95DurationMs: percentile(durations, 95),
  };
}

/** `pancode metrics`: runs by status, cost, tokens and duration percentiles, overall and per agent. */
export function buildMetricsReport(rows: readonly RunCostRow[]): MetricsReport {
  return {
    total: metricsOf("", rows),
    byAgent: groupBy(rows, (r) => r.agent).map(([k, g]) => metricsOf(k, g)),
  };
}
