import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { join } from "node:path";
import { Server } from "@grpc/grpc-js";
import { createAgentRegistry, type LoadedDefinitions, loadAgentsDir, loadClusterConfig } from "@pancode/agents";
import { createInProcessBus, createJetStreamBus, type TaskBus } from "@pancode/bus";
import { openDatabase, type RunRow } from "@pancode/db";
import { WorkspaceCache } from "@pancode/git";
import { ClientServiceService, MAX_MESSAGE_BYTES, serverCredentials, WorkerServiceService } from "@pancode/proto";
import { loadOrCreateSigningKey } from "@pancode/receipts";
import type { Logger, Metrics } from "@pancode/telemetry";
import type { CoordinatorConfig } from "./config.js";
import { createClientService } from "./grpc/client-service.js";
import { serverMetricsInterceptor } from "./grpc/server-metrics.js";
import { hardenService } from "./grpc/status.js";
import { transportRefusalsAsBadRequests } from "./grpc/transport-refusals.js";
import { createWorkerService } from "./grpc/worker-service.js";
import { openBlobStore } from "./open-blob-store.js";
import { coordinatorHealth, coordinatorMetrics, coordinatorReadiness, startCoordinatorOps } from "./ops.js";
import { GroupLeases } from "./orchestration/group-leases.js";
import { GroupReceiptWriter } from "./orchestration/group-receipt-writer.js";
import { OrchestrationQueries } from "./orchestration/orchestration-queries.js";
import { Orchestrator } from "./orchestration/orchestrator.js";
import { ensurePrivateDir } from "./private-dir.js";
import { ApiTokens } from "./services/api-tokens.js";
import { AuditLog, COORDINATOR_ACTOR } from "./services/audit-log.js";
import { BudgetService } from "./services/budget-service.js";
import { ClusterDrain } from "./services/cluster-drain.js";
import { ClusterMetrics } from "./services/cluster-metrics.js";
import { DEFAULT_POOL, DispatchService } from "./services/dispatch-service.js";
import { TeamFairShareGate } from "./services/fair-share-gate.js";
import { KeyRegistry } from "./services/key-registry.js";
import { ModelDirectory } from "./services/model-directory.js";
import { PublishReconciler } from "./services/publish-reconciler.js";
import { ReceiptQueries } from "./services/receipt-queries.js";
import { ReceiptWriter } from "./services/receipt-writer.js";
import { RunLifecycle } from "./services/run-lifecycle.js";
import { RunNotifier } from "./services/run-notifier.js";
import { type PublishGate, RunPublisher } from "./services/run-publisher.js";
import { RunQueries } from "./services/run-queries.js";
import { RunTokens } from "./services/run-tokens.js";
import { Teams } from "./services/teams.js";
import { WorkerDirectory } from "./services/worker-directory.js";
import { WorkerIdentities } from "./services/worker-identities.js";
import { WorkspaceTrees } from "./services/workspace-trees.js";
import { WorkspaceUploads } from "./services/workspace-uploads.js";
import { resolveServerTls } from "./tls/server-tls.js";
import { CLIENT_TOKEN_FILE, RUN_TOKEN_SECRET_FILE, resolveToken, WORKER_TOKEN_FILE } from "./tokens.js";

/** Version reported to clients and workers. */
export const COORDINATOR_VERSION = "0.1.0";

/** Largest message the server sends (responses are chunked far below it; a long run list must still fit). */
const SERVER_MAX_SEND_BYTES = 64 * 1024 * 1024;

