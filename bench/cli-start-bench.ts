/**
 * `npm run bench` (second part): how fast the pancode client starts, against a bare `node -e 0`, and what a whole
 * `pancode dispatch "true" --agent shell --wait` costs against a bare `docker run` of the same image. The commands
 * that talk to the coordinator run against a real cluster (packages/testing: NATS, Postgres, coordinator, 1 worker)
 * and one finished shell run. Every series is measured interleaved with its baseline (one of each in turn), so
 * background load hits both alike; figures are medians of wall time from spawn to exit. A measurement, not a test:
 * it exits 0 whether the targets are met or missed, and non-zero only when it could not measure.
 *
 * ```sh
 * npm run build && bash deploy/images/build-images.sh            # once
 * tsx bench/cli-start-bench.ts
 * PANCODE_BENCH_BASELINE_CLI=/other/checkout/apps/cli/bin/pancode.js tsx bench/cli-start-bench.ts   # before/after
 * ```
 *
 * With PANCODE_BENCH_BASELINE_CLI, that CLI's `--version`, `runs` and whole `dispatch --wait` join the series,
 * interleaved.
 * PANCODE_BENCH_CLI_RUNS (default 15) and PANCODE_BENCH_DISPATCH_RUNS (default 9) set the sample counts;
 * PANCODE_BENCH_GAP_MS pauses after every timed command (see GAP_MS).
 */
import { spawn } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { type Cluster, startCluster } from "@pancode/testing/cluster";
import type { FixtureRepo } from "@pancode/testing/git";
import { BARE_ARGS } from "./docker-run.js";
import { createBenchRepo } from "./fixture.js";
import { checkPrerequisites, REPO_ROOT } from "./prerequisites.js";
import { round, roundSummary, type Summary, summarize } from "./stats.js";
import { SHIPPED_TIMERS, settleGapMs } from "./suites/harness.js";

const BENCH_DIR = fileURLToPath(new URL(".", import.meta.url));
const CLI = join(REPO_ROOT, "apps/cli/bin/pancode.js");
/** Pause after every timed command: {@link settleGapMs}. */
const GAP_MS = settleGapMs(process.env);

/** Largest median(command) / median(node -e 0) each client command may cost (issue 10, item 3). */
const START_TARGETS: Record<string, number> = { "runs --json": 3 };
const DEFAULT_START_TARGET = 2;

/** The shipped timers, so the dispatch figure is what users get (the test cluster tightens them). */
const COORDINATOR_ENV = SHIPPED_TIMERS;
const WORKER_ENV = { PANCODE_ACK_WAIT_MS: SHIPPED_TIMERS.PANCODE_ACK_WAIT_MS, PANCODE_WORKER_CONCURRENCY: "1" };

/** One command line to time: the program and its arguments. */
interface Probe {
  label: string;
  command: string;
  args: string[];
}

/** A timed series and its ratio to the baseline it was interleaved with. */
interface Series {
  label: string;
  summary: Summary;
  ratio: number;
  target?: number;
  verdict?: "PASS" | "MISS";
  samplesMs: number[];
}

function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

function count(env: string | undefined, fallback: number, least: number): number {
  const value = Number(env ?? fallback);
  return Number.isInteger(value) && value >= least ? value : fallback;
}

/** Runs `probe` to completion and resolves with the milliseconds from spawn to exit; rejects on a non-zero exit. */
function timeProbe(probe: Probe, options: { cwd: string; env: Record<string, string> }): Promise<number> {
  return new Promise((resolve, reject) => {
    let stderr = "";
    const start = performance.now();
    const child = spawn(probe.command, probe.args, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ["ignore", "ignore", "pipe"],
    });
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("exit", (code) => {
      const ms = performance.now() - start;
      if (code === 0) resolve(ms);
      else reject(new Error(`${probe.label} exited with ${code}: ${stderr.trim().split("\n").slice(-3).join(" | ")}`));
    });
  });
}

