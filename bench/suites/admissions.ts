/**
 * Admissions suite: how many dispatches per second the coordinator admits, every gate and audit entry included,
 * with the workspace uploaded once and the runs left queued (the one worker, which gate 10 needs to be live, is
 * paused with SIGSTOP so nothing consumes them). Counts runs and audit entries afterwards: none may be lost.
 */
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { cpuMsOf, postmasterPid, runQueueWaitMs, treeCpuMs } from "../process-cpu.js";
import { round, roundSummary, summarize } from "../stats.js";
import { distributionChart } from "../svg-chart.js";
import { type BenchCluster, dispatchMany, SHIPPED_TIMERS, sleep, startBenchCluster } from "./harness.js";
import { formatTargets, log, target, writeSuite } from "./suite-result.js";

/** Issue 17: at least 1,000 admitted dispatches per second on the 2-core bench machine. */
const TARGET_PER_SECOND = 1000;
const WARMUP = 200;
/**
 * A worker counts as live for three heartbeat intervals after its last heartbeat; the paused one must stay live
 * (gate 10) for the whole measurement, which takes longer than the shipped 30 s when admissions are slow.
 */
const PAUSED_WORKER_STAYS_LIVE = { PANCODE_HEARTBEAT_MS: "120000" };

const round2 = (x: number) => Math.round(x * 100) / 100;

/** CPU used so far by the processes that share the machine's cores during the measurement. */
function cpuNow(bench: BenchCluster): {
  coordinator: number;
  coordinatorWaitingForCpu: number;
  benchClient: number;
  postgres: number;
  nats: number;
} {
  const usage = process.cpuUsage();
  const coordinator = bench.cluster.coordinatorProcess().pid;
  const socketUrl = bench.cluster.postgresServer?.socketUrl;
  return {
    coordinator: cpuMsOf(coordinator),
    // Runnable but not running: the machine's other load, not the coordinator's own work.
    coordinatorWaitingForCpu: runQueueWaitMs(coordinator),
    benchClient: (usage.user + usage.system) / 1000,
    postgres: socketUrl ? treeCpuMs(postmasterPid(socketUrl)) : 0,
    nats: cpuMsOf(bench.cluster.natsServer.pid()),
  };
}

/**
 * Share of one core each process used over the measured window (1 = a whole core busy): a process near 1 is the
 * bottleneck; a coordinator well under 1 was waiting on Postgres, the bench client or the machine.
 */
function coresUsed(
  before: ReturnType<typeof cpuNow>,
  after: ReturnType<typeof cpuNow>,
  seconds: number,
): Record<keyof typeof before, number> {
  const share = (k: keyof typeof before) => round2((after[k] - before[k]) / 1000 / seconds);
  return {
    coordinator: share("coordinator"),
    benchClient: share("benchClient"),
    coordinatorWaitingForCpu: share("coordinatorWaitingForCpu"),
    postgres: share("postgres"),
    nats: share("nats"),
  };
}

/**
 * CPU ms each process spent per admission: what the cores must supply for one admission, whatever else the machine
 * is doing (the rate on a loaded machine is the cores left over divided by this).
 */
function cpuMsPerAdmission(
  before: ReturnType<typeof cpuNow>,
  after: ReturnType<typeof cpuNow>,
  admissions: number,
): Record<"coordinator" | "benchClient" | "postgres" | "nats" | "all", number> {
  const per = (k: "coordinator" | "benchClient" | "postgres" | "nats") => round2((after[k] - before[k]) / admissions);
  const each = { coordinator: per("coordinator"), benchClient: per("benchClient"), postgres: per("postgres") };
  const nats = per("nats");
  // Everything the 2 cores must supply per admission: 1,000/s needs this under 2 ms.
  return { ...each, nats, all: round2(each.coordinator + each.benchClient + each.postgres + nats) };
}

/**
 * Transactions committed in the cluster's database so far (pg_stat_database): every autocommit statement is one,
 * a transaction of many statements is one. Statistics are flushed by each backend at most once a second, hence the
 * wait (and a fresh snapshot: the stats view is otherwise frozen within a transaction, which this is not).
 */
