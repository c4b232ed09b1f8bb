/**
 * `npm run bench`: end-to-end latency of a no-op dispatch (`true`, agent `shell`) through coordinator, NATS
 * JetStream, one worker and Docker, against a bare `docker run --rm --network none <agent image> true`. Prints
 * p50/p95/mean of both and their p50 ratio (target <= 1.5), and writes the same to bench/results/. A measurement,
 * not a test: it exits 0 whether the target is met or missed, and non-zero only when it could not measure.
 *
 * ```sh
 * npm run build && bash deploy/images/build-images.sh   # once
 * npm run bench -- --runs 30 --breakdown
 * ```
 */
import { execFile } from "node:child_process";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { createBundle } from "@pancode/git";
import { type ClientApi, clientCredentials, createClientApi } from "@pancode/proto";
import { type Cluster, startCluster } from "@pancode/testing/cluster";
import type { FixtureRepo } from "@pancode/testing/git";
import { type UploadedWorkspace, uploadWorkspace } from "../apps/cli/src/client/submit/workspace-upload.js";
import { breakDown, summarizeStages } from "./breakdown.js";
import { BARE_ARGS, hardenedArgs, timeDockerRun } from "./docker-run.js";
import { createBenchRepo } from "./fixture.js";
import { type BenchOptions, parseOptions, USAGE } from "./options.js";
import { type PipelineSample, timeDispatch } from "./pipeline-run.js";
import { checkPrerequisites } from "./prerequisites.js";
import { type BenchResult, formatReport, TARGET_RATIO, writeResult } from "./report.js";
import { round, roundSummary, summarize } from "./stats.js";
import { SHIPPED_TIMERS, settleGapMs } from "./suites/harness.js";
import { timeWorktreeCycles } from "./worktree-cycle.js";

const BENCH_DIR = fileURLToPath(new URL(".", import.meta.url));
/** Warm re-uploads timed for the "workspace upload" line (snapshot + HasCommit + state blob; no bundle). */
const UPLOAD_SAMPLES = 5;

/** The bench's own switches come from the environment it was started in (not a build input). */
function readEnv(env: NodeJS.ProcessEnv): Record<string, string | undefined> {
  return env;
}

/**
 * PANCODE_BENCH_METRICS=1: coordinator and worker serve their metrics (PANCODE_METRICS_LISTEN) and both are scraped
 * every few seconds while the bench runs, to measure what metrics cost on the hot path (run it with and without).
 */
const WITH_METRICS = readEnv(process.env).PANCODE_BENCH_METRICS === "1";
const METRICS_ENV: Record<string, string> = WITH_METRICS ? { PANCODE_METRICS_LISTEN: "127.0.0.1:0" } : {};
const SCRAPE_EVERY_MS = 5000;
/** Pause after every measured dispatch and docker run: {@link settleGapMs}. */
const GAP_MS = settleGapMs(process.env);
/**
 * The shipped defaults for the timers the test cluster tightens (heartbeat 500 ms, lease and ack wait 3 s), so the
 * bench measures what users run. Debug logs give the breakdown its markers; a few lines per run cost microseconds.
 */
const COORDINATOR_ENV = { ...SHIPPED_TIMERS, ...METRICS_ENV };
const WORKER_ENV = {
  PANCODE_ACK_WAIT_MS: SHIPPED_TIMERS.PANCODE_ACK_WAIT_MS,
  PANCODE_WORKER_CONCURRENCY: "1",
  PANCODE_LOG_LEVEL: "debug",
  ...METRICS_ENV,
};

/** Scrapes the metrics endpoints the cluster's processes logged, as Prometheus would; returns how to stop. */
function scrapeWhileRunning(cluster: Cluster): () => void {
  const logs = [cluster.coordinatorLogs(), ...cluster.workers.map((w) => w.logs())];
  const urls = logs.map((l) => l.match(/"metrics":"(http:\/\/[^"]+)"/)?.[1]).filter((u): u is string => Boolean(u));
  if (urls.length !== logs.length) throw new Error("PANCODE_BENCH_METRICS=1 but a process logged no metrics endpoint");
  const timer = setInterval(() => {
    for (const url of urls)
      void fetch(url)
        .then((r) => r.text())
        .catch(() => {});
  }, SCRAPE_EVERY_MS);
  return () => clearInterval(timer);
}

/** What must be torn down, whatever happens. */
interface Resources {
  repo?: FixtureRepo;
  cluster?: Cluster;
  api?: ClientApi;
  scratch?: string;
}

async function cleanup(res: Resources): Promise<void> {
  res.api?.close();
  await res.cluster?.stop().catch((err: unknown) => console.error(`cluster stop failed: ${(err as Error).message}`));
  await res.repo?.cleanup().catch(() => {});
  if (res.scratch) await rm(res.scratch, { recursive: true, force: true }).catch(() => {});
}

function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

async function timeUploads(api: ClientApi, dir: string): Promise<{ last: UploadedWorkspace; ms: number[] }> {
  let last = await uploadWorkspace(api, dir); // cold: sends the history bundle
  const ms: number[] = [];
  for (let i = 0; i < UPLOAD_SAMPLES; i++) {
    const start = performance.now();
    last = await uploadWorkspace(api, dir);
    ms.push(performance.now() - start);
  }
  return { last, ms };
}