/**
 * Times every probe `runs` times, one of each in turn (after one unmeasured round), and returns each series with
 * its ratio of medians to the first probe (the baseline).
 */
async function interleaved(
  probes: Probe[],
  runs: number,
  options: { cwd: string; env: Record<string, string> },
): Promise<Series[]> {
  for (const probe of probes) await timeProbe(probe, options);
  const samples = probes.map(() => [] as number[]);
  for (let i = 0; i < runs; i++) {
    for (const [j, probe] of probes.entries()) {
      samples[j]?.push(await timeProbe(probe, options));
      await new Promise((resolve) => setTimeout(resolve, GAP_MS));
    }
  }
  const baseline = summarize(samples[0] ?? []).p50;
  return probes.map((probe, j) => {
    const summary = roundSummary(summarize(samples[j] ?? []));
    return {
      label: probe.label,
      summary,
      // Two decimals, as dispatch.ratioP50: `round` (0.1, for ms) would turn 1.28 into 1.3 and 2.04 into 2.0.
      ratio: Math.round((summary.p50 / baseline) * 100) / 100,
      samplesMs: (samples[j] ?? []).map(round),
    };
  });
}

function withVerdict(series: Series, target: number): Series {
  return { ...series, target, verdict: series.ratio <= target ? "PASS" : "MISS" };
}

const cli = (label: string, args: string[], bin = CLI): Probe => ({
  label,
  command: process.execPath,
  args: [bin, ...args],
});

/** A finished shell run to show, log and diff: it writes one file, so its patch is not empty. */
async function finishedRun(cluster: Cluster, repo: FixtureRepo): Promise<string> {
  const task = "echo measured > measured.txt && echo done";
  const result = await cluster.cli(["dispatch", task, "--agent", "shell", "--wait", "--json"], { cwd: repo.dir });
  if (result.code !== 0) throw new Error(`the run to inspect failed (exit ${result.code}): ${result.stderr.trim()}`);
  return (JSON.parse(result.stdout) as { runId: string }).runId;
}

async function measureStart(
  cluster: Cluster,
  repo: FixtureRepo,
  runId: string,
  runs: number,
  baselineCli: string | undefined,
): Promise<Series[]> {
  const probes: Probe[] = [
    { label: "node -e 0", command: process.execPath, args: ["-e", "0"] },
    cli("pancode --version", ["--version"]),
    cli("pancode runs", ["runs"]),
    cli("pancode show <id>", ["show", runId]),
    cli("pancode logs <id>", ["logs", runId]),
    cli("pancode diff <id>", ["diff", runId]),
    cli("pancode runs --json", ["runs", "--json"]),
  ];
  if (baselineCli) {
    probes.push(cli(`baseline CLI --version (${baselineCli})`, ["--version"], baselineCli));
    probes.push(cli(`baseline CLI runs (${baselineCli})`, ["runs"], baselineCli));
  }
  log(`client start-up: ${probes.length} commands, ${runs} runs each, interleaved`);
  const series = await interleaved(probes, runs, { cwd: repo.dir, env: cluster.clientEnv });
  return series.map((s, i) =>
    i === 0 || s.label.startsWith("baseline")
      ? s
      : withVerdict(s, START_TARGETS[s.label.slice(8)] ?? DEFAULT_START_TARGET),
  );
}

async function measureDispatch(
  cluster: Cluster,
  repo: FixtureRepo,
  runs: number,
  baselineCli: string | undefined,
): Promise<Series[]> {
  const dispatchArgs = ["dispatch", "true", "--agent", "shell", "--wait"];
  const probes: Probe[] = [
    { label: `docker ${BARE_ARGS.join(" ")}`, command: "docker", args: BARE_ARGS },
    cli('pancode dispatch "true" --agent shell --wait', dispatchArgs),
  ];
  // Before/after on a shared machine: the other build's whole dispatch, interleaved with this one's.
  if (baselineCli) probes.push(cli(`baseline CLI dispatch --wait (${baselineCli})`, dispatchArgs, baselineCli));
  log(`whole dispatch: ${runs} runs each, interleaved with a bare docker run`);
  return interleaved(probes, runs, { cwd: repo.dir, env: cluster.clientEnv });
}

