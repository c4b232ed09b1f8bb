/**
 * Harness of the fault suite (test/faults/*.e2e.test.ts): a real cluster of separate processes
 * (packages/testing/src/cluster.ts: Postgres, NATS JetStream, coordinator, workers, Docker) plus the faults an
 * operator's bad day brings: a coordinator SIGKILLed or frozen (SIGSTOP), Postgres stopped, NATS SIGKILLed, the task
 * stream deleted, a worker SIGKILLed and started again on its data dir. Each scenario starts its own cluster, so a
 * fault that breaks one cluster cannot leak into the next scenario.
 *
 * Counting: run outcomes come from the coordinator's database, executions from the Docker engine's container
 * `start` events (see run-accounting.ts and container-starts.ts). Runs are `shell` commands such as
 * `sleep 2; echo ok`: no model, so nothing but the fault decides the outcome.
 *
 * Timing: leases of 3 s and heartbeats of 0.5 s (the cluster's defaults for tests), ack wait 3 s, so a lost lease
 * or delivery shows within seconds and each scenario stays well under a minute when the system behaves.
 */
import type { ChildProcess } from "node:child_process";
import { openTaskStreamAdmin } from "@pancode/bus";
import { type Cluster, startCluster, type WorkerProcess } from "@pancode/testing/cluster";
import { createRepo, type FixtureRepo } from "@pancode/testing/git";
import { queryRows } from "@pancode/testing/postgres";
import { ContainerStarts } from "./container-starts.js";
import { type Submitted, settleAndCount, type Tally } from "./run-accounting.js";

/** A cluster under faults, with a repository to dispatch from and the engine's record of executions. */
export interface FaultCluster {
  cluster: Cluster;
  repo: FixtureRepo;
  containers: ContainerStarts;
  /** Everything this scenario submitted, in order. */
  submitted: Submitted[];
  /** Runs whose container was running on a worker this scenario SIGKILLed: they may execute twice. */
  killedMidRun: string[];
}

/** Starts a fresh cluster (own Postgres, NATS, data dirs) with `workers` workers of `concurrency` slots each. */
export async function startFaultCluster(options: {
  workers: number;
  concurrency: number;
  coordinatorEnv?: Record<string, string>;
}): Promise<FaultCluster> {
  const containers = ContainerStarts.follow();
  let cluster: Cluster | undefined;
  try {
    cluster = await startCluster({
      workers: 0,
      // Executions are counted from the engine's start events of containers labelled with the run id. A warm
      // container starts before its run exists and cannot be relabelled, so the suite runs without the pool (its own
      // tests are test/e2e/warm-pool.e2e and packages/sandbox's warm-pool.int).
      workerEnv: { PANCODE_WORKER_CONCURRENCY: String(options.concurrency), PANCODE_WARM_POOL_SIZE: "0" },
      coordinatorEnv: options.coordinatorEnv,
    });
    // Workers start at once (each takes seconds to come up on a busy machine); ids w1, w2, ... as startCluster's.
    const started = cluster;
    await Promise.all(Array.from({ length: options.workers }, (_, i) => started.startWorker(`w${i + 1}`)));
    const repo = await createRepo({ files: { "README.md": "fault suite\n" } });
    return { cluster, repo, containers, submitted: [], killedMidRun: [] };
  } catch (err) {
    await cluster?.stop();
    await containers.stop([]);
    throw err;
  }
}

/**
 * Stops everything the scenario started, including containers its killed workers left behind. The services are
 * SIGKILLed first: after a fault a graceful stop may wait out its grace, and how they stop is not under test here.
 */
export async function stopFaultCluster(fc: FaultCluster | undefined): Promise<void> {
  if (!fc) return;
  const runIds = await allRunIds(fc).catch(() => []);
  const services = [fc.cluster.coordinatorProcess(), ...fc.cluster.workers.map((w) => w.process)];
  await Promise.all(services.map(killProcess));
  await fc.cluster.stop();
  await fc.containers.stop(runIds);
  await fc.repo.cleanup();
}

async function killProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGKILL");
  await exited;
}

/** Every run id the scenario's work produced (plain runs, batch items, chain steps). */
async function allRunIds(fc: FaultCluster): Promise<string[]> {
  const rows = await queryRows(fc.cluster.databaseUrl, "select id from runs");
  return rows.map((r) => r[0] as string);
}

