import { join } from "node:path";
import type { Meter } from "@opentelemetry/api";
import { type AgentRegistry, createAgentRegistry } from "@pancode/agents";
import type { RunRow } from "@pancode/db";
import { WorkspaceCache } from "@pancode/git";
import { loadOrCreateSigningKey, type SigningKey } from "@pancode/receipts";
import { coordinatorHealth } from "../grpc/health.js";
import { coordinatorMetrics } from "../ops.js";
import type { Orchestrator } from "../orchestration/orchestrator.js";
import { ApiTokens } from "../services/api-tokens.js";
import { AuditLog } from "../services/audit-log.js";
import { batched } from "../services/batched.js";
import { BudgetService } from "../services/budget-service.js";
import { ClusterDrain } from "../services/cluster-drain.js";
import { ClusterMetrics } from "../services/cluster-metrics.js";
import { DispatchService } from "../services/dispatch-service.js";
import { TeamFairShareGate } from "../services/fair-share-gate.js";
import { KeyRegistry } from "../services/key-registry.js";
import { ModelDirectory } from "../services/model-directory.js";
import type { PublishReconciler } from "../services/publish-reconciler.js";
import { ReceiptQueries } from "../services/receipt-queries.js";
import { ReceiptWriter } from "../services/receipt-writer.js";
import { RunLifecycle } from "../services/run-lifecycle.js";
import { RunNotifier } from "../services/run-notifier.js";
import { RunPublisher } from "../services/run-publisher.js";
import { RunQueries } from "../services/run-queries.js";
import { RunTokens } from "../services/run-tokens.js";
import { Teams } from "../services/teams.js";
import { WorkerDirectory } from "../services/worker-directory.js";
import { WorkerIdentities } from "../services/worker-identities.js";
import { WorkspaceTrees } from "../services/workspace-trees.js";
import { WorkspaceUploads } from "../services/workspace-uploads.js";
import type { ServicesContext } from "./context.js";
import { DrainWatch } from "./drain-watch.js";
import { createOrchestration, type OrchestrationServices } from "./orchestration-services.js";

/** People, workers and keys: who may call, who may run, and what signs receipts. */
interface IdentityServices {
  agents: AgentRegistry;
  audit: AuditLog;
  apiTokens: ApiTokens;
  teams: Teams;
  workers: WorkerDirectory;
  models: ModelDirectory;
  identities: WorkerIdentities;
  signingKey: SigningKey;
  keys: KeyRegistry;
  runTokens: RunTokens;
}

/** Runs from admission to their end, and their read side. */
interface RunServices {
  lifecycle: RunLifecycle;
  budget: BudgetService;
  dispatch: DispatchService;
  publisher: RunPublisher;
  runs: RunQueries;
  receipts: ReceiptQueries;
  uploads: WorkspaceUploads;
  drain: DrainWatch;
  health: ReturnType<typeof coordinatorHealth>;
}

/** The coordinator's use cases, built over its stores. */
export interface Services extends IdentityServices, RunServices, OrchestrationServices {
  telemetry: Awaited<ReturnType<typeof coordinatorMetrics>>;
  meter: Meter;
  /** Tells watchers that a run changed (the console's cluster-wide stream listens to every change). */
  notifier: RunNotifier;
}

/** The services a run's end concerns, bound once they exist (the orchestrator and reconciler are built last). */
interface RunEndListeners {
  orchestrator?: Orchestrator;
  reconciler?: PublishReconciler;
}

/** Builds every service, in dependency order; only first-start state (token, key, budget) is written. */
export async function createServices(ctx: ServicesContext): Promise<Services> {
  const identity = await createIdentityServices(ctx);
  const telemetry = await coordinatorMetrics(ctx.metrics, ctx.config.metrics.listen, ctx.version);
  const meter = telemetry.metrics.provider.getMeter("pancode-coordinator", ctx.version);
  const metrics = new ClusterMetrics(meter, {
    db: ctx.stores.db,
    logger: ctx.logger,
    liveSince: () => identity.workers.liveSince(),
  });
  // The announcements of a burst (one per admission) go out as one statement: alone they were a Postgres round trip
  // per admission, the most frequent statement under load (bench/README.md, admissions).
  const announce = batched(async (runIds: string[]) => {
    await ctx.stores.db.announceRuns(runIds);
    return runIds.map(() => undefined);
  });
  const notifier = new RunNotifier(announce);
  const ended: RunEndListeners = {};
  const run = await createRunServices(ctx, { ...identity, metrics, notifier, ended });
  const orchestration = await createOrchestration({ ...ctx, ...identity, ...run, notifier });
  ended.orchestrator = orchestration.orchestrator;
  ended.reconciler = orchestration.reconciler;
  return { ...identity, ...run, ...orchestration, telemetry, meter, notifier };
}

async function createIdentityServices(ctx: ServicesContext): Promise<IdentityServices> {
  const { config, logger, setup } = ctx;
  const { db } = ctx.stores;
  const agents = createAgentRegistry({
    defaultImage: config.agents.defaultImage,
    extra: setup.clusterAgents.agents,
    teams: setup.clusterAgents.teams,
  });
  const audit = new AuditLog({ db, logger: logger.child({ component: "audit" }) });
  // client.token (or PANCODE_TOKEN) stays the local admin's credential: registered as the token named "admin".
  const apiTokens = new ApiTokens({ db, logger: logger.child({ component: "tokens" }) });
  await apiTokens.bootstrap(setup.clientToken);
  const workers = new WorkerDirectory({
    db,
    logger: logger.child({ component: "workers" }),
    heartbeatMs: config.runs.heartbeatMs,
  });
  const signingKey = await coordinatorSigningKey(ctx);
  return {
    agents,
    audit,
    apiTokens,
    teams: new Teams(db),
    workers,
    models: new ModelDirectory({ file: setup.cluster, workers }),
    identities: new WorkerIdentities({ db, audit, logger: logger.child({ component: "identities" }) }),
    signingKey,
    keys: new KeyRegistry({ db, logger, coordinatorKeyId: signingKey.keyId }),
    runTokens: new RunTokens(setup.runTokenSecret, db),
  };
}

