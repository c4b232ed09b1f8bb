import type { RunRow } from "@pancode/db";

/** Total cost of the runs, rounded to the 6 decimals the database stores. */
export function totalCost(runs: readonly RunRow[]): number {
  return Math.round(runs.reduce((sum, r) => sum + r.costUsd, 0) * 1e6) / 1e6;
}
