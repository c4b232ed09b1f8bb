import { readdir } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { createJetStreamBus, type TaskBus, type TaskSubscription } from "@pancode/bus";
import { PanCodeError } from "@pancode/core";
import { WorkspaceCache, withBundleFile } from "@pancode/git";
import { createDockerRuntime } from "@pancode/sandbox";
import { createJsonLogger, type Logger, noopLogger } from "@pancode/telemetry";
import type { Cluster } from "@pancode/testing/cluster";
import { createRepo, type FixtureRepo, makeTempDir, readTree } from "@pancode/testing/git";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadWorkerConfig } from "./config.js";
import {
  dispatch,
  type RegisteredWorker,
  registerWorker,
  showRun,
  startCoordinator,
} from "./fixtures/worker-harness.js";
import { startHeartbeat } from "./heartbeat.js";
import { JobRunner } from "./job-runner.js";
import { Outbox } from "./outbox.js";
import { OutboxSender } from "./outbox-sender.js";
import { installForwarder } from "./run-forwarder.js";

// The job runner between the real bus and the real coordinator: a task message on NATS JetStream becomes a claim, a
// Docker container on a worktree, a signed completion the coordinator accepts, and an acked message.

let cluster: Cluster;
let repo: FixtureRepo;
let worker: RegisteredWorker;
let bus: TaskBus;
let tasks: TaskSubscription;
let heartbeat: { stop(): void };
let runner: JobRunner;
/** The runner the bus hands deliveries to (a test may swap in one with a faulty part). */
let current: JobRunner;
let cacheDir: string;
let worktreeRoot: string;
let runnerOptions: ConstructorParameters<typeof JobRunner>[0];
/** What the runner, its outbox sender and its workspace cache logged, as parsed JSON lines. */
const logged: { msg: string; runId?: string }[] = [];
const log: Logger = createJsonLogger({ level: "debug", write: (line) => void logged.push(JSON.parse(line)) });

/** A cache whose worktree removal always fails, as a full or read-only disk would make it. */
class RemovalFails extends WorkspaceCache {
  override async removeWorktree(): Promise<void> {
    throw new Error("worktree removal refused (test)");
  }
}

/**
 * Plays the race of two runs of a new repository started side by side on one worker: while this run's first checkout
 * fails for want of the commit, the other run imports it (here the cache itself does, from the repository's bundle).
 */
class CommitArrivesMeanwhile extends WorkspaceCache {
  #raced = false;

