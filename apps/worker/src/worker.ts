import { readFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { loadClusterConfig, runtimeNames } from "@pancode/agents";
import { createInProcessBus, createJetStreamBus, type TaskBus, type TaskSubscription } from "@pancode/bus";
import { PanCodeError } from "@pancode/core";
import { WorkspaceCache } from "@pancode/git";
import { clientCredentials, createWorkerApi } from "@pancode/proto";
import { loadOrCreateSigningKey } from "@pancode/receipts";
import { type ContainerRuntime, createDockerRuntime, createProcessRuntime } from "@pancode/sandbox";
import type { Logger, Metrics } from "@pancode/telemetry";
import type { WorkerConfig } from "./config.js";
import { startHeartbeat } from "./heartbeat.js";
import { runtimesOf } from "./image-runtimes.js";
import { JobRunner } from "./job-runner.js";
import { discoverModels, type ModelAccess, priceTableOf, startModelProbe, warnProblems } from "./model-discovery.js";
import { installClient, resolveClientDir } from "./nested-dispatch.js";
import { Outbox } from "./outbox.js";
import { OutboxSender } from "./outbox-sender.js";
import { ensurePrivateDir } from "./private-dir.js";
import { installForwarder } from "./run-forwarder.js";
import { claimWorkerId } from "./worker-id.js";
import { WorkerMetrics } from "./worker-metrics.js";
import { startWorkerOps, workerMetrics, workerReadiness } from "./worker-ops.js";
import { claimWorktreeRoot, reapDeadWorktrees } from "./worktree-reaper.js";

/** Version a worker reports when it registers. */
export const WORKER_VERSION = "0.1.0";

/** A running worker node. */
export interface Worker {
  id: string;
  sandbox: ContainerRuntime["kind"];
  /** Stops pulling work, interrupts what runs after `graceMs`, and disconnects. */
  stop(graceMs?: number): Promise<void>;
}

/** Options of {@link startWorker}. */
export interface StartWorkerOptions {
  config: WorkerConfig;
  logger: Logger;
  /** The worker's environment, read once by the entry point: API keys of the configured providers come from it. */
  env: Record<string, string | undefined>;
  /** The in-process bus of an embedded cluster (`pancode up`); otherwise built from the config. */
  bus?: TaskBus;
  /** The process's MeterProvider (one per process); without it a private one when PANCODE_METRICS_LISTEN is set. */
  metrics?: Metrics;
}

async function workerToken(config: WorkerConfig): Promise<string> {
  if (config.coordinator.token) return config.coordinator.token;
  try {
    return (await readFile(join(config.dataDir, "worker.token"), "utf8")).trim();
  } catch (err) {
    throw new PanCodeError(
      "UNAUTHENTICATED",
      `no worker token: set PANCODE_WORKER_TOKEN, or PANCODE_DATA_DIR to a data dir holding worker.token`,
      { cause: err },
    );
  }
}

function createSandbox(config: WorkerConfig, logger: Logger, worktreeRoot: string): ContainerRuntime {
  if (config.sandbox.kind === "process") return createProcessRuntime({ logger });
  return createDockerRuntime({
    socketPath: config.sandbox.socketPath,
    owner: { workerId: config.id, host: hostname(), pid: process.pid },
    logger,
    // Slots next to the worktrees: a run's files are renamed into its warm container's mounts (same file system),
    // and the start-up reaper removes what a crashed worker left there with its worktree root.
    warmPool: { size: config.sandbox.warmPoolSize, dir: join(worktreeRoot, WARM_SLOTS_DIR) },
  });
}

/** Directory of the warm containers' slots under the worker's worktree root (never a run id: those are uuids). */
const WARM_SLOTS_DIR = "warm-slots";

/** Composition root of a worker: sandbox, workspace cache, coordinator client, bus subscription, heartbeats. */
export async function startWorker(options: StartWorkerOptions): Promise<Worker> {
  if (!options.config.id)
    options = { ...options, config: { ...options.config, id: await claimWorkerId(options.config.dataDir) } };
  const { config } = options;
  const logger = options.logger.child({ workerId: config.id });
  // Owner-only: the receipt key, mirrors and worktrees (Docker mounts worktrees as root, so containers still see them).
  await ensurePrivateDir(config.dataDir);
  const cacheRoot = join(config.dataDir, "cache");
  const worktreeRoot = await claimWorktreeRoot(cacheRoot, config.id);
  const sandbox = createSandbox(config, logger.child({ component: "sandbox" }), worktreeRoot);
  await sandbox.ping();
  if (sandbox.kind === "process") {
    logger.warn("SANDBOX=process: runs execute as plain subprocesses without container isolation", {
      sandbox: "process",
    });
  }
  const reapedContainers = await sandbox.reapOrphans();
  const reapedWorktrees = await reapDeadWorktrees(cacheRoot, logger);
  const cache = new WorkspaceCache({
    cacheDir: join(cacheRoot, "mirrors"),
    worktreeRoot,
    logger: logger.child({ component: "git" }),
  });
  // What this worker can run: the agent CLIs its image carries (the process sandbox promises only commands).
  const runtimes =
    sandbox.kind === "docker"
      ? runtimesOf(await sandbox.inspectImage(config.sandbox.agentImage), runtimeNames())
      : ["command"];
  const clusterConfig = await loadClusterConfig(config.configPath || undefined);
  let access: ModelAccess = await discoverModels(clusterConfig, options.env);
  warnProblems(logger, access.problems, []);
  const api = createWorkerApi({
    address: config.coordinator.address,
    token: await workerToken(config),
    credentials: clientCredentials({ tls: false, caPath: config.coordinator.caPath }),
  });
  // The receipt-signing key lives in the worker's data dir (never under the worktrees mounted into containers).
  const signingKey = await loadOrCreateSigningKey(join(config.dataDir, "keys", `worker-${config.id}.pem`));
  const register = async () =>
    api.register(
      {
        workerId: config.id,
        pool: config.pool,
        sandbox: sandbox.kind,
        capacity: config.concurrency,
        version: WORKER_VERSION,
        runtimes,
        providers: access.providers,
        publicKeyPem: signingKey.publicKeyPem,
        offers: access.offers,
      },
      signingKey.privateKey,
    );
  const registration = await register();
  logger.info("capabilities", { runtimes, providers: access.providers });
  const bus =
    options.bus ??
    (config.bus.natsUrl
      ? await createJetStreamBus({
          url: config.bus.natsUrl,
          ackWaitMs: config.bus.ackWaitMs,
          maxDeliver: config.bus.maxDeliver,
          user: config.bus.natsUser,
          pass: config.bus.natsPassword,
          // The coordinator owns the stream; a worker's NATS user may only consume from it.
          manageStream: false,
          connectionName: `pancode-worker-${config.id}`,
          logger,
        })
      : createInProcessBus({ ...config.bus, logger }));
  // Nested dispatch: the pancode client runs see at /opt/pancode, copied where the Docker host can mount it.
  const clientDir = await installClient(resolveClientDir(config.sandbox.clientDir), config.dataDir);
  if (!clientDir) {
    logger.warn("no pancode client bundle: runs cannot dispatch sub-runs", {
      clientDir: config.sandbox.clientDir,
      hint: "set PANCODE_CLIENT_DIR to a directory holding pancode.mjs, or start the worker with pancode-server",
    });
  }
  // The forwarder agent containers run in front of their command to reach their sockets (network none).
  const forwarderDir = sandbox.kind === "docker" ? await installForwarder(config.dataDir) : "";
  const telemetry = await workerMetrics(options.metrics, {
    listen: config.metrics.listen,
    workerId: config.id,
    version: WORKER_VERSION,
  });
  // Late-bound: the gauges read the runner, which needs the metrics.
  let activeRuns = (): number => 0;
  const metrics = new WorkerMetrics(telemetry.metrics.provider.getMeter("pancode-worker", WORKER_VERSION), {
    workerId: config.id,
    slots: config.concurrency,
    activeRuns: () => activeRuns(),
  });
  // Finished outcomes wait here until the coordinator acknowledges them, across outages and restarts of either side.
  const outbox = new Outbox(config.dataDir, logger.child({ component: "outbox" }));
  const sender = new OutboxSender({ api, outbox, workerId: config.id, logger: logger.child({ component: "outbox" }) });
  const runner = new JobRunner({
    metrics,
    api,
    cache,
    sandbox,
    logger: logger.child({ component: "job-runner" }),
    workerId: config.id,
    agentNetwork: config.sandbox.agentNetwork,
    secrets: access.secrets,
    dataDir: config.dataDir,
    forwarderDir,
    prices: priceTableOf(clusterConfig, () => access),
    nested: {
      coordinatorAddress: config.coordinator.address,
      clientDir,
    },
    caps: config.caps,
    flushMs: config.events.flushMs,
    ackWaitMs: config.bus.ackWaitMs,
    signingKey,
    outbox,
    sender,
  });
  activeRuns = () => runner.activeRunIds().length;
  // Outcomes a previous run of this worker could not deliver. The first heartbeat names them (before any task is
  // pulled), so the coordinator keeps their attempts: a redelivery of their messages finds them busy, not pending.
  const resumed = await sender.resume();
  const heartbeat = startHeartbeat({
    api,
    workerId: config.id,
    intervalMs: registration.heartbeatIntervalMs,
    leaseMs: registration.leaseMs,
    // Runs executing and runs whose outcome waits in the outbox: the coordinator extends both attempts' leases.
    activeRunIds: () => [...new Set([...runner.activeRunIds(), ...sender.held()])],
    onCancel: (runId) => runner.stop(runId, "cancelled"),
    reregister: async () => void (await register()),
    logger,
  });
  if (resumed > 0) await heartbeat.beat();
  // Zero-config: local engines come and go; a changed offer is announced by registering again.
  const modelProbe =
    clusterConfig.providers.length > 0
      ? undefined
      : startModelProbe({
          intervalMs: config.modelProbeMs,
          discover: () => discoverModels(clusterConfig, options.env),
          current: () => access,
          onChange: async (next) => {
            access = next;
            await register();
          },
          logger,
        });
  const control: TaskSubscription = await bus.subscribeControl((message) => {
    if (message.type === "cancel") runner.stop(message.runId, "cancelled");
  });
  const tasks = await bus.consumeTasks(config.pool, (delivery) => runner.handle(delivery), {
    maxInFlight: config.concurrency,
  });
  const ops = await startWorkerOps({
    listen: config.metrics.listen,
    metrics: telemetry.metrics,
    readiness: workerReadiness({ sandbox, bus, coordinatorAnswered: () => heartbeat.coordinatorAnswered() }),
  });
  logger.info("worker started", {
    metrics: ops.metricsUrl || "off",
    sandbox: sandbox.kind,
    pool: config.pool,
    concurrency: config.concurrency,
    warmPool: sandbox.kind === "docker" ? config.sandbox.warmPoolSize : 0,
    coordinator: config.coordinator.address,
    reapedContainers,
    reapedWorktrees,
    outboxEntries: resumed,
  });

  return {
    id: config.id,
    sandbox: sandbox.kind,
    async stop(graceMs = 0) {
      // Outcomes still undelivered after the grace stay in the outbox; the next start delivers them.
      const senderStop = setTimeout(() => sender.stop(), graceMs);
      await tasks.stop().catch(() => {});
      const deadline = Date.now() + graceMs;
      while (runner.activeRunIds().length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      for (const runId of runner.activeRunIds()) runner.stop(runId, "cancelled");
      while (runner.activeRunIds().length > 0) await new Promise((r) => setTimeout(r, 50));
      clearTimeout(senderStop);
      // No warm container outlives its worker.
      await sandbox.close?.().catch((err: unknown) => logger.warn("warm pool drain failed", { error: err as Error }));
      sender.stop();
      heartbeat.stop();
      modelProbe?.stop();
      await control.stop().catch(() => {});
      await ops.close();
      await telemetry.shutdown();
      if (!options.bus) await bus.close();
      api.close();
      logger.info("worker stopped");
    },
  };
}