async function statementsSoFar(bench: BenchCluster): Promise<number> {
  await sleep(1500);
  return bench.count(
    "select xact_commit + xact_rollback as count from pg_stat_database where datname = current_database()",
  );
}

/** The bench's own switches come from the environment it was started in (not a build input). */
function benchEnv(env: NodeJS.ProcessEnv): Record<string, string | undefined> {
  return env;
}

/**
 * Samples pg_stat_activity every 50 ms while the dispatches run: how many of the coordinator's sessions are running
 * a statement, waiting on a lock (the budget row, the audit chain's advisory lock), or idle in a transaction waiting
 * for the coordinator to send the next statement. Where admission time goes, from the database's side.
 */
function sampleWaits(bench: BenchCluster): {
  stop(): Promise<{ samples: number; meanSessions: Record<string, number> }>;
} {
  const totals: Record<string, number> = {};
  let samples = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      // A sample that fails (the cluster stopping under it) ends the sampling, never the bench.
      const rows = await sampleOnce(bench).catch(() => undefined);
      if (!rows) break;
      samples++;
      for (const r of rows) totals[String(r.what)] = (totals[String(r.what)] ?? 0) + Number(r.count);
      await sleep(50);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      const meanSessions = Object.fromEntries(
        Object.entries(totals)
          .filter(([what]) => what !== "idle")
          .map(([what, n]) => [what, round(n / Math.max(samples, 1))]),
      );
      return { samples, meanSessions };
    },
  };
}

function sampleOnce(bench: BenchCluster): Promise<Record<string, unknown>[]> {
  return bench.rows(
    `select case when wait_event_type = 'Lock' then 'lock:' || wait_event
                 when state = 'idle in transaction' then 'idle in transaction (waiting for the coordinator)'
                 when state = 'active' then 'running a statement' else state end as what, count(*) as count
     from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid() and backend_type = 'client backend'
     group by 1`,
  );
}

