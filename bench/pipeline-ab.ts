/**
 * Two builds' pipelines side by side: a cluster of this checkout's build and one of another checkout's (a baseline,
 * e.g. main) are up at once, and their no-op dispatches alternate (which goes first swaps every round), with a bare
 * `docker run` after each pair. Load swings on a shared machine then hit both builds alike, which two bench runs one
 * after the other cannot promise. Prints both p50s, their ratios to the docker run, and the median of the paired
 * differences, and the p50 of each breakdown stage (bench/breakdown.ts) of both builds side by side. Not part of
 * `npm run bench`.
 *
 * PANCODE_BENCH_GAP_MS (default 0) pauses that long after every timed operation: work a build leaves in the
 * background after its run ended (removing containers and worktrees, refilling the warm pool) then settles before
 * the next measurement instead of landing on it, whichever build or the docker run comes next.
 * PANCODE_BENCH_WHOLE_CLI=1 times each build's own whole `pancode dispatch "true" --agent shell --wait` (CLI process
 * start to exit, against its own cluster) instead of the pipeline: `cli.dispatchWaitRatio`'s command, A/B.
 *
 * ```sh
 * PANCODE_BENCH_BASELINE_ROOT=/work/main npx tsx bench/pipeline-ab.ts   # PANCODE_BENCH_RUNS, default 20
 * ```
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { type ClientApi, clientCredentials, createClientApi } from "@pancode/proto";
import { type Cluster, type ClusterOptions, startCluster } from "@pancode/testing/cluster";
import { uploadWorkspace } from "../apps/cli/src/client/submit/workspace-upload.js";
import { breakDown, STAGES, summarizeStages } from "./breakdown.js";
import { BARE_ARGS, timeDockerRun } from "./docker-run.js";
import { createBenchRepo } from "./fixture.js";
import { type PipelineSample, timeDispatch, type WorkspaceRef } from "./pipeline-run.js";
import { REPO_ROOT } from "./prerequisites.js";
import { summarize } from "./stats.js";
import { SHIPPED_TIMERS } from "./suites/harness.js";

/** The shipped timer defaults, as dispatch-bench runs them. */
const OPTIONS: ClusterOptions = {
  workers: 1,
  coordinatorEnv: SHIPPED_TIMERS,
  // Debug logs give the breakdown its markers (as in dispatch-bench).
  workerEnv: {
    PANCODE_ACK_WAIT_MS: SHIPPED_TIMERS.PANCODE_ACK_WAIT_MS,
    PANCODE_WORKER_CONCURRENCY: "1",
    PANCODE_LOG_LEVEL: "debug",
  },
};
const WARMUP = 2;

interface Side {
  name: string;
  cluster: Cluster;
  api: ClientApi;
  workspace: WorkspaceRef;
  /** The build's own client, for PANCODE_BENCH_WHOLE_CLI. */
  cli: string;
  samples: PipelineSample[];
  /** Whole `dispatch --wait` times (PANCODE_BENCH_WHOLE_CLI), else the samples' totals. */
  ms: number[];
}

/** The other checkout's own startCluster, so its cluster runs its own build. */
async function baselineStart(root: string): Promise<(o: ClusterOptions) => Promise<Cluster>> {
  const module = join(root, "packages/testing/src/cluster.ts");
  if (!existsSync(module)) throw new Error(`no ${module}: set PANCODE_BENCH_BASELINE_ROOT to a built checkout`);
  return ((await import(module)) as { startCluster: typeof startCluster }).startCluster;
}

async function side(name: string, cluster: Cluster, repoDir: string, root: string): Promise<Side> {
  const api = createClientApi({
    address: cluster.address,
    token: cluster.clientToken,
    credentials: clientCredentials({ tls: false, caPath: "" }),
  });
  const workspace = (await uploadWorkspace(api, repoDir)).ref;
  for (let i = 0; i < WARMUP; i++) await timeDispatch(api, workspace);
  return { name, cluster, api, workspace, cli: join(root, "apps/cli/bin/pancode.js"), samples: [], ms: [] };
}

/** Milliseconds of a whole `pancode dispatch "true" --agent shell --wait` of `s`'s client against its cluster. */
function timeWholeCli(s: Side, repoDir: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(process.execPath, [s.cli, "dispatch", "true", "--agent", "shell", "--wait"], {
      cwd: repoDir,
      env: { ...process.env, ...s.cluster.clientEnv },
      stdio: "ignore",
    });
    child.on("error", reject);
    child.on("exit", (code) => {
      if (code === 0) resolve(performance.now() - start);
      else reject(new Error(`${s.name}: pancode dispatch --wait exited with ${code}`));
    });
  });
}