const fmt = (ms: number) => ms.toFixed(1).padStart(8);

function table(title: string, series: Series[], baselineLabel: string): string[] {
  const width = Math.max(...series.map((s) => s.label.length)) + 2;
  const lines = [title, `${"".padEnd(width)} ${"median".padStart(8)} ${"p95".padStart(8)}   ratio`];
  for (const s of series) {
    const ratio = s.label === baselineLabel ? "" : `${s.ratio.toFixed(2)}x`;
    const verdict = s.target ? `  (target <= ${s.target}x) ${s.verdict}` : "";
    lines.push(`${s.label.padEnd(width)} ${fmt(s.summary.p50)} ${fmt(s.summary.p95)}   ${ratio}${verdict}`);
  }
  return lines;
}

async function main(env: NodeJS.ProcessEnv): Promise<number> {
  const startRuns = count(env.PANCODE_BENCH_CLI_RUNS, 15, 10);
  const dispatchRuns = count(env.PANCODE_BENCH_DISPATCH_RUNS, 9, 9);
  const { problems, warnings } = await checkPrerequisites();
  for (const w of warnings) log(`warning: ${w}`);
  if (problems.length > 0) {
    for (const p of problems) process.stderr.write(`bench cannot run: ${p}\n`);
    return 1;
  }
  let repo: FixtureRepo | undefined;
  let cluster: Cluster | undefined;
  const stop = async () => {
    await cluster?.stop().catch((err: unknown) => log(`cluster stop failed: ${(err as Error).message}`));
    await repo?.cleanup().catch(() => {});
  };
  process.once("SIGINT", () => void stop().finally(() => process.exit(130)));
  try {
    const timestamp = new Date().toISOString();
    const loadBefore = loadavg().map(round);
    repo = await createBenchRepo();
    log("starting cluster (NATS JetStream, Postgres, coordinator, 1 worker)");
    cluster = await startCluster({ workers: 1, coordinatorEnv: COORDINATOR_ENV, workerEnv: WORKER_ENV });
    const runId = await finishedRun(cluster, repo);
    const start = await measureStart(cluster, repo, runId, startRuns, env.PANCODE_BENCH_BASELINE_CLI);
    const dispatch = await measureDispatch(cluster, repo, dispatchRuns, env.PANCODE_BENCH_BASELINE_CLI);
    const report = [
      "",
      ...table(`client start-up, ${startRuns} runs each, interleaved (ms, spawn to exit)`, start, "node -e 0"),
      "",
      ...table(
        `whole dispatch, ${dispatchRuns} runs each, interleaved (ms, CLI start to exit)`,
        dispatch,
        dispatch[0]?.label ?? "",
      ),
    ];
    process.stdout.write(`${report.join("\n")}\n`);
    const setup = {
      warmPoolSize: env.PANCODE_WARM_POOL_SIZE ?? "default (2)",
      cpus: cpus().length,
      node: process.version,
      loadavgBefore: loadBefore,
      loadavgAfter: loadavg().map(round),
    };
    const dir = join(BENCH_DIR, "results");
    await mkdir(dir, { recursive: true });
    const path = join(dir, `cli-start-${timestamp.replace(/[:.]/g, "-")}.json`);
    // Whole `pancode dispatch --wait` (CLI start to exit) over a bare docker run of the same image, medians.
    const dispatchWaitRatio = dispatch[1]?.ratio ?? null;
    const result = { bench: "cli-start", timestamp, setup, start, dispatch, dispatchWaitRatio };
    await writeFile(path, `${JSON.stringify(result, null, 2)}\n`);
    process.stdout.write(`\nwrote ${path}\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`bench failed: ${(err as Error).message}\n`);
    return 1;
  } finally {
    await stop();
  }
}

process.exitCode = await main(process.env);
