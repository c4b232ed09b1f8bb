import { describe, expect, it } from "vitest";
import type { RunCostRow } from "../services/run-queries.js";
import { buildCostReport, buildMetricsReport, percentile } from "./cost-report.js";

function row(over: Partial<RunCostRow>): RunCostRow {
  return {
    runId: "r",
    agent: "dev",
    model: "local/m",
    status: "done",
    userName: "",
    team: "",
    costUsd: 0,
    inputTokens: 0,
    outputTokens: 0,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    createdAt: new Date("2026-01-01T00:00:00Z"),
    durationMs: -1,
    ...over,
  };
}

describe("cost and metrics reports", () => {
  it("percentile uses the nearest rank and says -1 for no samples", () => {
    expect(percentile([], 50)).toBe(-1);
    expect(percentile([10], 95)).toBe(10);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50)).toBe(5);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 95)).toBe(10);
  });

  it("totals runs by agent and by model, commands without a model under '-'", () => {
    const report = buildCostReport([
      row({ runId: "a", agent: "dev", costUsd: 0.1, inputTokens: 100, outputTokens: 20 }),
      row({ runId: "b", agent: "dev", costUsd: 0.2, inputTokens: 50, outputTokens: 5, cacheReadTokens: 5 }),
      row({ runId: "c", agent: "shell", model: "", costUsd: 0 }),
    ]);
    expect(report.runs.map((r) => [r.runId, r.tokens])).toEqual([
      ["a", 120],
      ["b", 60],
      ["c", 0],
    ]);
    expect(report.byAgent).toEqual([
      { key: "dev", runs: 2, tokens: 180, costUsd: 0.3 },
      { key: "shell", runs: 1, tokens: 0, costUsd: 0 },
    ]);
    expect(report.byModel.map((t) => t.key)).toEqual(["-", "local/m"]);
    expect(report.total).toEqual({ key: "", runs: 3, tokens: 180, costUsd: 0.3 });
  });

  it("counts statuses and takes duration percentiles over runs that ran", () => {
    const report = buildMetricsReport([
      row({ agent: "dev", status: "done", durationMs: 1000, costUsd: 0.5, inputTokens: 10 }),
      row({ agent: "dev", status: "error", durationMs: 3000 }),
      row({ agent: "shell", status: "timeout", durationMs: 2000 }),
      row({ agent: "shell", status: "pending", durationMs: -1 }),
    ]);
    expect(report.total?.byStatus).toEqual([
      { status: "done", runs: 1 },
      { status: "error", runs: 1 },
      { status: "pending", runs: 1 },
      { status: "timeout", runs: 1 },
    ]);
    expect(report.total).toMatchObject({ runs: 4, costUsd: 0.5, tokens: 10, p50DurationMs: 2000, p95DurationMs: 3000 });
    expect(report.byAgent.map((g) => [g.key, g.runs, g.p50DurationMs])).toEqual([
      ["dev", 2, 1000],
      ["shell", 2, 2000],
    ]);
  });
});
