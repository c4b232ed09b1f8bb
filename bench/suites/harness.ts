import { readFile } from "node:fs/promises";
import { performance } from "node:perf_hooks";
import { type ClientApi, clientCredentials, createClientApi } from "@pancode/proto";
import { type Cluster, type ClusterOptions, startCluster } from "@pancode/testing/cluster";
import type { FixtureRepo } from "@pancode/testing/git";
import pg from "pg";
import { uploadWorkspace } from "../../apps/cli/src/client/submit/workspace-upload.js";
import { createBenchRepo } from "../fixture.js";
import type { WorkspaceRef } from "../pipeline-run.js";

/** A started cluster with a client and a workspace already uploaded, and how to tear it all down. */
export interface BenchCluster {
  cluster: Cluster;
  api: ClientApi;
  workspace: WorkspaceRef;
  /** Runs one SQL statement that selects `count` against the cluster's Postgres. */
  count(sqlText: string, params?: unknown[]): Promise<number>;
  /** Every row of one SQL statement. */
  rows(sqlText: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  /** The first row of one SQL statement. */
  row(sqlText: string, params?: unknown[]): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

/** Shipped timers; the suites only shorten what their own measurement needs. */
export const SHIPPED_TIMERS = {
  PANCODE_HEARTBEAT_MS: "10000",
  PANCODE_LEASE_MS: "30000",
  PANCODE_ACK_WAIT_MS: "30000",
};

/**
 * PANCODE_BENCH_GAP_MS (default 500): the pause after every timed operation of the dispatch and cli benches, the
 * docker run included, so what the worker does in the background after a run (removing the used container and the
 * worktree, refilling the warm pool, which start once `done` is sent) settles before the next one is timed instead
 * of landing on it and flattering the ratio. 0 times them back to back. Read from the environment the bench was
 * started in (not a build input).
 */
export function settleGapMs(env: NodeJS.ProcessEnv): number {
  return Number(env.PANCODE_BENCH_GAP_MS ?? 500);
}

/** Starts NATS, Postgres, the coordinator and `options.workers` workers, then uploads the bench's fixture repo once. */
export async function startBenchCluster(options: ClusterOptions): Promise<BenchCluster> {
  let repo: FixtureRepo | undefined;
  let cluster: Cluster | undefined;
  let api: ClientApi | undefined;
  let db: pg.Client | undefined;
  const stop = async () => {
    api?.close();
    await db?.end().catch(() => {});
    // A worker the admissions suite paused must run again to stop on SIGTERM.
    for (const w of cluster?.workers ?? []) w.process.kill("SIGCONT");
    await cluster?.stop().catch((err: unknown) => process.stderr.write(`cluster stop failed: ${String(err)}\n`));
    await repo?.cleanup().catch(() => {});
  };
  try {
    repo = await createBenchRepo();
    cluster = await startCluster(options);
    api = createClientApi({
      address: cluster.address,
      token: cluster.clientToken,
      credentials: clientCredentials({ tls: false, caPath: "" }),
    });
    // Cold upload first (sends the history bundle), then the warm one a second dispatch from the CLI makes: its
    // reference names no bundle, so admission looks the commit up rather than recording it again.
    await uploadWorkspace(api, repo.dir);
    const workspace = (await uploadWorkspace(api, repo.dir)).ref;
    db = new pg.Client({ connectionString: cluster.databaseUrl });
    await db.connect();
    const client = db;
    const rows = async (sqlText: string, params: unknown[] = []) => (await client.query(sqlText, params)).rows;
    const row = async (sqlText: string, params: unknown[] = []) => (await rows(sqlText, params))[0] ?? {};
    const count = async (sqlText: string, params: unknown[] = []) => Number((await row(sqlText, params)).count);
    return { cluster, api, workspace, count, row, rows, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** One dispatch as the bench sends it: the shell agent, full-auto (the shell agent needs it), the given task. */
async function dispatchOne(api: ClientApi, workspace: WorkspaceRef, task: string): Promise<string> {
  const answer = await api.dispatch({
    task,
    agent: "shell",
    isolate: false,
    workspace,
    mode: "build",
    safety: "full-auto",
    model: "",
    submitter: "bench@localhost",
  });
  const id = answer.run?.id;
  if (!id) throw new Error("the coordinator answered Dispatch without a run");
  return id;
}

/**
 * Sends `total` dispatches with at most `concurrency` in flight (gRPC clients in this one process) and returns the
 * run ids and each call's latency in ms. Rejects on the first refused or failed dispatch: the suites measure
 * admissions, and a refusal would be a run silently missing from the count.
 */
export async function dispatchMany(
  api: ClientApi,
  workspace: WorkspaceRef,
  total: number,
  concurrency: number,
  task: (i: number) => string,
): Promise<{ ids: string[]; latencyMs: number[]; seconds: number }> {
  const ids: string[] = new Array(total);
  const latencyMs: number[] = new Array(total);
  let next = 0;
  const started = performance.now();
  const lane = async () => {
    for (let i = next++; i < total; i = next++) {
      const t = performance.now();
      ids[i] = await dispatchOne(api, workspace, task(i));
      latencyMs[i] = performance.now() - t;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, lane));
  return { ids, latencyMs, seconds: (performance.now() - started) / 1000 };
}

/**
 * Sends `total` dispatches with at most `concurrency` in flight, like {@link dispatchMany}, but keeps nothing per
 * run: a 10,000-run soak must not measure the bench's own arrays. Resolves with how many were admitted.
 */
export async function dispatchCount(
  api: ClientApi,
  workspace: WorkspaceRef,
  total: number,
  concurrency: number,
  task: (i: number) => string,
): Promise<number> {
  let next = 0;
  let admitted = 0;
  const lane = async () => {
    for (let i = next++; i < total; i = next++) {
      await dispatchOne(api, workspace, task(i));
      admitted++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, lane));
  return admitted;
}

/** VmRSS of a process in MiB, from /proc/<pid>/status. */
export async function rssMib(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kb = Number(status.match(/^VmRSS:\s+(\d+)\s+kB/m)?.[1]);
  return kb / 1024;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
