import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import type { AgentRegistry } from "@pancode/agents";
import type { SigningKey } from "@pancode/receipts";
import { GroupLeases } from "../orchestration/group-leases.js";
import { GroupReceiptWriter } from "../orchestration/group-receipt-writer.js";
import { OrchestrationQueries } from "../orchestration/orchestration-queries.js";
import { Orchestrator } from "../orchestration/orchestrator.js";
import type { DispatchService } from "../services/dispatch-service.js";
import { DEFAULT_POOL } from "../services/dispatch-service.js";
import { PublishReconciler } from "../services/publish-reconciler.js";
import type { RunLifecycle } from "../services/run-lifecycle.js";
import type { RunNotifier } from "../services/run-notifier.js";
import type { RunPublisher } from "../services/run-publisher.js";
import type { RunQueries } from "../services/run-queries.js";
import type { ServicesContext } from "./context.js";

/** Batches, chains and stop, and the publish reconciler: the parts that go on from the database after a restart. */
export interface OrchestrationServices {
  orchestrator: Orchestrator;
  orchestration: OrchestrationQueries;
  reconciler: PublishReconciler;
  /** Stops listening to the database's run channel. */
  stopListening: () => Promise<void>;
}

/** What {@link createOrchestration} builds on. */
export interface OrchestrationContext extends ServicesContext {
  dispatch: DispatchService;
  lifecycle: RunLifecycle;
  publisher: RunPublisher;
  runs: RunQueries;
  agents: AgentRegistry;
  notifier: RunNotifier;
  signingKey: SigningKey;
}

/** Builds the orchestrator and the reconciler (neither started) and listens to the database's run channel. */
export async function createOrchestration(ctx: OrchestrationContext): Promise<OrchestrationServices> {
  const { config, logger, stores } = ctx;
  const { db } = stores;
  const groupReceipts = new GroupReceiptWriter({ db, key: ctx.signingKey });
  const orchestrator = new Orchestrator({
    db,
    dispatch: ctx.dispatch,
    lifecycle: ctx.lifecycle,
    runs: ctx.runs,
    agents: ctx.agents,
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
  const reconciler = new PublishReconciler({
    db,
    bus: stores.bus,
    publisher: ctx.publisher,
    logger: logger.child({ component: "publisher" }),
    giveUp: (runId, reason) => ctx.lifecycle.finish(runId, "error", reason),
    pools: [DEFAULT_POOL],
    intervalMs: config.publishing.reconcileIntervalMs,
    undeliverableAfterMs: config.publishing.undeliverableAfterMs,
    maxRepublishes: config.publishing.maxRepublishes,
    stallAfterMs: config.publishing.stallAfterMs,
  });
  // One channel for both: "<run id>" wakes watchers, "batch:<id>" / "chain:<id>" wakes the group's owner (a run of
  // it ended on another replica), so the owner need not wait for its tick.
  const stopListening = await db.listenRuns((payload) => {
    const [kind, id] = payload.split(":", 2);
    if (kind === "batch" && id) orchestrator.batches.pump(id);
    else if (kind === "chain" && id) orchestrator.chains.advance(id);
    else ctx.notifier.hear(payload);
  });
  return { orchestrator, orchestration: new OrchestrationQueries(db), reconciler, stopListening };
}
