/**
 * Soak suite: N trivial runs (`true`) dispatched and drained by many worker processes (process sandbox), with the
 * coordinator's RSS sampled from /proc/<pid>/status once a second. Afterwards every dispatched run must be in the
 * database (lost = dispatched - found) and ended (stuck = found - ended).
 *
 * Ready for 10,000 runs and more: the bench keeps no per-run state (its runs are counted in Postgres by their task
 * prefix, once a second), only one RSS sample a second for the chart.
 */
import { performance } from "node:perf_hooks";
import { round } from "../stats.js";
import { lineChart } from "../svg-chart.js";
import { type BenchCluster, dispatchCount, rssMib, SHIPPED_TIMERS, sleep, startBenchCluster } from "./harness.js";
import { rssGrowth, type Sample } from "./rss-growth.js";
import { formatTargets, log, target, writeSuite } from "./suite-result.js";

/** Issue 17: coordinator RSS may grow less than this from the first 1,000 runs to the last. */
const TARGET_RSS_GROWTH_MB = 50;
const SAMPLE_MS = 1000;
/** Every soak task starts with this, so the database can count the soak's runs without a list of their ids. */
const TASK_PREFIX = "true # soak ";
const ENDED = "('done','error','timeout','interrupted','budget_exceeded')";
/** The soak ends when every run has ended, or when none has ended for this long (the rest are stuck). */
const STALL_MS = 120_000;

interface Progress {
  found: number;
  ended: number;
  done: number;
}

async function soakProgress(bench: BenchCluster): Promise<Progress> {
  const row = await bench.row(
    `select count(*) as found, count(*) filter (where status in ${ENDED}) as ended,
            count(*) filter (where status = 'done') as done from runs where task like $1`,
    [`${TASK_PREFIX}%`],
  );
  return { found: Number(row.found), ended: Number(row.ended), done: Number(row.done) };
}

/** Polls the soak's progress once a second until every dispatched run has ended or nothing ended for STALL_MS. */
async function drain(bench: BenchCluster, dispatched: Promise<number>, onProgress: (p: Progress) => void) {
  let total: number | undefined;
  let failed = false;
  // A refused dispatch fails the suite through `dispatched` itself; polling just stops.
  dispatched.then(
    (n) => {
      total = n;
    },
    () => {
      failed = true;
    },
  );
  let last: Progress = { found: 0, ended: 0, done: 0 };
  let lastChange = performance.now();
  for (;;) {
    if (failed) return last;
    const now = await soakProgress(bench);
    if (now.ended !== last.ended) lastChange = performance.now();
    last = now;
    onProgress(now);
    if (total !== undefined && (now.ended >= total || performance.now() - lastChange > STALL_MS)) return now;
    await sleep(SAMPLE_MS);
  }
}

export async function soakSuite(options: { runs: number; workers: number }): Promise<void> {
  log(`soak: starting cluster (NATS JetStream, Postgres, coordinator, ${options.workers} workers; process sandbox)`);
  const bench = await startBenchCluster({
    workers: options.workers,
    coordinatorEnv: { ...SHIPPED_TIMERS, PANCODE_LOG_LEVEL: "warn" },
    workerEnv: {
      ...SHIPPED_TIMERS,
      PANCODE_SANDBOX: "process",
      PANCODE_WORKER_CONCURRENCY: "1",
      PANCODE_LOG_LEVEL: "warn",
    },
  });
  const pid = bench.cluster.coordinatorProcess().pid as number;
  const samples: Sample[] = [];
  let ended = 0;
  const started = performance.now();
  const sampler = setInterval(() => {
    rssMib(pid).then(
      (rssMb) => samples.push({ seconds: round((performance.now() - started) / 1000), ended, rssMb: round(rssMb) }),
      () => undefined,
    );
  }, SAMPLE_MS);
  try {
    log(`soak: dispatching ${options.runs} runs while ${options.workers} workers drain them`);
    const dispatched = dispatchCount(bench.api, bench.workspace, options.runs, 8, (i) => `${TASK_PREFIX}${i}`);
    // Progress is polled from the first dispatch on, so the RSS samples know how many runs had ended throughout.
    const [sent, result] = await Promise.all([
      dispatched,
      drain(bench, dispatched, (p) => {
        ended = p.ended;
      }),
    ]);
    clearInterval(sampler);
    const seconds = (performance.now() - started) / 1000;
    const found = result.found;
    const growth = rssGrowth(samples, options.runs);
    const figures = {
      runs: options.runs,
      workers: options.workers,
      lost: sent - found,
      stuck: found - result.ended,
      notDone: result.ended - result.done,
      seconds: round(seconds),
      runsPerSecond: round(options.runs / seconds),
      coordinatorRssGrowthMb: round(growth.lastMb - growth.firstMb),
      coordinatorRssMb: { afterFirstWindow: growth.firstMb, maxInLastWindow: growth.lastMb, window: growth.window },
      rssSamples: samples,
    };
    const targets = [
      target("soak.lost", figures.lost, "<=", 0),
      target("soak.stuck", figures.stuck, "<=", 0),
      target("soak.coordinatorRssGrowthMb", figures.coordinatorRssGrowthMb, "<=", TARGET_RSS_GROWTH_MB),
    ];
    const chart = lineChart({
      title: `Coordinator RSS over a soak of ${options.runs} runs (${options.workers} workers)`,
      xLabel: "runs ended",
      yLabel: "VmRSS (MiB)",
      lines: [{ label: "coordinator VmRSS", points: samples.map((s) => [s.ended, s.rssMb] as const) }],
      guides: [
        { label: `first ${growth.window} + ${TARGET_RSS_GROWTH_MB} MB`, y: growth.firstMb + TARGET_RSS_GROWTH_MB },
      ],
    });
    const written = await writeSuite("soak", figures, {
      targets,
      setup: { sandbox: "process", concurrencyPerWorker: 1, task: "true", inFlightDispatches: 8 },
      chart,
    });
    process.stdout.write(
      [
        "",
        `soak: ${options.runs} runs over ${options.workers} workers in ${figures.seconds} s (${figures.runsPerSecond} runs/s)`,
        `  lost ${figures.lost}, stuck ${figures.stuck}, ended not done ${figures.notDone}`,
        `  coordinator VmRSS ${growth.firstMb} MiB after the first ${growth.window} runs, at most ${growth.lastMb} MiB in the last ${growth.window}`,
        formatTargets(targets),
        `wrote ${written.json}`,
        "",
      ].join("\n"),
    );
  } finally {
    clearInterval(sampler);
    await bench.stop();
  }
}
