import { type ClusterConfig, loadClusterConfig } from "@pancode/agents";
import { createInProcessBus, createJetStreamBus, type TaskBus } from "@pancode/bus";
import type { ContainerRuntime } from "@pancode/sandbox";
import type { Logger, Metrics } from "@pancode/telemetry";
import type { WorkerConfig } from "./config.js";
import { startHeartbeat } from "./heartbeat.js";
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
import { type PreparedSandbox, prepareSandbox } from "./worker-sandbox.js";
import { openSession, type WorkerSession } from "./worker-session.js";

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

/** The models this worker reaches; replaced when the model probe sees a change. */
interface AccessHolder {
  current: ModelAccess;
}

/** Composition root of a worker: sandbox, coordinator session, bus, job runner, then the loops that feed it. */
export async function startWorker(options: StartWorkerOptions): Promise<Worker> {
  if (!options.config.id)
    options = { ...options, config: { ...options.config, id: await claimWorkerId(options.config.dataDir) } };
  const { config } = options;
  const logger = options.logger.child({ workerId: config.id });
  // Owner-only: the receipt key, mirrors and worktrees (Docker mounts worktrees as root, so containers still see them).
  await ensurePrivateDir(config.dataDir);
  const prepared = await prepareSandbox(config, logger);
  const { sandbox, runtimes } = prepared;
  const clusterConfig = await loadClusterConfig(config.configPath || undefined);
  const access: AccessHolder = { current: await discoverModels(clusterConfig, options.env) };
  warnProblems(logger, access.current.problems, []);
  const session = await openSession(config, {
    version: WORKER_VERSION,
    sandbox: sandbox.kind,
    runtimes,
    access: () => access.current,
  });
  const registration = await session.register();
  logger.info("capabilities", { runtimes, providers: access.current.providers });
  const bus = options.bus ?? (await openBus(config, logger));
  const execution = await createExecution({ options, logger, prepared, session, clusterConfig, access });
  const loops = await startLoops({
    options,
    logger,
    prepared,
    session,
    clusterConfig,
    access,
    bus,
    execution,
    registration,
  });
  logger.info("worker started", {
    metrics: loops.metricsUrl || "off",
    sandbox: sandbox.kind,
    pool: config.pool,
    concurrency: config.concurrency,
    warmPool: sandbox.kind === "docker" ? config.sandbox.warmPoolSize : 0,
    coordinator: config.coordinator.address,
    reapedContainers: prepared.reapedContainers,
    reapedWorktrees: prepared.reapedWorktrees,
    outboxEntries: loops.resumed,
  });
  return {
    id: config.id,
    sandbox: sandbox.kind,
    async stop(graceMs = 0) {
      // Outcomes still undelivered after the grace stay in the outbox; the next start delivers them.
      const senderStop = setTimeout(() => execution.sender.stop(), graceMs);
      await loops.stopPulling();
      await finishRuns(execution.runner, graceMs);
      clearTimeout(senderStop);
      await execution.runner.cleanedUp();
      // No warm container outlives its worker.
      await sandbox.close?.().catch((err: unknown) => logger.warn("warm pool drain failed", { error: err as Error }));
      await loops.stop();
      await execution.telemetry.shutdown();
      if (!options.bus) await bus.close();
      session.api.close();
      logger.info("worker stopped");
    },
  };
}