export async function admissionsSuite(options: { admissions: number; concurrency: number }): Promise<void> {
  // PANCODE_BENCH_CPU_PROF=<dir>: the coordinator writes a V8 CPU profile there when it stops (open it in Chrome
  // DevTools or speedscope); how bench/README.md's "where the time goes" was found.
  const profDir = benchEnv(process.env).PANCODE_BENCH_CPU_PROF;
  const preload = fileURLToPath(new URL("../cpu-profile-preload.cjs", import.meta.url));
  const coordinatorEnv: Record<string, string> = {
    ...SHIPPED_TIMERS,
    ...PAUSED_WORKER_STAYS_LIVE,
    PANCODE_LOG_LEVEL: "info",
    ...(profDir ? { NODE_OPTIONS: `--require ${preload}`, PANCODE_BENCH_CPU_PROF: profDir } : {}),
  };
  log("admissions: starting cluster (NATS JetStream, Postgres, coordinator, 1 paused worker)");
  const bench = await startBenchCluster({
    workers: 1,
    coordinatorEnv,
    workerEnv: {
      ...SHIPPED_TIMERS,
      ...PAUSED_WORKER_STAYS_LIVE,
      PANCODE_SANDBOX: "process",
      PANCODE_LOG_LEVEL: "info",
    },
  });
  try {
    // The worker stays registered and live (its last heartbeat counts for three intervals) but consumes nothing.
    for (const w of bench.cluster.workers) w.process.kill("SIGSTOP");
    const task = (i: number) => `true # admission ${i}`;
    await dispatchMany(bench.api, bench.workspace, WARMUP, options.concurrency, (i) => task(-1 - i));
    log(`admissions: ${options.admissions} dispatches, ${options.concurrency} in flight`);
    const loadAtStart = round(loadavg()[0] ?? 0);
    const waits = sampleWaits(bench);
    const cpuBefore = cpuNow(bench);
    const statementsBefore = await statementsSoFar(bench);
    const sent = await dispatchMany(bench.api, bench.workspace, options.admissions, options.concurrency, task);
    const cpuAfter = cpuNow(bench);
    const cores = coresUsed(cpuBefore, cpuAfter, sent.seconds);
    const cpuMs = cpuMsPerAdmission(cpuBefore, cpuAfter, options.admissions);
    const postgresWaits = await waits.stop();
    const transactions = (await statementsSoFar(bench)) - statementsBefore - postgresWaits.samples - 2;
    const transactionsPerAdmission = round(transactions / options.admissions);
    if (profDir) {
      bench.cluster.coordinatorProcess().kill("SIGUSR2");
      await sleep(2000);
    }
    const expected = WARMUP + options.admissions;
    const runs = await bench.count("select count(*) from runs");
    const admittedEntries = await bench.count("select count(*) from audit_log where action = 'admitted'");
    const published = await bench.count("select count(*) from runs where published_at is not null");
    // The audit chain must still verify after the burst (`pancode audit verify` exits 0 on PASS).
    const verify = await bench.cluster.cli(["audit", "verify"], { cwd: process.cwd(), timeoutMs: 120_000 });
    const auditVerified = verify.code === 0;
    const perSecond = round(options.admissions / sent.seconds);
    const latency = roundSummary(summarize(sent.latencyMs));
    const figures = {
      perSecond,
      dispatches: options.admissions,
      concurrency: options.concurrency,
      seconds: round(sent.seconds),
      latencyMs: latency,
      runsCounted: runs,
      auditAdmittedCounted: admittedEntries,
      publishedCounted: published,
      auditVerified,
      lost: expected - Math.min(runs, admittedEntries),
      postgresWaits,
      coresUsed: cores,
      cpuMsPerAdmission: cpuMs,
      transactionsPerAdmission,
      loadAverageAtStart: loadAtStart,
    };
    const targets = [
      target("admissions.perSecond", perSecond, ">=", TARGET_PER_SECOND),
      target("admissions.lost", figures.lost, "<=", 0),
      target("admissions.auditVerifyFailed", auditVerified ? 0 : 1, "<=", 0),
    ];
    const chart = distributionChart({
      title: `Dispatch call latency at ${perSecond}/s (${options.concurrency} in flight)`,
      yLabel: "ms per Dispatch call",
      series: [{ label: `${options.admissions} admissions`, values: sent.latencyMs }],
    });
    const written = await writeSuite("admissions", figures, {
      targets,
      setup: {
        warmup: WARMUP,
        coordinatorEnv,
        worker: "1, paused (SIGSTOP) so runs stay queued; heartbeat 120 s so it stays live",
      },
      chart,
    });
    process.stdout.write(
      [
        "",
        `admissions: ${options.admissions} dispatches in ${figures.seconds} s, ${options.concurrency} in flight`,
        `  Dispatch latency p50 ${latency.p50} ms, p95 ${latency.p95} ms`,
        `  counted after: ${runs} runs, ${admittedEntries} admitted audit entries, ${published} published (expected ${expected}); audit verify ${auditVerified ? "PASS" : `FAILED: ${verify.stdout}${verify.stderr}`.trim()}`,
        `  Postgres sessions of the coordinator, mean over ${postgresWaits.samples} samples: ${Object.entries(
          postgresWaits.meanSessions,
        )
          .map(([k, v]) => `${k} ${v}`)
          .join(", ")}`,
        `  Postgres transactions per admission (a lone statement is one; a whole transaction is one): ${transactionsPerAdmission}`,
        `  CPU ms per admission: ${Object.entries(cpuMs)
          .map(([k, v]) => `${k} ${v}`)
          .join(", ")}`,
        `  cores used (1 = one core busy): ${Object.entries(cores)
          .map(([k, v]) => `${k} ${v}`)
          .join(", ")}; load average at start ${loadAtStart}`,
        formatTargets(targets),
        `wrote ${written.json}`,
        "",
      ].join("\n"),
    );
  } finally {
    await bench.stop();
  }
}
