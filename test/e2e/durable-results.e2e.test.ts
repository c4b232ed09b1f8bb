import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { type Cluster, startCluster, stopProcess, type WorkerProcess } from "@pancode/testing/cluster";
import { createRepo } from "@pancode/testing/git";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// Issue 14, item 1: a finished result is never thrown away. Separate processes (coordinator, worker, NATS,
// Postgres, Docker); the coordinator is killed while a run's container finishes, and in the second case the worker
// is killed too while it holds the undelivered outcome.

let cluster: Cluster;

beforeAll(async () => {
  // No configured worker id: the default one must survive a restart for the outbox to be delivered (below).
  cluster = await startCluster({ workers: 1, workerEnv: { PANCODE_WORKER_CONCURRENCY: "1", PANCODE_WORKER_ID: "" } });
});

afterAll(async () => {
  await cluster?.stop();
});

/** The shell computes the marker, so it appears in the run's output only when the command really ran. */
const MARKER = "executed-42";
const TASK = `echo "executed-$((6*7))"; sleep 5; echo result > out.txt`;

async function showRun(cwd: string, id: string): Promise<Record<string, unknown>> {
  return JSON.parse((await cluster.cli(["show", id, "--json"], { cwd })).stdout);
}

/** Dispatches the task and waits until a worker runs it. */
async function runningRun(cwd: string): Promise<string> {
  const dispatched = await cluster.cli(["dispatch", TASK, "--agent", "shell", "--json"], { cwd });
  expect(dispatched.code, dispatched.stderr).toBe(0);
  const runId = JSON.parse(dispatched.stdout).runId as string;
  await expect.poll(async () => (await showRun(cwd, runId)).status, { timeout: 60_000, interval: 200 }).toBe("running");
  return runId;
}

async function killCoordinator(): Promise<void> {
  const child = cluster.coordinatorProcess();
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGKILL");
  await exited;
}

/** The worker's log lines about `runId` with message `msg`. */
function logLines(worker: WorkerProcess, runId: string, msg: string): string[] {
  return worker
    .logs()
    .split("\n")
    .filter((line) => line.includes(runId) && line.includes(msg));
}

/** The id a worker process announced at start (`pancode worker <id> started`): its default, claimed one. */
function startedAs(worker: WorkerProcess): string {
  return /pancode worker (\S+) started/.exec(worker.logs())?.[1] ?? "(none)";
}

/** Ends `done` on attempt 1, its command ran once, and its patch is the one that run produced. */
async function expectExecutedOnce(cwd: string, runId: string): Promise<void> {
  await expect.poll(async () => (await showRun(cwd, runId)).status, { timeout: 120_000, interval: 300 }).toBe("done");
  expect((await showRun(cwd, runId)).attempt).toBe(1);
  const logs = await cluster.cli(["logs", runId], { cwd });
  expect(logs.stdout.split(MARKER).length - 1).toBe(1);
  expect((await cluster.cli(["apply", runId], { cwd })).code).toBe(0);
  expect(await readFile(join(cwd, "out.txt"), "utf8")).toBe("result\n");
}

describe("a run whose container finishes while the coordinator is down", () => {
  it("ends done with attempt 1, executed once: the worker keeps the outcome and delivers it late", async () => {
    const repo = await createRepo({ files: { "a.txt": "a\n" } });
    const worker = cluster.workers[0] as WorkerProcess;
    const runId = await runningRun(repo.dir);
    await killCoordinator();
    // The container finishes with nobody to report to: the outcome goes to the outbox, and delivery is retried.
    await expect
      .poll(() => logLines(worker, runId, "outcome recorded in the outbox").length, { timeout: 60_000 })
      .toBe(1);
    await expect
      .poll(() => logLines(worker, runId, "outcome kept in the outbox, retrying").length, { timeout: 60_000 })
      .toBeGreaterThanOrEqual(2);
    await cluster.restartCoordinator();

    await expectExecutedOnce(repo.dir, runId);
    expect(worker.logs()).not.toMatch(/delivery failed; will be redelivered/);
    // The restarted coordinator knows the worker again (its heartbeat registered it anew) before the next test.
    await expect
      .poll(() => cluster.coordinatorLogs().split("worker joined").length - 1, { timeout: 30_000 })
      .toBeGreaterThanOrEqual(2);
    await repo.cleanup();
  });
});

describe("a worker restarted while it holds an undelivered outcome", () => {
  it("delivers it after the restart: done with attempt 1, executed once", async () => {
    const repo = await createRepo({ files: { "a.txt": "a\n" } });
    const worker = cluster.workers.at(-1) as WorkerProcess;
    const runId = await runningRun(repo.dir);
    await killCoordinator();
    await expect
      .poll(() => logLines(worker, runId, "outcome recorded in the outbox").length, { timeout: 60_000 })
      .toBe(1);
    // The worker dies with the outcome only on its disk; the coordinator comes back while it is gone.
    worker.process.kill("SIGKILL");
    await stopProcess(worker.process);
    await cluster.restartCoordinator();
    const restarted = await cluster.startWorker(worker.id);
    expect(startedAs(restarted)).toBe(startedAs(worker));

    await expectExecutedOnce(repo.dir, runId);
    expect(logLines(restarted, runId, "delivering outcome kept in the outbox")).toHaveLength(1);
    await repo.cleanup();
  });
});

describe("four containers finishing during a 12 s coordinator outage (short leases)", () => {
  it("end done, each on attempt 1 and executed once: none stuck, none twice", async () => {
    const repo = await createRepo({ files: { "a.txt": "a\n" } });
    // Room for all four at once: the first worker runs one, this one the rest.
    const wide = await cluster.startWorker("wide", { PANCODE_WORKER_CONCURRENCY: "4" });
    await expect
      .poll(() => cluster.coordinatorLogs().includes(`"workerId":"${startedAs(wide)}"`), { timeout: 30_000 })
      .toBe(true);
    const runIds = await Promise.all([1, 2, 3, 4].map(() => runningRun(repo.dir)));
    await killCoordinator();
    const workers = [...cluster.workers];
    const recorded = () =>
      runIds.filter((id) => workers.some((w) => logLines(w, id, "outcome recorded in the outbox").length > 0)).length;
    await expect.poll(recorded, { timeout: 60_000 }).toBe(4);
    // The rest of the outage: every lease long expired (3 s) when the coordinator comes back.
    await sleep(12_000);
    await cluster.restartCoordinator();

    const counts = { submitted: 4, done: 0, attempt1: 0, executedOnce: 0 };
    for (const runId of runIds) {
      await expect
        .poll(async () => (await showRun(repo.dir, runId)).status, { timeout: 120_000, interval: 300 })
        .toBe("done");
      counts.done += 1;
      if ((await showRun(repo.dir, runId)).attempt === 1) counts.attempt1 += 1;
      const logs = await cluster.cli(["logs", runId], { cwd: repo.dir });
      if (logs.stdout.split(MARKER).length - 1 === 1) counts.executedOnce += 1;
    }
    process.stdout.write(`durable results, coordinator down 12 s with 4 runs finishing: ${JSON.stringify(counts)}\n`);
    expect(counts).toEqual({ submitted: 4, done: 4, attempt1: 4, executedOnce: 4 });
    await stopProcess(wide.process);
    await repo.cleanup();
  });
});
