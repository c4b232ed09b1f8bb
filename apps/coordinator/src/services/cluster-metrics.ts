import type { Meter } from "@opentelemetry/api";
import type { Database, RunRow } from "@pancode/db";
import type { Logger } from "@pancode/telemetry";

/** What the run lifecycle tells the metrics about (one call per run, at its terminal transition). */
export interface RunMetrics {
  runEnded(run: RunRow): void;
}

/** Bucket bounds of the run duration histogram, in seconds: a shell command to a long agent session. */
const DURATION_BUCKETS_S = [0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];

/**
 * The coordinator's OpenTelemetry instruments (served on the Prometheus endpoint as `pancode_*`):
 * - `pancode_runs_total{status,agent,team}`: runs that ended, by terminal status;
 * - `pancode_run_duration_seconds{status,agent,team}`: histogram of started-to-finished time;
 * - `pancode_cost_usd_total{agent,model}` and `pancode_tokens_total{agent,model,kind}` (kind input|output|cache);
 * - `pancode_queue_depth`: runs admitted and not yet claimed by a worker (read at scrape time).
 * Counters count from this coordinator's start, as Prometheus expects; `pancode metrics` gives all-time figures.
 */
export class ClusterMetrics implements RunMetrics {
  private readonly runs;
  private readonly duration;
  private readonly cost;
  private readonly tokens;

  constructor(
    meter: Meter,
    private readonly deps: { db: Database; logger: Logger },
  ) {
    this.runs = meter.createCounter("pancode.runs", { description: "Runs that ended, by terminal status" });
    this.duration = meter.createHistogram("pancode.run.duration.seconds", {
      description: "Run duration from start to finish",
      unit: "s",
      advice: { explicitBucketBoundaries: DURATION_BUCKETS_S },
    });
    this.cost = meter.createCounter("pancode.cost.usd", { description: "Model cost of ended runs", unit: "USD" });
    this.tokens = meter.createCounter("pancode.tokens", { description: "Model tokens of ended runs" });
    const queue = meter.createObservableGauge("pancode.queue.depth", {
      description: "Runs admitted and waiting for a worker",
    });
    queue.addCallback(async (result) => {
      const active = await deps.db.listActiveRuns();
      result.observe(active.filter((r) => r.status === "pending").length);
    });
  }

  runEnded(run: RunRow): void {
    // "" for runs of no team, so every series with a status has the label and dashboards can group by it.
    const attrs = { status: run.status, agent: run.agent, team: run.team ?? "" };
    this.runs.add(1, attrs);
    if (run.startedAt && run.finishedAt) {
      this.duration.record(Math.max(0, run.finishedAt.getTime() - run.startedAt.getTime()) / 1000, attrs);
    }
    const spend = { agent: run.agent, model: run.model || "-" };
    if (run.costUsd > 0) this.cost.add(run.costUsd, spend);
    // Tokens live in the run's usage row; reading it must never delay or fail the completion.
    this.deps.db
      .getRunUsage([run.id])
      .then((usage) => {
        const u = usage.get(run.id)?.usage;
        if (!u) return;
        if (u.input > 0) this.tokens.add(u.input, { ...spend, kind: "input" });
        if (u.output > 0) this.tokens.add(u.output, { ...spend, kind: "output" });
        if (u.cacheRead + u.cacheWrite > 0) this.tokens.add(u.cacheRead + u.cacheWrite, { ...spend, kind: "cache" });
      })
      .catch((err: unknown) => this.deps.logger.warn("token metrics skipped", { runId: run.id, error: err as Error }));
  }
}
