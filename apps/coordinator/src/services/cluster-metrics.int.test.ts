import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Database, openDatabase, type RunRow } from "@pancode/db";
import { createMeterProvider, type Metrics, noopLogger, startOpsServer } from "@pancode/telemetry";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClusterMetrics } from "./cluster-metrics.js";

// The coordinator's metric names as Prometheus scrapes them: the names of issue 15 (the dashboards and alert rules
// of deploy/ query exactly these), on an embedded database.

let dataDir: string;
let db: Database;
let metrics: Metrics;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "pancode-cluster-metrics-"));
  db = await openDatabase({ dataDir });
  await db.initBudget(10);
  metrics = await createMeterProvider({
    service: { name: "pancode-coordinator", version: "0", instanceId: "t" },
    env: {},
    prometheus: true,
    global: false,
  });
});

afterAll(async () => {
  await metrics?.shutdown();
  await db?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

function run(overrides: Partial<RunRow>): RunRow {
  const at = new Date("2026-01-01T00:00:00Z");
  return {
    id: "r1",
    status: "done",
    agent: "dev",
    model: "scripted/slow",
    attempt: 1,
    createdAt: at,
    startedAt: new Date(at.getTime() + 1500),
    finishedAt: new Date(at.getTime() + 4500),
    costUsd: 0.25,
    ...overrides,
  } as RunRow;
}

describe("the coordinator's metrics", () => {
  it("are scraped under the names, units and labels of issue 15", async () => {
    const recorder = new ClusterMetrics(metrics.provider.getMeter("pancode-coordinator"), {
      db,
      logger: noopLogger,
      liveSince: () => new Date(0),
    });
    recorder.runClaimed(run({}));
    recorder.runEnded(run({}));
    recorder.runEnded(run({ id: "r2", status: "error", agent: "shell", model: "", costUsd: 0 }));
    recorder.admission("admitted", "none");
    recorder.admission("refused", "budget");
    recorder.runRequeued();
    const ops = await startOpsServer({ listen: "127.0.0.1:0", scrape: metrics.scrape, readiness: [] });
    try {
      const text = await (await fetch(`${ops.baseUrl}/metrics`)).text();
      const families = [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => `${m[1]} ${m[2]}`);
      expect(families).toEqual(
        expect.arrayContaining([
          "pancode_runs_total counter",
          "pancode_run_duration_seconds histogram",
          "pancode_queue_wait_seconds histogram",
          "pancode_queue_depth gauge",
          "pancode_admissions_total counter",
          "pancode_budget_ceiling_usd gauge",
          "pancode_budget_spent_usd gauge",
          "pancode_budget_reserved_usd gauge",
          "pancode_cost_usd_total counter",
          "pancode_redeliveries_total counter",
          "pancode_workers gauge",
        ]),
      );
      expect(text).toMatch(/^pancode_runs_total\{status="done",agent="dev",team=""\} 1$/m);
      expect(text).toMatch(/^pancode_runs_total\{status="error",agent="shell",team=""\} 1$/m);
      expect(text).toMatch(/^pancode_run_duration_seconds_bucket\{status="done",agent="dev",team="",le="5"\} 1$/m);
      expect(text).toMatch(/^pancode_queue_wait_seconds_bucket\{agent="dev",team="",le="2"\} 1$/m);
      expect(text).toMatch(/^pancode_admissions_total\{result="refused",gate="budget"\} 1$/m);
      expect(text).toMatch(/^pancode_cost_usd_total\{agent="dev",model="scripted\/slow",team=""\} 0.25$/m);
      expect(text).toMatch(/^pancode_redeliveries_total 1$/m);
      expect(text).toMatch(/^pancode_budget_ceiling_usd 10$/m);
      expect(text).toMatch(/^pancode_queue_depth 0$/m);
      expect(text).toMatch(/^pancode_workers\{state="live"\} 0$/m);
    } finally {
      await ops.close();
    }
  });
});