/** What the run services build on besides the context. */
interface RunServicesInput extends IdentityServices {
  metrics: ClusterMetrics;
  notifier: RunNotifier;
  ended: RunEndListeners;
}

async function createRunServices(ctx: ServicesContext, input: RunServicesInput): Promise<RunServices> {
  const { config, logger, stores } = ctx;
  const { db } = stores;
  const fairShare = new TeamFairShareGate(db);
  const lifecycle = new RunLifecycle({
    onRunEnded: runEndedHandler(ctx, fairShare, input.ended),
    db,
    metrics: input.metrics,
    receipts: new ReceiptWriter({ db, key: input.signingKey }),
    bus: stores.bus,
    blobs: stores.blobs,
    notifier: input.notifier,
    logger: logger.child({ component: "lifecycle" }),
    leaseMs: config.runs.leaseMs,
    maxAttempts: config.runs.maxAttempts,
    audit: input.audit,
  });
  const budget = new BudgetService({
    db,
    agents: input.agents,
    models: input.models,
    perRunUsd: config.budget.perRunUsd,
    defaultAgent: config.agents.defaultAgent,
  });
  // First start only: a ceiling changed later with `pancode budget set` is kept.
  await budget.init(config.budget.ceilingUsd);
  const health = coordinatorHealth();
  // Drain is cluster-wide (a row in the database); a replica shutting down drains only itself.
  const clusterDrain = new ClusterDrain({
    db,
    audit: input.audit,
    logger,
    activeRuns: async () => (await lifecycle.activeRuns()).length,
  });
  const drain = new DrainWatch(clusterDrain, health);
  await drain.sync();
  const publisher = new RunPublisher({ db, bus: stores.bus, gate: ctx.publishGate ?? fairShare });
  return {
    lifecycle,
    budget,
    dispatch: createDispatch(ctx, input, { budget, publisher, drain }),
    publisher,
    runs: new RunQueries({ db, blobs: stores.blobs, notifier: input.notifier }),
    receipts: new ReceiptQueries(db),
    uploads: new WorkspaceUploads({ index: db, blobs: stores.blobs }),
    drain,
    health,
  };
}

/** Admission: every gate a run passes before it is stored and published. */
function createDispatch(
  ctx: ServicesContext,
  input: RunServicesInput,
  run: { budget: BudgetService; publisher: RunPublisher; drain: DrainWatch },
): DispatchService {
  const { config } = ctx;
  return new DispatchService({
    db: ctx.stores.db,
    publisher: run.publisher,
    metrics: input.metrics,
    blobs: ctx.stores.blobs,
    agents: input.agents,
    workers: input.workers,
    notifier: input.notifier,
    logger: ctx.logger.child({ component: "dispatch" }),
    defaultAgent: config.agents.defaultAgent,
    isDraining: () => run.drain.isDraining(),
    models: input.models,
    budget: run.budget,
    perRunUsd: config.budget.perRunUsd,
    audit: input.audit,
    maxDepth: config.safety.maxDepth,
    maxSubRuns: config.safety.maxSubRuns,
    caps: config.caps,
    loop: config.safety.loop,
    trees: workspaceTrees(ctx),
  });
}

/** The coordinator's receipt-signing key, from its data dir; its public half is published with the workers'. */
async function coordinatorSigningKey(ctx: ServicesContext): Promise<SigningKey> {
  const signingKey = await loadOrCreateSigningKey(join(ctx.config.dataDir, "keys", "coordinator.pem"));
  await ctx.stores.db.recordKey({
    keyId: signingKey.keyId,
    role: "coordinator",
    ownerId: "coordinator",
    publicKeyPem: signingKey.publicKeyPem,
  });
  return signingKey;
}

/** Path validation reads submitted workspaces from bare mirrors of the coordinator's own. */
function workspaceTrees(ctx: ServicesContext): WorkspaceTrees {
  return new WorkspaceTrees({
    mirrors: new WorkspaceCache({
      cacheDir: join(ctx.config.dataDir, "mirrors"),
      worktreeRoot: join(ctx.config.dataDir, "worktrees"),
      logger: ctx.logger.child({ component: "mirrors" }),
    }),
    blobs: ctx.stores.blobs,
  });
}

/** What happens when a run ends: its batch or chain goes on, and its team's next held run may start. */
function runEndedHandler(
  ctx: ServicesContext,
  fairShare: TeamFairShareGate,
  ended: RunEndListeners,
): (run: RunRow) => void {
  return (run) => {
    ended.orchestrator?.runEnded(run);
    // The group's owner may be another replica: tell it (best effort; its tick is the safety net).
    const group = run.batchId ? `batch:${run.batchId}` : run.chainId ? `chain:${run.chainId}` : "";
    if (group) ctx.stores.db.announceRun(group).catch(() => undefined);
    if (!run.team) return;
    fairShare.isLimited(run.team).then(
      (limited) => limited && ended.reconciler?.nudge(),
      (err: unknown) => ctx.logger.warn("fair share: team limit not read", { team: run.team, error: err as Error }),
    );
  };
}