/** A running coordinator. */
export interface Coordinator {
  /** host:port it listens on (the real port when 0 was asked for). */
  address: string;
  clientToken: string;
  workerToken: string;
  /** CA file clients must trust: the generated `<data dir>/tls/ca.crt`, or "" (plaintext, or operator's cert). */
  tlsCaPath: string;
  bus: TaskBus;
  /** URL of the Prometheus endpoint (`http://host:port/metrics`); "" when PANCODE_METRICS_LISTEN is unset. */
  metricsUrl: string;
  /** Stops admissions, lets active runs finish for up to `graceMs`, interrupts the rest. */
  drain(graceMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** Options of {@link startCoordinator}. */
export interface StartCoordinatorOptions {
  config: CoordinatorConfig;
  logger: Logger;
  /** A bus shared with in-process workers (`pancode up`); otherwise built from the config. */
  bus?: TaskBus;
  /** Holds pending runs off the bus until it allows them (publish policies). @default every run goes at once */
  publishGate?: PublishGate;
  /**
   * The process's MeterProvider (one per process, built by the service entry point). Without it the coordinator
   * builds a private one when PANCODE_METRICS_LISTEN is set (tests with several coordinators in one process).
   */
  metrics?: Metrics;
}

/** Composition root of the coordinator: database, bus, blob store, services and the gRPC server. */
export async function startCoordinator(options: StartCoordinatorOptions): Promise<Coordinator> {
  const { config, logger } = options;
  // Owner-only data: tokens, keys, blobs and the embedded database (existing dirs of older versions are tightened).
  await ensurePrivateDir(config.dataDir);
  await ensurePrivateDir(join(config.dataDir, "blobs"));
  if (!config.db.url) await ensurePrivateDir(join(config.dataDir, "pglite"));
  const clientToken = await resolveToken(config.auth.clientToken, config.dataDir, CLIENT_TOKEN_FILE);
  const workerToken = await resolveToken(config.auth.workerToken, config.dataDir, WORKER_TOKEN_FILE);
  const runTokenSecret = await resolveToken(config.auth.runTokenSecret, config.dataDir, RUN_TOKEN_SECRET_FILE);
  // Decided before anything is opened: a certificate that cannot be made is a deployment error.
  const tls = await resolveServerTls(
    { listen: config.grpc.listen, dataDir: config.dataDir, ...config.grpc.tls },
    logger,
  );
  // Read before anything is opened: a broken config or a missing agents directory is a deployment error.
  const cluster = await loadClusterConfig(config.agents.configPath || undefined);
  const agentsDir = config.agents.agentsDir || cluster.agentsDir || "";
  const clusterAgents: LoadedDefinitions = agentsDir
    ? await loadAgentsDir(agentsDir)
    : { agents: [], teams: [], errors: [] };
  for (const e of clusterAgents.errors) {
    logger.warn("cluster agent file ignored", { path: e.path, field: e.field, problem: e.problem });
  }
  const db = await openDatabase(
    config.db.url ? { url: config.db.url, logger } : { dataDir: join(config.dataDir, "pglite"), logger },
  );
  const busOptions = { ackWaitMs: config.bus.ackWaitMs, maxDeliver: config.bus.maxDeliver, logger };
  const bus =
    options.bus ??
    (config.bus.natsUrl
      ? await createJetStreamBus({
          ...busOptions,
          url: config.bus.natsUrl,
          user: config.bus.natsUser,
          pass: config.bus.natsPassword,
          replicas: config.bus.replicas,
          connectionName: "pancode-coordinator",
        })
      : createInProcessBus(busOptions));
  // Shared by every replica (Postgres, S3); a local directory then only caches files for git.
  const blobs = openBlobStore(config.blobStore, db, config.dataDir);
  await blobs.removeLeftovers();
  const notifier = new RunNotifier((runId) => db.announceRun(runId));
  // Late-bound: the orchestrator needs the dispatch service, which is built after the lifecycle.
  let orchestrator: Orchestrator | undefined;
  // One channel for both: "<run id>" wakes watchers, "batch:<id>" / "chain:<id>" wakes the group's owner (a run of
  // it ended on another replica), so the owner need not wait for its tick.
  const stopListening = await db.listenRuns((payload) => {
    const [kind, id] = payload.split(":", 2);
    if (kind === "batch" && id) orchestrator?.batches.pump(id);
    else if (kind === "chain" && id) orchestrator?.chains.advance(id);
    else notifier.hear(payload);
  });
  const agents = createAgentRegistry({
    defaultImage: config.agents.defaultImage,
    extra: clusterAgents.agents,
    teams: clusterAgents.teams,
  });
  const audit = new AuditLog({ db, logger: logger.child({ component: "audit" }) });
  // client.token (or PANCODE_TOKEN) stays the local admin's credential: registered as the token named "admin".
  const apiTokens = new ApiTokens({ db, logger: logger.child({ component: "tokens" }) });
  await apiTokens.bootstrap(clientToken);
  const workers = new WorkerDirectory({
    db,
    logger: logger.child({ component: "workers" }),
    heartbeatMs: config.runs.heartbeatMs,
  });
  const models = new ModelDirectory({ file: cluster, workers });
  const identities = new WorkerIdentities({ db, audit, logger: logger.child({ component: "identities" }) });
  // The coordinator's receipt-signing key lives in its data dir; its public half is published with the workers'.
  const signingKey = await loadOrCreateSigningKey(join(config.dataDir, "keys", "coordinator.pem"));
  await db.recordKey({
    keyId: signingKey.keyId,
    role: "coordinator",
    ownerId: "coordinator",
    publicKeyPem: signingKey.publicKeyPem,
  });
  // Fair share between teams (see TeamFairShareGate); a test may bring its own gate.
  const fairShare = new TeamFairShareGate(db);
  const publishGate = options.publishGate ?? fairShare;
  // Late-bound too: the reconciler starts last. A run's end may let its team's next held run start.
  let reconciler: PublishReconciler | undefined;
  const onRunEnded = (run: RunRow): void => {
    orchestrator?.runEnded(run);
    // The group's owner may be another replica: tell it (best effort; its tick is the safety net).
    const group = run.batchId ? `batch:${run.batchId}` : run.chainId ? `chain:${run.chainId}` : "";
    if (group) db.announceRun(group).catch(() => undefined);
    if (!run.team) return;
    fairShare.isLimited(run.team).then(
      (limited) => limited && reconciler?.nudge(),
      (err: unknown) => logger.warn("fair share: team limit not read", { team: run.team, error: err as Error }),
    );
  };
  const telemetry = await coordinatorMetrics(options.metrics, config.metrics.listen, COORDINATOR_VERSION);
  const meter = telemetry.metrics.provider.getMeter("pancode-coordinator", COORDINATOR_VERSION);
  const runMetrics = new ClusterMetrics(meter, { db, logger, liveSince: () => workers.liveSince() });
  const lifecycle = new RunLifecycle({
    onRunEnded,
    db,
    metrics: runMetrics,
    receipts: new ReceiptWriter({ db, key: signingKey }),
    bus,
    blobs,
    notifier,
    logger: logger.child({ component: "lifecycle" }),
    leaseMs: config.runs.leaseMs,
    maxAttempts: config.runs.maxAttempts,
    audit,
  });
  const budget = new BudgetService({
    db,
    agents,
    models,
    perRunUsd: config.budget.perRunUsd,
    defaultAgent: config.agents.defaultAgent,
  });
  // First start only: a ceiling changed later with `pancode budget set` is kept.
  await budget.init(config.budget.ceilingUsd);
  const health = coordinatorHealth();
  // Drain is cluster-wide (a row in the database); a replica shutting down drains only itself.
  const drainState = new ClusterDrain({
    db,
    audit,
    logger,
    activeRuns: async () => (await lifecycle.activeRuns()).length,
  });
  // Last state seen, for the gRPC health status and ClusterInfo (admission and /readyz ask the database).
  let draining = false;
  const syncDrain = async (): Promise<void> => {
    const now = await drainState.isDraining();
    if (now !== draining) health.draining(now);
    draining = now;
  };
  await syncDrain();
  const drainWatch = setInterval(() => void syncDrain().catch(() => undefined), 2000);
  drainWatch.unref();
  const publisher = new RunPublisher({ db, bus, gate: publishGate });
  const dispatch = new DispatchService({
    db,
    publisher,
    metrics: runMetrics,
    blobs,
    agents,
    workers,
    notifier,
    logger: logger.child({ component: "dispatch" }),
    defaultAgent: config.agents.defaultAgent,
    isDraining: () => drainState.isDraining(),
    models,
    budget,
    perRunUsd: config.budget.perRunUsd,
    audit,
    maxDepth: config.safety.maxDepth,
    maxSubRuns: config.safety.maxSubRuns,
    caps: config.caps,
    loop: config.safety.loop,
    // Path validation reads submitted workspaces from bare mirrors of the coordinator's own.
    trees: new WorkspaceTrees({
      mirrors: new WorkspaceCache({
        cacheDir: join(config.dataDir, "mirrors"),
        worktreeRoot: join(config.dataDir, "worktrees"),
        logger: logger.child({ component: "mirrors" }),
      }),
      blobs,
    }),
  });
  const runTokens = new RunTokens(runTokenSecret, db);
  const runs = new RunQueries({ db, blobs, notifier });
  const groupReceipts = new GroupReceiptWriter({ db, key: signingKey });
  orchestrator = new Orchestrator({
    db,
    dispatch,
    lifecycle,
    runs,
    agents,
    logger: logger.child({ component: "orchestration" }),
    defaultAgent: config.agents.defaultAgent,
    leases: new GroupLeases(
      db,
      `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`,
      config.orchestration.groupLeaseMs,
    ),
    // Every batch and chain gets a coordinator-signed receipt listing its runs' receipts when it ends.
    onFinished: async (what) => {
      await groupReceipts.write(what);
    },
  });

  const server = new Server({
    // A request frame announcing more is refused after its 5-byte header, before its body is buffered (and before
    // the caller is authenticated, so it must not cost memory); the interceptor answers it INVALID_ARGUMENT. It
    // must come first, so the metrics interceptor sees the status the client gets.
    "grpc.max_receive_message_length": MAX_MESSAGE_BYTES,
    "grpc.max_send_message_length": SERVER_MAX_SEND_BYTES,
    interceptors: [transportRefusalsAsBadRequests, serverMetricsInterceptor(meter)],
  });
  health.addTo(server);
  server.addService(
    hardenService(ClientServiceService),
    createClientService({
      users: apiTokens,
      identity: { tokens: apiTokens, teams: new Teams(db), audit, version: COORDINATOR_VERSION },
      logger,
      uploads: new WorkspaceUploads({ index: db, blobs }),
      receipts: new ReceiptQueries(db),
      orchestration: new OrchestrationQueries(db),
      dispatch,
      budget,
      runs,
      agents,
      workers,
      models,
      keys: new KeyRegistry({ db, logger, coordinatorKeyId: signingKey.keyId }),
      identities,
      orchestrator,
      maxWorkspaceBytes: config.runs.maxWorkspaceBytes,
      runTokens: { looksLike: RunTokens.looksLike, verify: (token) => runTokens.verify(token) },
      info: () => ({
        version: COORDINATOR_VERSION,
        draining,
        bus: bus.kind,
        database: config.db.url ? "postgres" : "pglite",
      }),
      configuredProviders: () => cluster.providers.map((p) => ({ name: p.name, models: p.models.map((m) => m.id) })),
      audit,
      drain: async (actor) => {
        const state = await drainState.drain(actor);
        await syncDrain();
        return state;
      },
      undrain: async (actor) => {
        const state = await drainState.undrain(actor);
        await syncDrain();
        return state;
      },
    }),
  );
  server.addService(
    hardenService(WorkerServiceService),
    createWorkerService({
      token: workerToken,
      logger,
      lifecycle,
      workers,
      identities,
      heartbeatMs: config.runs.heartbeatMs,
      leaseMs: config.runs.leaseMs,
      maxPatchBytes: config.runs.maxWorkspaceBytes,
      mintRunToken: (runId) => runTokens.mint(runId),
    }),
  );
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(config.grpc.listen, serverCredentials(tls.credentials), (err, bound) =>
      err ? reject(err) : resolve(bound),
    );
  }).catch(async (err: unknown) => {
    await telemetry.shutdown();
    throw err;
  });
  const host = config.grpc.listen.slice(0, config.grpc.listen.lastIndexOf(":"));
  const address = `${host === "0.0.0.0" || host === "" ? "127.0.0.1" : host}:${port}`;