async function measure(options: BenchOptions, res: Resources): Promise<BenchResult> {
  const timestamp = new Date().toISOString();
  const loadBefore = loadavg();
  res.repo = await createBenchRepo();
  log("starting cluster (NATS JetStream, Postgres, coordinator, 1 worker)");
  res.cluster = await startCluster({ workers: 1, coordinatorEnv: COORDINATOR_ENV, workerEnv: WORKER_ENV });
  const cluster = res.cluster;
  res.api = createClientApi({
    address: cluster.address,
    token: cluster.clientToken,
    credentials: clientCredentials({ tls: false, caPath: "" }),
  });
  const api = res.api;
  const stopScraping = WITH_METRICS ? scrapeWhileRunning(cluster) : () => {};
  const uploads = await timeUploads(api, res.repo.dir);
  const workspace = uploads.last.ref;

  log(`warm-up: ${options.warmup} dispatches and ${options.warmup} docker runs`);
  for (let i = 0; i < options.warmup; i++) {
    await timeDispatch(api, workspace);
    await timeDockerRun(BARE_ARGS);
  }
  // Interleaved, one at a time: background load on the machine then hits both series alike.
  log(`measuring: ${options.runs} dispatches and ${options.runs} docker runs, interleaved`);
  const samples: PipelineSample[] = [];
  const dockerMs: number[] = [];
  const settle = () => new Promise((resolve) => setTimeout(resolve, GAP_MS));
  for (let i = 0; i < options.runs; i++) {
    samples.push(await timeDispatch(api, workspace));
    await settle();
    dockerMs.push(await timeDockerRun(BARE_ARGS));
    await settle();
  }
  stopScraping();
  const pipeline = roundSummary(summarize(samples.map((s) => s.totalMs)));
  const docker = roundSummary(summarize(dockerMs));
  const ratioP50 = Math.round((pipeline.p50 / docker.p50) * 100) / 100;
  const result: BenchResult = {
    bench: "dispatch",
    timestamp,
    runs: options.runs,
    warmup: options.warmup,
    target: { ratioP50Max: TARGET_RATIO },
    verdict: ratioP50 <= TARGET_RATIO ? "PASS" : "MISS",
    ratioP50,
    pipeline,
    docker,
    workspaceUpload: roundSummary(summarize(uploads.ms)),
    setup: {
      workers: 1,
      metrics: WITH_METRICS ? `on, both processes scraped every ${SCRAPE_EVERY_MS} ms` : "off",
      coordinatorEnv: COORDINATOR_ENV,
      workerEnv: WORKER_ENV,
      workspace: "snapshotted and uploaded once before the runs; every dispatch reuses that reference",
      task: "true (agent shell: sh -c true in pancode/agent:dev)",
      order: `interleaved: dispatch, docker run, dispatch, ...; ${GAP_MS} ms pause after each`,
      cpus: cpus().length,
      node: process.version,
      docker: await dockerVersion(),
      loadavgBefore: loadBefore.map((l) => round(l)),
    },
    samples: { pipelineMs: samples.map((s) => round(s.totalMs)), dockerMs: dockerMs.map((ms) => round(ms)) },
  };
  if (options.breakdown) result.breakdown = await measureBreakdown(options, res, samples, uploads.last);
  result.setup.loadavgAfter = loadavg().map((l) => round(l));
  return result;
}

async function measureBreakdown(
  options: BenchOptions,
  res: Resources,
  samples: PipelineSample[],
  uploaded: UploadedWorkspace,
): Promise<NonNullable<BenchResult["breakdown"]>> {
  const cluster = res.cluster as Cluster;
  const stages = summarizeStages(
    breakDown(samples, cluster.coordinatorLogs(), cluster.workers.map((w) => w.logs()).join("\n")),
  );
  log(`breakdown: ${options.runs} docker runs with the sandbox's options, ${options.runs} worktree cycles`);
  res.scratch = await mkdtemp(join(tmpdir(), "pancode-bench-"));
  // The sandbox chowns the worktree to 1000:1000; a world-writable dir gives the container the same access.
  await chmod(res.scratch, 0o777);
  const hardened: number[] = [];
  for (let i = 0; i < options.runs; i++) hardened.push(await timeDockerRun(hardenedArgs(res.scratch)));
  const bundle = await createBundle(uploaded.snapshot.repoRoot, uploaded.snapshot.baseCommit);
  const cycles = await timeWorktreeCycles(uploaded.snapshot, bundle, options.runs);
  return {
    stages,
    hardenedDocker: roundSummary(summarize(hardened)),
    worktreeCycle: Object.fromEntries(Object.entries(cycles).map(([k, v]) => [k, roundSummary(summarize(v))])),
  };
}

async function dockerVersion(): Promise<string> {
  const { stdout } = await promisify(execFile)("docker", ["version", "--format", "{{.Server.Version}}"]);
  return stdout.trim();
}

async function main(): Promise<number> {
  let options: BenchOptions | "help";
  try {
    options = parseOptions(process.argv.slice(2), process.env);
  } catch (err) {
    console.error((err as Error).message);
    return 2;
  }
  if (options === "help") {
    process.stdout.write(USAGE);
    return 0;
  }
  const { problems, warnings } = await checkPrerequisites();
  for (const w of warnings) log(`warning: ${w}`);
  if (problems.length > 0) {
    for (const p of problems) console.error(`bench cannot run: ${p}`);
    return 1;
  }
  const res: Resources = {};
  // Once only: the signal handler and main's finally may both ask for it.
  let stopping: Promise<void> | undefined;
  const stopAll = () => {
    stopping ??= cleanup(res);
    return stopping;
  };
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    interrupted = true;
    log(`${signal}: stopping the cluster`);
    void stopAll().finally(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    const result = await measure(options, res);
    process.stdout.write(formatReport(result));
    const path = await writeResult(BENCH_DIR, result);
    process.stdout.write(`\nwrote ${path}\n`);
    return 0;
  } catch (err) {
    // After a signal the cluster is torn down under the running measurement; its errors say nothing new.
    if (interrupted) return 130;
    console.error(`bench failed: ${(err as Error).stack ?? String(err)}`);
    return 1;
  } finally {
    await stopAll();
  }
}

process.exitCode = await main();