/** Runs `pancode <args> --json` and returns the parsed document, or throws with the CLI's output. */
async function cliJson(fc: FaultCluster, args: string[]): Promise<Record<string, unknown>> {
  const result = await fc.cluster.cli([...args, "--json"], { cwd: fc.repo.dir });
  if (result.code !== 0) throw new Error(`pancode ${args[0]} exited ${result.code}: ${result.stderr}`);
  return JSON.parse(result.stdout) as Record<string, unknown>;
}

/** Dispatches each task as a `shell` run, three at a time, and follows the runs. */
export async function dispatchRuns(fc: FaultCluster, tasks: readonly string[]): Promise<string[]> {
  const runIds: string[] = [];
  for (let i = 0; i < tasks.length; i += 3) {
    const chunk = tasks.slice(i, i + 3);
    const ids = await Promise.all(
      chunk.map(async (task) => String((await cliJson(fc, ["dispatch", task, "--agent", "shell"])).runId)),
    );
    runIds.push(...ids);
  }
  fc.submitted.push(...runIds.map((runId) => ({ kind: "run" as const, runId })));
  return runIds;
}

/**
 * Dispatches one `shell` run when the cluster may refuse it (a fault is on). Exit 0: the run is followed. Any other
 * exit: if the coordinator kept a row for the task anyway, that run is followed (it must still end); if not, the
 * dispatch counts as cleanly refused. Returns the CLI's exit code.
 */
export async function dispatchDuringFault(fc: FaultCluster, task: string): Promise<number> {
  const result = await fc.cluster.cli(["dispatch", task, "--agent", "shell", "--json"], {
    cwd: fc.repo.dir,
    timeoutMs: 60_000,
  });
  if (result.code === 0) {
    fc.submitted.push({ kind: "run", runId: String(JSON.parse(result.stdout).runId) });
    return result.code;
  }
  const kept = await queryRows(
    fc.cluster.databaseUrl,
    `select id from runs where task = '${task.replace(/'/g, "''")}'`,
  );
  const firstLine = result.stderr.trim().split("\n")[0] ?? "";
  if (kept[0]?.[0]) fc.submitted.push({ kind: "run", runId: kept[0][0] });
  else fc.submitted.push({ kind: "refused", reason: `refused, exit ${result.code}, no row: ${firstLine}` });
  return result.code;
}

/** Starts a batch of `shell` tasks (not waited for) and follows its items. */
export async function startBatch(fc: FaultCluster, tasks: readonly string[], concurrency: number): Promise<string> {
  const args = ["batch", ...tasks.flatMap((t) => ["--task", t]), "--agent", "shell"];
  const json = await cliJson(fc, [...args, "--concurrency", String(concurrency), "--stagger-ms", "100"]);
  const batchId = String(json.batchId);
  fc.submitted.push({ kind: "batch", batchId, items: tasks.length });
  return batchId;
}

/** Starts a chain of `shell` steps (not waited for) and follows its steps. */
export async function startChain(fc: FaultCluster, steps: readonly string[]): Promise<string> {
  const json = await cliJson(fc, ["chain", ...steps.flatMap((s) => ["--step", `shell:${s}`])]);
  const chainId = String(json.chainId);
  fc.submitted.push({ kind: "chain", chainId, steps: steps.length });
  return chainId;
}

/** Waits (polling the database) until at least `count` runs of the scenario are `running` or done. */
export async function waitForRuns(
  fc: FaultCluster,
  count: number,
  states: readonly string[] = ["running"],
  timeoutMs = 60_000,
): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  const list = states.map((s) => `'${s}'`).join(",");
  for (;;) {
    const rows = await queryRows(fc.cluster.databaseUrl, `select id from runs where status in (${list})`);
    if (rows.length >= count) return rows.map((r) => r[0] as string);
    if (Date.now() > deadline) throw new Error(`only ${rows.length} of ${count} runs reached ${list}`);
    await sleep(200);
  }
}

