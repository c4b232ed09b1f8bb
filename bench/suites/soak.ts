/**
 * Soak suite: N trivial runs (`true`) dispatched and drained by many worker processes (process sandbox), with the
 * coordinator's RSS sampled from /proc/<pid>/status once a second. Afterwards every dispatched run must be in the
 * database (lost = dispatched - found) and ended (stuck = found - ended).
 */
import { performance } from "node:perf_hooks";
import { round } from "../stats.js";
import { lineChart } from "../svg-chart.js";
import { dispatchMany, rssMib, SHIPPED_TIMERS, startBenchCluster } from "./harness.js";
import { rssGrowth, type Sample } from "./rss-growth.js";
import { waitForRuns } from "./scaling.js";
import { formatTargets, log, target, writeSuite } from "./suite-result.js";

/** Issue 17: coordinator RSS may grow less than this from the first 1,000 runs to the last. */
const TARGET_RSS_GROWTH_MB = 50;
const SAMPLE_MS = 1000;

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
    const sent = await dispatchMany(bench.api, bench.workspace, options.runs, 8, (i) => `true # soak ${i}`);
    const result = await waitForRuns(bench, sent.ids, 120_000, (n) => {
      ended = n;
    });
    clearInterval(sampler);
    const seconds = (performance.now() - started) / 1000;
    const found = await bench.count("select count(*) from runs where id = any($1::text[])", [sent.ids]);
    const growth = rssGrowth(samples, options.runs);
    const figures = {
      runs: options.runs,
      workers: options.workers,
      lost: options.runs - found,
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
