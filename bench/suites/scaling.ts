/**
 * Scaling suite: the same number of sleep-bound runs (`sleep 1`) through 1, then 2, then 4 worker processes, each
 * running one run at a time in the process sandbox (so the 2 cores are not what limits them). Throughput is runs per
 * second from the first Dispatch to the last run's `finished_at`; the 4-to-1 ratio would be 4.0 if nothing but the
 * sleeps took time.
 */
import { performance } from "node:perf_hooks";
import { round } from "../stats.js";
import { lineChart } from "../svg-chart.js";
import { type BenchCluster, dispatchMany, SHIPPED_TIMERS, sleep, startBenchCluster } from "./harness.js";
import { formatTargets, log, target, writeSuite } from "./suite-result.js";

/** Issue 17: throughput with 4 workers at least 3.6 times that with 1. */
const TARGET_RATIO_4_TO_1 = 3.6;
const WORKER_COUNTS = [1, 2, 4] as const;
const SLEEP_S = 1;
const TERMINAL = "('done','error','timeout','interrupted')";

/** Waits until every run in `ids` is terminal; returns the epoch ms of the last `finished_at` and how many ended done. */
async function waitForRuns(
  bench: BenchCluster,
  ids: readonly string[],
  stallMs: number,
  onProgress?: (ended: number) => void,
): Promise<{ lastFinishedMs: number; done: number; ended: number }> {
  let ended = 0;
  let lastChange = performance.now();
  for (;;) {
    const row = await bench.row(
      `select count(*) filter (where status in ${TERMINAL}) as ended, count(*) filter (where status = 'done') as done,
              extract(epoch from max(finished_at)) * 1000 as last from runs where id = any($1::text[])`,
      [ids],
    );
    const now = Number(row.ended);
    onProgress?.(now);
    if (now !== ended) lastChange = performance.now();
    ended = now;
    if (ended === ids.length || performance.now() - lastChange > stallMs) {
      return { lastFinishedMs: Number(row.last), done: Number(row.done), ended };
    }
    await sleep(100);
  }
}

export async function scalingSuite(options: { runs: number }): Promise<void> {
  log(`scaling: starting cluster (NATS JetStream, Postgres, coordinator, 1 worker; process sandbox)`);
  const bench = await startBenchCluster({
    workers: 1,
    coordinatorEnv: { ...SHIPPED_TIMERS, PANCODE_LOG_LEVEL: "info" },
    workerEnv: {
      ...SHIPPED_TIMERS,
      PANCODE_SANDBOX: "process",
      PANCODE_WORKER_CONCURRENCY: "1",
      PANCODE_LOG_LEVEL: "warn",
    },
  });
  try {
    const phases: { workers: number; seconds: number; perSecond: number; done: number }[] = [];
    for (const workers of WORKER_COUNTS) {
      while (bench.cluster.workers.length < workers) await bench.cluster.startWorker();
      log(`scaling: ${options.runs} runs of sleep ${SLEEP_S} over ${workers} worker(s)`);
      const startEpoch = Date.now();
      const sent = await dispatchMany(
        bench.api,
        bench.workspace,
        options.runs,
        16,
        (i) => `sleep ${SLEEP_S} # ${workers}w ${i}`,
      );
      const result = await waitForRuns(bench, sent.ids, 60_000);
      if (result.ended !== options.runs)
        throw new Error(`${options.runs - result.ended} runs did not end (${workers} workers)`);
      const seconds = (result.lastFinishedMs - startEpoch) / 1000;
      phases.push({
        workers,
        seconds: round(seconds),
        perSecond: Math.round((options.runs / seconds) * 1000) / 1000,
        done: result.done,
      });
    }
    const [one, , four] = phases;
    const ratio4to1 = Math.round(((four?.perSecond ?? 0) / (one?.perSecond ?? 1)) * 100) / 100;
    const targets = [target("scaling.ratio4to1", ratio4to1, ">=", TARGET_RATIO_4_TO_1)];
    const ideal = phases.map((p) => [p.workers, (one?.perSecond ?? 0) * p.workers] as const);
    const chart = lineChart({
      title: `Throughput of sleep-${SLEEP_S} runs against workers (${options.runs} runs each)`,
      xLabel: "worker processes (concurrency 1 each)",
      yLabel: "runs per second",
      lines: [
        { label: "measured", points: phases.map((p) => [p.workers, p.perSecond] as const) },
        { label: "linear (1-worker figure x workers)", points: ideal },
      ],
    });
    const written = await writeSuite(
      "scaling",
      { ratio4to1, runsPerPhase: options.runs, sleepSeconds: SLEEP_S, phases },
      { targets, setup: { sandbox: "process", concurrencyPerWorker: 1 }, chart },
    );
    const lines = phases.map(
      (p) => `  ${p.workers} worker(s): ${p.seconds} s, ${p.perSecond} runs/s, ${p.done}/${options.runs} done`,
    );
    process.stdout.write(
      [
        "",
        `scaling: ${options.runs} runs of sleep ${SLEEP_S} each`,
        ...lines,
        formatTargets(targets),
        `wrote ${written.json}`,
        "",
      ].join("\n"),
    );
  } finally {
    await bench.stop();
  }
}
