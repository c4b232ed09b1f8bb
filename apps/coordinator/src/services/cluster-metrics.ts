import type { Meter } from "@opentelemetry/api";
import type { Database, RunRow } from "@pancode/db";
import type { Logger } from "@pancode/telemetry";

/** What the cluster gauges read from the database. */
export type MetricsStore = Pick<Database, "getBudget" | "listActiveRuns" | "listWorkers" | "getRunUsage">;

/** What the lifecycle and the admission tell the metrics about. */
export interface RunMetrics {
  /** A run's first attempt was claimed by a worker (queue wait). */
  runClaimed(run: RunRow): void;
  /** A run reached its terminal status (one call per run). */
  runEnded(run: RunRow): void;
  /** A lost worker's attempt was given up and the run waits for redelivery. */
  runRequeued(): void;
  /** A dispatch was admitted (`gate` "none"), refused by `gate`, or failed before any gate decided ("error"). */
  admission(result: "admitted" | "refused" | "error", gate: string): void;
}

/** Metrics that record nothing (the coordinator of a test that does not look at them). */
export const NO_RUN_METRICS: RunMetrics = {
  runClaimed: () => {},
  runEnded: () => {},
  runRequeued: () => {},
  admission: () => {},
};

/** Bucket bounds of the run duration histogram, in seconds: a shell command to a long agent session. */
const DURATION_BUCKETS_S = [0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];
/** Bucket bounds of the queue wait histogram, in seconds: an idle cluster to a long backlog. */
const QUEUE_WAIT_BUCKETS_S = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600];

/** The team a run was dispatched for: "" for runs of no team, so every series has the label and dashboards can group by it. */
function teamOf(run: RunRow): string {
  return run.team ?? "";
}

/**
 * The coordinator's OpenTelemetry instruments. Each instrument's name is its Prometheus name with dots, unit suffix
 * included (`pancode.run.duration.seconds`, unit `s`), so the scrape of PANCODE_METRICS_LISTEN and an OTel
 * collector's translation of the OTLP export give the same names (deploy/README.md lists them):
 * - `pancode_runs_total{status,agent,team}`, `pancode_run_duration_seconds{status,agent,team}` (histogram);
 * - `pancode_queue_wait_seconds{agent,team}` (histogram, admission to first claim), `pancode_queue_depth`;
 * - `pancode_admissions_total{result,gate}`, `pancode_redeliveries_total`;
 * - `pancode_budget_ceiling_usd`, `pancode_budget_spent_usd`, `pancode_budget_reserved_usd`;
 * - `pancode_cost_usd_total{agent,model,team}`, `pancode_tokens_total{agent,model,team,kind}` (kind input|output|cache);
 * - `pancode_workers{state}` (state live|lost).
 * Counters count from this coordinator's start, as Prometheus expects; `pancode metrics` gives all-time figures.
 */
export class ClusterMetrics implements RunMetrics {
  private readonly runs;
  private readonly duration;
  private readonly queueWait;
  private readonly admissions;
  private readonly redeliveries;
  private readonly cost;
  private readonly tokens;

  constructor(
    meter: Meter,
    private readonly deps: { db: MetricsStore; logger: Logger; liveSince: () => Date },
  ) {
    this.runs = meter.createCounter("pancode.runs", { description: "Runs that ended, by terminal status" });
    this.duration = meter.createHistogram("pancode.run.duration.seconds", {
      description: "Run duration from start to finish",
      unit: "s",
      advice: { explicitBucketBoundaries: DURATION_BUCKETS_S },
    });
    this.queueWait = meter.createHistogram("pancode.queue.wait.seconds", {
      description: "Time from admission to the first claim by a worker",
      unit: "s",
      advice: { explicitBucketBoundaries: QUEUE_WAIT_BUCKETS_S },
    });
    this.admissions = meter.createCounter("pancode.admissions", {
      description: "Dispatches admitted or refused, by the gate that refused",
    });
    this.redeliveries = meter.createCounter("pancode.redeliveries", {
      description: "Attempts given up because their worker was lost; the run waits for redelivery",
    });
    // Present from the start at 0: an alert on its rate needs the series before the first redelivery.
    this.redeliveries.add(0);
    this.cost = meter.createCounter("pancode.cost.usd", { description: "Model cost of ended runs, in USD" });
    this.tokens = meter.createCounter("pancode.tokens", { description: "Model tokens of ended runs" });
    this.observeDatabase(meter);
  }

  // Gauges read from the database at collection time, in one callback (one scrape, three queries).
  private observeDatabase(meter: Meter): void {
    const queue = meter.createObservableGauge("pancode.queue.depth", {
      description: "Runs admitted and waiting for a worker",
    });
    const ceiling = meter.createObservableGauge("pancode.budget.ceiling.usd", { description: "Budget ceiling, USD" });
    const spent = meter.createObservableGauge("pancode.budget.spent.usd", { description: "Budget spent, USD" });
    const reserved = meter.createObservableGauge("pancode.budget.reserved.usd", {
      description: "Budget reserved by admitted runs that have not ended, USD",
    });
    const workers = meter.createObservableGauge("pancode.workers", {
      description: "Known workers by state (live: recent heartbeat; lost: gone or silent)",
    });
    meter.addBatchObservableCallback(
      async (result) => {
        const { db } = this.deps;
        const [active, budget, known] = await Promise.all([db.listActiveRuns(), db.getBudget(), db.listWorkers()]);
        result.observe(queue, active.filter((r) => r.status === "pending").length);
        result.observe(ceiling, budget.ceilingUsd);
        result.observe(spent, budget.spentUsd);
        result.observe(reserved, budget.reservedUsd);
        const since = this.deps.liveSince();
        const up = known.filter((w) => w.status === "up" && w.lastHeartbeatAt >= since).length;
        result.observe(workers, up, { state: "live" });
        result.observe(workers, known.length - up, { state: "lost" });
      },
      [queue, ceiling, spent, reserved, workers],
    );
  }

  runClaimed(run: RunRow): void {
    if (run.attempt !== 1 || !run.startedAt) return;
    const waited = Math.max(0, run.startedAt.getTime() - run.createdAt.getTime()) / 1000;
    this.queueWait.record(waited, { agent: run.agent, team: teamOf(run) });
  }

  runRequeued(): void {
    this.redeliveries.add(1);
  }

  admission(result: "admitted" | "refused" | "error", gate: string): void {
    this.admissions.add(1, { result, gate });
  }

  runEnded(run: RunRow): void {
    const attrs = { status: run.status, agent: run.agent, team: teamOf(run) };
    this.runs.add(1, attrs);
    if (run.startedAt && run.finishedAt) {
      this.duration.record(Math.max(0, run.finishedAt.getTime() - run.startedAt.getTime()) / 1000, attrs);
    }
    const spend = { agent: run.agent, model: run.model || "-", team: teamOf(run) };
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