  // After the gRPC port: a coordinator whose ops listener cannot bind must not be left half started.
  const ops = await startCoordinatorOps({
    listen: config.metrics.listen,
    metrics: telemetry.metrics,
    meter,
    readiness: coordinatorReadiness({ db, bus, isDraining: () => drainState.isDraining() }),
  }).catch(async (err: unknown) => {
    server.forceShutdown();
    await telemetry.shutdown();
    throw err;
  });
  // The reaper runs often enough that a lost worker is noticed within about a quarter lease after expiry.
  const reaper = setInterval(
    () => {
      Promise.all([lifecycle.reapExpiredLeases(), workers.sweep()]).catch((err: unknown) =>
        logger.error("reaper failed", { error: err as Error }),
      );
    },
    Math.max(200, Math.min(1000, config.runs.leaseMs / 4)),
  );
  reaper.unref();
  reconciler = new PublishReconciler({
    db,
    bus,
    publisher,
    logger: logger.child({ component: "publisher" }),
    giveUp: (runId, reason) => lifecycle.finish(runId, "error", reason),
    pools: [DEFAULT_POOL],
    intervalMs: config.publishing.reconcileIntervalMs,
    undeliverableAfterMs: config.publishing.undeliverableAfterMs,
    maxRepublishes: config.publishing.maxRepublishes,
    stallAfterMs: config.publishing.stallAfterMs,
  });
  reconciler.start();
  // Batches and chains that were running before a restart go on from the database.
  orchestrator.start();
  logger.info("coordinator listening", {
    address,
    tls: tls.mode,
    bus: bus.kind,
    database: config.db.url ? "postgres" : "pglite",
    metrics: ops.metricsUrl || "off",
  });