/** One timed dispatch of `s`: the pipeline (kept for the breakdown), or the whole CLI. */
async function timeOne(s: Side, repoDir: string, wholeCli: boolean): Promise<void> {
  if (wholeCli) {
    s.ms.push(await timeWholeCli(s, repoDir));
    return;
  }
  const sample = await timeDispatch(s.api, s.workspace);
  s.samples.push(sample);
  s.ms.push(sample.totalMs);
}

/** The bench's own switches come from the environment it was started in (not a build input). */
function readEnv(env: NodeJS.ProcessEnv): Record<string, string | undefined> {
  return env;
}

function median(values: number[]): number {
  return summarize(values).p50;
}

/** The p50 of every breakdown stage, one column per build. */
function stageTable(sides: Side[]): string {
  const stages = sides.map((s) => {
    const workerLogs = s.cluster.workers.map((w) => w.logs()).join("\n");
    return summarizeStages(breakDown(s.samples, s.cluster.coordinatorLogs(), workerLogs));
  });
  const rows = [`${"stage p50 (ms)".padEnd(50)}${sides.map((s) => s.name.padStart(14)).join("")}`];
  for (const [i, stage] of STAGES.entries()) {
    const cells = stages.map((st) => (st[i]?.summary.p50 ?? Number.NaN).toFixed(1).padStart(14));
    rows.push(`${stage.name.padEnd(50)}${cells.join("")}`);
  }
  return rows.join("\n");
}

async function main(): Promise<void> {
  const env = readEnv(process.env);
  const root = env.PANCODE_BENCH_BASELINE_ROOT;
  if (!root) throw new Error("set PANCODE_BENCH_BASELINE_ROOT to the baseline checkout (built), e.g. /work/main");
  const runs = Number(env.PANCODE_BENCH_RUNS ?? 20);
  const gapMs = Number(env.PANCODE_BENCH_GAP_MS ?? 0);
  const wholeCli = env.PANCODE_BENCH_WHOLE_CLI === "1";
  const loadBefore = loadavg();
  const repo = await createBenchRepo();
  const sides: Side[] = [];
  try {
    sides.push(await side("baseline", await (await baselineStart(root))(OPTIONS), repo.dir, root));
    sides.push(await side("this build", await startCluster(OPTIONS), repo.dir, REPO_ROOT));
    // The clients' first start (module cache, the fixture repo's first snapshot) is not measured.
    if (wholeCli) for (const s of sides) await timeWholeCli(s, repo.dir);
    const docker: number[] = [];
    const settle = () => new Promise((resolve) => setTimeout(resolve, gapMs));
    for (let i = 0; i < runs; i++) {
      for (const s of i % 2 === 0 ? sides : [...sides].reverse()) {
        await timeOne(s, repo.dir, wholeCli);
        await settle();
      }
      docker.push(await timeDockerRun(BARE_ARGS));
      await settle();
    }
    const fmt = (l: number[]) => l.map((x) => x.toFixed(1)).join(" ");
    const what = wholeCli ? "whole pancode dispatch --wait" : "pipeline";
    const out = [`${what}, ${runs} runs each, gap ${gapMs} ms, load average ${fmt(loadBefore)} -> ${fmt(loadavg())}`];
    out.push(`docker run --rm          p50 ${median(docker).toFixed(1)} ms`);
    const totals = sides.map((s) => s.ms);
    for (const [i, s] of sides.entries()) {
      const p50 = median(totals[i] as number[]);
      out.push(`${s.name.padEnd(24)} p50 ${p50.toFixed(1)} ms, ratio ${(p50 / median(docker)).toFixed(2)}`);
    }
    const [base, mine] = totals as [number[], number[]];
    out.push(`paired baseline - this build: median ${median(base.map((b, i) => b - (mine[i] ?? b))).toFixed(1)} ms`);
    if (!wholeCli) out.push("", stageTable(sides));
    process.stdout.write(`${out.join("\n")}\n`);
  } finally {
    for (const s of sides) {
      s.api.close();
      await s.cluster.stop();
    }
    await repo.cleanup();
  }
}

await main();