/** Waits until the engine saw a container of each run start (and, with `finished`, exit). */
export async function waitForContainers(
  fc: FaultCluster,
  runIds: readonly string[],
  options: { finished?: boolean; timeoutMs?: number } = {},
): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  const ready = (id: string) => (options.finished ? fc.containers.finished(id) : fc.containers.executions(id) > 0);
  while (!runIds.every(ready)) {
    if (Date.now() > deadline) throw new Error(`containers of ${runIds.filter((id) => !ready(id))} not seen`);
    await sleep(100);
  }
}

/** Counts what became of the scenario's work, with a bound (default 60 s) from now, the end of the fault. */
export function settle(fc: FaultCluster, scenario: string, boundMs = 60_000): Promise<Tally> {
  return settleAndCount({
    scenario,
    databaseUrl: fc.cluster.databaseUrl,
    submitted: fc.submitted,
    containers: fc.containers,
    killedMidRun: fc.killedMidRun,
    boundMs,
  });
}

// ---- faults -------------------------------------------------------------------------------------------------

/** SIGKILLs the coordinator and waits until it is gone. */
export function killCoordinator(fc: FaultCluster): Promise<void> {
  return killProcess(fc.cluster.coordinatorProcess());
}

/** Starts the coordinator again on the same address, data dir and database. */
export function restartCoordinator(fc: FaultCluster): Promise<void> {
  return fc.cluster.restartCoordinator();
}

/** Freezes the coordinator (SIGSTOP): its sockets stay open but nothing answers, like a long GC pause or a hung host. */
export function freezeCoordinator(fc: FaultCluster): void {
  fc.cluster.coordinatorProcess().kill("SIGSTOP");
}

/** Lets a frozen coordinator go on (SIGCONT). */
export function thawCoordinator(fc: FaultCluster): void {
  fc.cluster.coordinatorProcess().kill("SIGCONT");
}

/** Stops Postgres (fast shutdown: connections cut), keeping its data. */
export function stopPostgres(fc: FaultCluster): Promise<void> {
  return requirePostgres(fc).halt();
}

/** Starts Postgres again on the same port with the same data. */
export function startPostgres(fc: FaultCluster): Promise<void> {
  return requirePostgres(fc).restart();
}

function requirePostgres(fc: FaultCluster) {
  const server = fc.cluster.postgresServer;
  if (!server) throw new Error("this cluster runs without its own Postgres");
  return server;
}

/** SIGKILLs NATS, keeping its JetStream store dir. */
export function killNats(fc: FaultCluster): Promise<void> {
  return fc.cluster.natsServer.kill();
}

/** Starts NATS again on the same port with the same store dir. */
export function restartNats(fc: FaultCluster): Promise<void> {
  return fc.cluster.natsServer.restart();
}

/** Deletes the JetStream task stream (its messages and consumers) as the coordinator's NATS user. */
export async function deleteTaskStream(fc: FaultCluster): Promise<void> {
  const { user, pass } = fc.cluster.nats.coordinator;
  const admin = await openTaskStreamAdmin({ url: fc.cluster.natsUrl, user, pass });
  try {
    if (!(await admin.deleteStream())) throw new Error("there was no task stream to delete");
  } finally {
    await admin.close();
  }
}

/**
 * SIGKILLs a worker and waits until it is gone. The runs whose container was running on it at that moment are
 * recorded as really killed: they alone may execute twice. The engine is asked just before and just after the kill
 * (containers outlive their worker), so a container that exits in between is not missed.
 */
export async function killWorker(fc: FaultCluster, worker: WorkerProcess): Promise<string[]> {
  const candidates = await allRunIds(fc);
  const before = await fc.containers.runningOn(worker.id, candidates);
  await killProcess(worker.process);
  const after = await fc.containers.runningOn(worker.id, candidates);
  const midRun = [...new Set([...before, ...after])];
  fc.killedMidRun.push(...midRun);
  return midRun;
}

/** Starts a worker again with the same id and data dir (so it finds what it kept there). */
export function restartWorker(fc: FaultCluster, id: string): Promise<WorkerProcess> {
  return fc.cluster.startWorker(id);
}

/** The worker process with this id that is alive now. */
export function liveWorker(fc: FaultCluster, id: string): WorkerProcess {
  const worker = fc.cluster.workers.find((w) => w.id === id && w.process.exitCode === null && !w.process.signalCode);
  if (!worker) throw new Error(`no live worker ${id}`);
  return worker;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