  override async createWorktree(options: Parameters<WorkspaceCache["createWorktree"]>[0]) {
    if (this.#raced) return super.createWorktree(options);
    this.#raced = true;
    await withBundleFile(raceRepo.dir, options.baseCommit, (file) => this.importBundle(options.repoId, file));
    throw new PanCodeError("GIT_FAILED", "git read-tree failed: bad object (the other run's import came too late)");
  }
}
let raceRepo: FixtureRepo;

/** The messages logged for `runId`, in order. */
function messagesOf(runId: string): string[] {
  return logged.filter((line) => line.runId === runId).map((line) => line.msg);
}

beforeAll(async () => {
  cluster = await startCoordinator();
  repo = await createRepo({ files: { "a.txt": "a\n" } });
  worker = await registerWorker(cluster, "jr-1");
  const dataDir = await makeTempDir("job-runner");
  const sandbox = createDockerRuntime({ owner: { workerId: worker.id, host: hostname(), pid: process.pid } });
  const outbox = new Outbox(dataDir, noopLogger);
  const sender = new OutboxSender({ api: worker.api, outbox, workerId: worker.id, logger: log });
  cacheDir = join(dataDir, "mirrors");
  worktreeRoot = join(dataDir, "worktrees");
  runnerOptions = {
    api: worker.api,
    cache: new WorkspaceCache({ cacheDir, worktreeRoot, logger: log }),
    sandbox,
    logger: log,
    workerId: worker.id,
    agentNetwork: "",
    secrets: {},
    dataDir,
    forwarderDir: await installForwarder(dataDir),
    caps: loadWorkerConfig({}).caps,
    flushMs: 100,
    ackWaitMs: 3_000,
    signingKey: worker.signingKey,
    outbox,
    sender,
  };
  runner = new JobRunner(runnerOptions);
  current = runner;
  heartbeat = startHeartbeat({
    api: worker.api,
    workerId: worker.id,
    intervalMs: worker.registration.heartbeatIntervalMs,
    leaseMs: worker.registration.leaseMs,
    activeRunIds: () => [...new Set([...runner.activeRunIds(), ...sender.held()])],
    onCancel: (runId) => runner.stop(runId, "cancelled"),
    reregister: async () => void (await worker.register()),
    logger: noopLogger,
  });
  bus = await createJetStreamBus({
    url: cluster.natsUrl,
    user: cluster.nats.worker.user,
    pass: cluster.nats.worker.pass,
    manageStream: false,
    ackWaitMs: 3_000,
    maxDeliver: 10,
    logger: noopLogger,
  });
  tasks = await bus.consumeTasks("default", (delivery) => current.handle(delivery), { maxInFlight: 1 });
});

afterAll(async () => {
  await tasks?.stop();
  heartbeat?.stop();
  await bus?.close();
  worker?.api.close();
  await cluster?.stop();
  await repo?.cleanup();
});

describe("the job runner", () => {
  it("runs a task message in a container and hands a signed completion to the coordinator", async () => {
    const runId = await dispatch(cluster, repo.dir, "echo from-the-container > out.txt && cat a.txt");
    await expect
      .poll(async () => (await showRun(cluster, repo.dir, runId)).status, { timeout: 60_000, interval: 250 })
      .toBe("done");
    const run = await showRun(cluster, repo.dir, runId);
    expect(run).toMatchObject({ status: "done", exitCode: 0, attempt: 1, workerId: worker.id });
    // The coordinator countersigned the worker's statement: only a completion that matches the run gets a receipt.
    expect(run.receiptId).not.toBe("");
    expect(String(run.outputTail)).toContain("a");

    // The patch came back through the coordinator: applying it yields what the container wrote.
    const applied = await cluster.cli(["apply", runId], { cwd: repo.dir });
    expect(applied.code).toBe(0);
    expect((await readTree(repo.dir)).has("out.txt")).toBe(true);
    expect(runner.activeRunIds()).toEqual([]);
  });

  it("ends a run whose command fails as error, with its exit code", async () => {
    const runId = await dispatch(cluster, repo.dir, "echo going-down >&2; exit 3");
    await expect
      .poll(async () => (await showRun(cluster, repo.dir, runId)).status, { timeout: 60_000, interval: 250 })
      .toBe("error");
    const run = await showRun(cluster, repo.dir, runId);
    expect(run).toMatchObject({ exitCode: 3, workerId: worker.id });
    expect(String(run.outputTail)).toContain("going-down");
    // The first run's checkout found no mirror and fetched the bundle; this one's found the commit at once.
    expect(logged.filter((line) => line.msg === "bundle imported")).toHaveLength(1);
  });

  it("checks out again, not ends in error, when the commit arrived while its first checkout failed", async () => {
    raceRepo = await createRepo({ files: { "b.txt": "b\n" } });
    current = new JobRunner({
      ...runnerOptions,
      cache: new CommitArrivesMeanwhile({ cacheDir, worktreeRoot, logger: log }),
    });
    try {
      const runId = await dispatch(cluster, raceRepo.dir, "cat b.txt");
      await expect
        .poll(async () => (await showRun(cluster, raceRepo.dir, runId)).status, { timeout: 60_000, interval: 250 })
        .toBe("done");
      expect(messagesOf(runId).filter((msg) => msg === "worktree created")).toHaveLength(1);
    } finally {
      current = runner;
      await raceRepo.cleanup();
    }
  });

  it("removes the worktree after the completion was sent, and a removal that fails loses nothing", async () => {
    const runId = await dispatch(cluster, repo.dir, "echo kept > kept.txt");
    await expect
      .poll(async () => (await showRun(cluster, repo.dir, runId)).status, { timeout: 60_000, interval: 250 })
      .toBe("done");
    // The run is done for the coordinator before its worker gets to the cleanup: wait for that, not a timer.
    await expect.poll(() => messagesOf(runId), { timeout: 30_000 }).toContain("worktree removed");
    const messages = messagesOf(runId);
    expect(messages.indexOf("run completed")).toBeLessThan(messages.indexOf("worktree removed"));
    expect(await readdir(worktreeRoot)).not.toContain(runId);

    const failing = new JobRunner({
      ...runnerOptions,
      cache: new RemovalFails({ cacheDir, worktreeRoot, logger: log }),
    });
    current = failing;
    try {
      const kept = await dispatch(cluster, repo.dir, "echo still-delivered > delivered.txt");
      await expect
        .poll(async () => (await showRun(cluster, repo.dir, kept)).status, { timeout: 60_000, interval: 250 })
        .toBe("done");
      await expect.poll(() => messagesOf(kept), { timeout: 30_000 }).toContain("worktree removal failed");
      await failing.cleanedUp();
      const run = await showRun(cluster, repo.dir, kept);
      expect(run.receiptId).not.toBe("");
      expect((run.patch as { bytes: number }).bytes).toBeGreaterThan(0);
      // Left for the start-up reaper; the run's result is with the coordinator all the same.
      expect(await readdir(worktreeRoot)).toContain(kept);
    } finally {
      current = runner;
    }
  });
});