/** Lets running runs finish for up to `graceMs`, then cancels the rest and waits until every one has ended. */
async function finishRuns(runner: JobRunner, graceMs: number): Promise<void> {
  const deadline = Date.now() + graceMs;
  while (runner.activeRunIds().length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  for (const runId of runner.activeRunIds()) runner.stop(runId, "cancelled");
  while (runner.activeRunIds().length > 0) await new Promise((r) => setTimeout(r, 50));
}

function openBus(config: WorkerConfig, logger: Logger): Promise<TaskBus> | TaskBus {
  if (!config.bus.natsUrl) return createInProcessBus({ ...config.bus, logger });
  return createJetStreamBus({
    url: config.bus.natsUrl,
    ackWaitMs: config.bus.ackWaitMs,
    maxDeliver: config.bus.maxDeliver,
    user: config.bus.natsUser,
    pass: config.bus.natsPassword,
    // The coordinator owns the stream; a worker's NATS user may only consume from it.
    manageStream: false,
    connectionName: `pancode-worker-${config.id}`,
    logger,
  });
}

/** What the start steps after the session share. */
interface StartParts {
  options: StartWorkerOptions;
  logger: Logger;
  prepared: PreparedSandbox;
  session: WorkerSession;
  clusterConfig: ClusterConfig;
  access: AccessHolder;
}

/** What runs the tasks: the job runner, the outbox its outcomes wait in, and its metrics. */
interface Execution {
  runner: JobRunner;
  sender: OutboxSender;
  telemetry: Awaited<ReturnType<typeof workerMetrics>>;
}

/** Builds the job runner with what a run needs on this host: the client bundle, the forwarder, the outbox. */
async function createExecution(parts: StartParts): Promise<Execution> {
  const { options, logger, prepared, session } = parts;
  const { config } = options;
  const { api, signingKey } = session;
  // Nested dispatch: the pancode client runs see at /opt/pancode, copied where the Docker host can mount it.
  const clientDir = await installClient(resolveClientDir(config.sandbox.clientDir), config.dataDir);
  if (!clientDir) {
    logger.warn("no pancode client bundle: runs cannot dispatch sub-runs", {
      clientDir: config.sandbox.clientDir,
      hint: "set PANCODE_CLIENT_DIR to a directory holding pancode.mjs, or start the worker with pancode-server",
    });
  }
  // The forwarder agent containers run in front of their command to reach their sockets (network none).
  const forwarderDir = prepared.sandbox.kind === "docker" ? await installForwarder(config.dataDir) : "";
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
    cache: prepared.cache,
    sandbox: prepared.sandbox,
    logger: logger.child({ component: "job-runner" }),
    workerId: config.id,
    agentNetwork: config.sandbox.agentNetwork,
    secrets: parts.access.current.secrets,
    dataDir: config.dataDir,
    forwarderDir,
    prices: priceTableOf(parts.clusterConfig, () => parts.access.current),
    nested: { coordinatorAddress: config.coordinator.address, clientDir },
    caps: config.caps,
    flushMs: config.events.flushMs,
    ackWaitMs: config.bus.ackWaitMs,
    signingKey,
    outbox,
    sender,
  });
  activeRuns = () => runner.activeRunIds().length;
  return { runner, sender, telemetry };
}

/** The worker's running loops: heartbeats, the model probe, the bus subscriptions, the ops listener. */
interface Loops {
  metricsUrl: string;
  /** Outcomes of a previous run of this worker found in the outbox. */
  resumed: number;
  /** Stops pulling tasks off the bus (runs already pulled go on). */
  stopPulling(): Promise<void>;
  /** Stops the rest, once the runs have ended. */
  stop(): Promise<void>;
}

/**
 * Resumes undelivered outcomes, starts heartbeats and the model probe, subscribes to cancels and tasks, and opens
 * the ops listener.
 */
async function startLoops(
  parts: StartParts & {
    bus: TaskBus;
    execution: Execution;
    registration: Awaited<ReturnType<WorkerSession["register"]>>;
  },
): Promise<Loops> {
  const { options, logger, session, bus, execution, registration } = parts;
  const { config } = options;
  const { runner, sender } = execution;
  // Outcomes a previous run of this worker could not deliver. The first heartbeat names them (before any task is
  // pulled), so the coordinator keeps their attempts: a redelivery of their messages finds them busy, not pending.
  const resumed = await sender.resume();
  const heartbeat = startHeartbeat({
    api: session.api,
    workerId: config.id,
    intervalMs: registration.heartbeatIntervalMs,
    leaseMs: registration.leaseMs,
    // Runs executing and runs whose outcome waits in the outbox: the coordinator extends both attempts' leases.
    activeRunIds: () => [...new Set([...runner.activeRunIds(), ...sender.held()])],
    onCancel: (runId) => runner.stop(runId, "cancelled"),
    reregister: async () => void (await session.register()),
    logger,
  });
  if (resumed > 0) await heartbeat.beat();
  const modelProbe = startProbe(parts);
  const control = await bus.subscribeControl((message) => {
    if (message.type === "cancel") runner.stop(message.runId, "cancelled");
  });
  const tasks = await bus.consumeTasks(config.pool, (delivery) => runner.handle(delivery), {
    maxInFlight: config.concurrency,
  });
  const ops = await startWorkerOps({
    listen: config.metrics.listen,
    metrics: execution.telemetry.metrics,
    readiness: workerReadiness({
      sandbox: parts.prepared.sandbox,
      bus,
      coordinatorAnswered: () => heartbeat.coordinatorAnswered(),
    }),
  });
  return {
    metricsUrl: ops.metricsUrl,
    resumed,
    async stopPulling() {
      await tasks.stop().catch(() => {});
    },
    async stop() {
      sender.stop();
      heartbeat.stop();
      modelProbe?.stop();
      await control.stop().catch(() => {});
      await ops.close();
    },
  };
}

/** Zero-config: local engines come and go; a changed offer is announced by registering again. */
function startProbe(parts: StartParts): { stop(): void } | undefined {
  if (parts.clusterConfig.providers.length > 0) return undefined;
  return startModelProbe({
    intervalMs: parts.options.config.modelProbeMs,
    discover: () => discoverModels(parts.clusterConfig, parts.options.env),
    current: () => parts.access.current,
    onChange: async (next) => {
      parts.access.current = next;
      await parts.session.register();
    },
    logger: parts.logger,
  });
}