  let closed = false;
  return {
    address,
    clientToken,
    workerToken,
    tlsCaPath: tls.caPath,
    bus,
    metricsUrl: ops.metricsUrl,
    async drain(graceMs = config.runs.drainGraceMs) {
      // This replica only: the others keep admitting (a cluster-wide drain is `pancode drain`). Shutdown goes on
      // even when the audit trail cannot record it (the database may be what is failing).
      drainState.stopLocally();
      await audit
        .drainStarted(COORDINATOR_ACTOR, (await lifecycle.activeRuns().catch(() => [])).length)
        .catch((err: unknown) => logger.error("drain could not be audited", { error: err as Error }));
      draining = true;
      health.draining();
      logger.info("draining", { graceMs });
      const deadline = Date.now() + graceMs;
      while (Date.now() < deadline && (await lifecycle.activeRuns()).length > 0) {
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      for (const run of await lifecycle.activeRuns()) {
        await lifecycle.finish(run.id, "interrupted", "the coordinator shut down before the run finished");
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(reaper);
      clearInterval(drainWatch);
      await stopListening();
      await reconciler.stop();
      await orchestrator.stop();
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 2000);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
      await ops.close();
      await telemetry.shutdown();
      if (!options.bus) await bus.close();
      await db.close();
    },
  };
}
