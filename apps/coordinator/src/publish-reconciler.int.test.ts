import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import {
  createInProcessBus,
  createJetStreamBus,
  openTaskStreamAdmin,
  type TaskBus,
  type TaskSubscription,
} from "@pancode/bus";
import { type Database, openDatabase, type RunRow } from "@pancode/db";
import { noopLogger } from "@pancode/telemetry";
import { isNatsAvailable, type NatsServer, startNats } from "@pancode/testing/nats";
import { freshDatabaseUrl, type PostgresServer, startPostgres } from "@pancode/testing/postgres";
import { startTcpProxy, type TcpProxy } from "@pancode/testing/tcp-proxy";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  type CoordinatorNode,
  registerTestWorker,
  startCoordinatorNode,
  uploadedWorkspace,
} from "./fixtures/coordinator-node.js";
import { PublishReconciler } from "./services/publish-reconciler.js";
import { type PublishGate, RunPublisher } from "./services/run-publisher.js";

// Nothing depends on a message that may be gone: a coordinator on real Postgres and real NATS JetStream (reached
// through a relay the tests cut, as if NATS were down) and a stand-in worker that claims every task it pulls through
// the coordinator's gRPC API, counting the claims that started an attempt.

const enabled = process.env.CI === "true" || isNatsAvailable();

let pg: PostgresServer;
beforeAll(async () => {
  if (enabled) pg = await startPostgres();
});
afterAll(async () => {
  await pg?.stop();
});

/** A coordinator, its NATS (behind a relay), its database, and a claiming worker the test starts when it wants. */
interface Rig {
  nats: NatsServer;
  proxy: TcpProxy;
  node: CoordinatorNode;
  db: Database;
  /** Claims that started an attempt, per run, in the order they happened. */
  claims: string[];
}

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

async function startRig(env: Record<string, string> = {}, gate?: PublishGate): Promise<Rig> {
  const nats = await startNats();
  cleanups.push(() => nats.stop());
  const proxy = await startTcpProxy(Number(new URL(nats.url).port));
  cleanups.push(() => proxy.close());
  const dataDir = await mkdtemp(join(tmpdir(), "pancode-reconcile-"));
  cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
  const databaseUrl = await freshDatabaseUrl(pg.url);
  const node = await startCoordinatorNode(
    {
      PANCODE_DATA_DIR: dataDir,
      DATABASE_URL: databaseUrl,
      NATS_URL: `nats://127.0.0.1:${proxy.port}`,
      NATS_USER: nats.coordinator.user,
      NATS_PASSWORD: nats.coordinator.pass,
      PANCODE_RECONCILE_INTERVAL_MS: "200",
      // Long leases: no attempt is requeued behind the test's back.
      PANCODE_LEASE_MS: "120000",
      PANCODE_HEARTBEAT_MS: "40000",
      ...env,
    },
    { publishGate: gate },
  );
  cleanups.push(() => node.close());
  await registerTestWorker(node.worker, { workerId: "wa", capacity: 8 });
  const db = await openDatabase({ url: databaseUrl });
  cleanups.push(() => db.close());
  return { nats, proxy, node, db, claims: [] };
}

/**
 * A worker as apps/worker settles deliveries: claim through the coordinator; a started attempt is counted and
 * acked (the run stays running: leases are long), "busy" is handed back after a while, anything else dropped.
 */
async function startClaimer(rig: Rig, options: { ackWaitMs?: number; maxDeliver?: number } = {}): Promise<TaskBus> {
  const bus = await createJetStreamBus({
    url: rig.nats.url,
    ...rig.nats.worker,
    manageStream: false,
    ackWaitMs: options.ackWaitMs ?? 30_000,
    maxDeliver: options.maxDeliver ?? 10,
  });
  cleanups.push(() => bus.close());
  const sub = await bus.consumeTasks(
    "default",
    async (d) => {
      const claim = await rig.node.worker.claimRun({ runId: d.task.runId, workerId: "wa", deliveryCount: 1 });
      if (claim.spec) rig.claims.push(d.task.runId);
      if (!claim.spec && claim.retryAfterMs > 0) await d.nak(claim.retryAfterMs);
      else await d.ack();
    },
    { maxInFlight: 1 },
  );
  cleanups.push(() => sub.stop());
  return bus;
}

async function dispatch(rig: Rig, task: string) {
  const response = await rig.node.client.dispatch({
    task,
    agent: "shell",
    isolate: false,
    workspace: await uploadedWorkspace(rig.node.client),
    mode: "build",
    model: "",
    submitter: "tester@host",
    safety: "full-auto",
  });
  return { runId: response.run?.id ?? "", warnings: response.warnings };
}

/** Polls until `check` holds; fails with `what` after 30 s (a bound against hanging, not a timing assertion). */
async function until(what: string, check: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await sleep(100);
  }
}

async function runRow(rig: Rig, runId: string): Promise<RunRow> {
  const run = await rig.db.getRun(runId);
  if (!run) throw new Error(`run ${runId} not found`);
  return run;
}

const claimsOf = (rig: Rig, runId: string) => rig.claims.filter((id) => id === runId).length;

describe.skipIf(!enabled)("publish reconciler", () => {
  it("admits a dispatch while NATS is unreachable, publishes it once NATS is back, and it runs once", async () => {
    const rig = await startRig();
    await startClaimer(rig);
    await rig.proxy.cut();
    const { runId, warnings } = await dispatch(rig, "echo while the bus is down");
    expect(warnings.join("\n")).toContain(`the task bus is unavailable: run ${runId} is admitted`);
    const admitted = await runRow(rig, runId);
    expect(admitted).toMatchObject({ status: "pending", publishedAt: null, publishCount: 0 });

    await rig.proxy.restore();
    await until("the run is claimed", () => claimsOf(rig, runId) === 1);
    expect(await runRow(rig, runId)).toMatchObject({ status: "running", attempt: 1, publishCount: 1 });
    // Passes go on after the claim: nothing publishes it again, nothing claims it again.
    await sleep(1000);
    expect(claimsOf(rig, runId)).toBe(1);
    expect((await runRow(rig, runId)).publishCount).toBe(1);
  });

  it("republishes a pending run whose message was purged from the stream; it is claimed once", async () => {
    const rig = await startRig();
    const { runId, warnings } = await dispatch(rig, "echo purged");
    expect(warnings).toEqual([]);
    expect(await runRow(rig, runId)).toMatchObject({ status: "pending", publishCount: 1 });
    const admin = await openTaskStreamAdmin({ url: rig.nats.url, ...rig.nats.coordinator });
    cleanups.push(() => admin.close());
    await admin.purgeStream();

    await until("the run is republished", async () => (await runRow(rig, runId)).publishCount === 2);
    await startClaimer(rig);
    await until("the run is claimed", () => claimsOf(rig, runId) === 1);
    await sleep(1000);
    expect(claimsOf(rig, runId)).toBe(1);
  });

  it("republishes a run whose message is deleted from the middle of the stream after passes saw it queued", async () => {
    const rig = await startRig();
    const runs: string[] = [];
    for (const task of ["echo first", "echo middle", "echo last"]) runs.push((await dispatch(rig, task)).runId);
    const [first, middle, last] = runs as [string, string, string];
    const middleSeq = (await runRow(rig, middle)).busSeq ?? 0;
    // Passes every 200 ms: by now several have looked at the three runs and found their messages queued.
    await sleep(1000);
    expect((await Promise.all(runs.map((id) => runRow(rig, id)))).map((r) => r.publishCount)).toEqual([1, 1, 1]);
    const admin = await openTaskStreamAdmin({ url: rig.nats.url, ...rig.nats.coordinator });
    cleanups.push(() => admin.close());
    expect(await admin.deleteMessage(middleSeq)).toBe(true);

    await until("the middle run is republished", async () => (await runRow(rig, middle)).publishCount === 2);
    await startClaimer(rig);
    await until("all three are claimed", () => runs.every((id) => claimsOf(rig, id) === 1));
    await sleep(1000);
    expect(runs.map((id) => claimsOf(rig, id))).toEqual([1, 1, 1]);
    expect([(await runRow(rig, first)).publishCount, (await runRow(rig, last)).publishCount]).toEqual([1, 1]);
  });

  it("republishes a run whose message was dropped after max deliveries; it is claimed once", async () => {
    const rig = await startRig({ PANCODE_MAX_DELIVER: "2", PANCODE_ACK_WAIT_MS: "1000" });
    // A worker that takes the task and never settles it (its coordinator unreachable): two deliveries, then
    // JetStream gives up on the message and the coordinator's sweeper deletes it.
    const dropping = await createJetStreamBus({
      url: rig.nats.url,
      ...rig.nats.worker,
      manageStream: false,
      ackWaitMs: 1000,
      maxDeliver: 2,
    });
    cleanups.push(() => dropping.close());
    let deliveries = 0;
    const sub: TaskSubscription = await dropping.consumeTasks(
      "default",
      async () => {
        deliveries += 1;
      },
      { maxInFlight: 1 },
    );
    const { runId } = await dispatch(rig, "echo dropped");
    await until("the message is dropped and republished", async () => (await runRow(rig, runId)).publishCount >= 2);
    expect(deliveries).toBeGreaterThanOrEqual(2);
    await sub.stop();
    await dropping.close();

    await startClaimer(rig, { ackWaitMs: 1000, maxDeliver: 2 });
    await until("the run is claimed", () => claimsOf(rig, runId) === 1);
    await sleep(1000);
    expect(claimsOf(rig, runId)).toBe(1);
    expect((await runRow(rig, runId)).status).toBe("running");
  });

  it("replaces a message stuck after max deliveries that the coordinator missed the advisory of; claimed once", async () => {
    const rig = await startRig({
      PANCODE_MAX_DELIVER: "2",
      PANCODE_ACK_WAIT_MS: "1000",
      PANCODE_REDELIVERY_STALL_MS: "1500",
    });
    const dropping = await createJetStreamBus({
      url: rig.nats.url,
      ...rig.nats.worker,
      manageStream: false,
      ackWaitMs: 1000,
      maxDeliver: 2,
    });
    cleanups.push(() => dropping.close());
    let deliveries = 0;
    const sub = await dropping.consumeTasks(
      "default",
      async () => {
        deliveries += 1;
      },
      { maxInFlight: 1 },
    );
    const { runId } = await dispatch(rig, "echo stuck");
    // The coordinator is away while the message runs out of deliveries: nobody drops it, nobody delivers it again.
    await rig.proxy.cut();
    await until("two deliveries", () => deliveries >= 2);
    await sleep(2000);
    await sub.stop();
    const inspector = await createJetStreamBus({ url: rig.nats.url, ...rig.nats.coordinator, manageStream: false });
    cleanups.push(() => inspector.close());
    const seq = (await runRow(rig, runId)).busSeq ?? 0;
    expect(await inspector.hasQueuedTask(seq, runId)).toBe(true);
    expect(await inspector.deliveredUpTo("default")).toBeGreaterThanOrEqual(seq);

    await rig.proxy.restore();
    await startClaimer(rig, { ackWaitMs: 1000, maxDeliver: 2 });
    await until("the run is claimed", () => claimsOf(rig, runId) === 1);
    expect(await inspector.hasQueuedTask(seq, runId)).toBe(false);
    expect((await runRow(rig, runId)).publishCount).toBe(2);
    await sleep(1000);
    expect(claimsOf(rig, runId)).toBe(1);
  });

  it("drops a duplicate message of a run already running or finished without a second claim", async () => {
    const rig = await startRig();
    await startClaimer(rig);
    const { runId } = await dispatch(rig, "echo once");
    await until("the run is claimed", () => claimsOf(rig, runId) === 1);
    const inspector = await createJetStreamBus({ url: rig.nats.url, ...rig.nats.coordinator, manageStream: false });
    cleanups.push(() => inspector.close());
    const task = { v: 1 as const, runId, pool: "default", enqueuedAt: new Date().toISOString() };
    const running = await inspector.publishTask(task, {}, { msgId: `${runId}:duplicate-while-running` });
    await until("the duplicate is acked", async () => !(await inspector.hasQueuedTask(running.seq, runId)));

    await rig.node.client.stopRun({ runId, batchId: "", chainId: "", submitter: "tester@host" });
    await until("the run ended", async () => (await runRow(rig, runId)).status === "interrupted");
    const finished = await inspector.publishTask(task, {}, { msgId: `${runId}:duplicate-when-finished` });
    await until("the duplicate is acked", async () => !(await inspector.hasQueuedTask(finished.seq, runId)));
    expect(claimsOf(rig, runId)).toBe(1);
  });

  it("recreates a deleted task stream and republishes its pending runs; each is claimed once", async () => {
    const rig = await startRig();
    const first = await dispatch(rig, "echo one");
    const second = await dispatch(rig, "echo two");
    const admin = await openTaskStreamAdmin({ url: rig.nats.url, ...rig.nats.coordinator });
    cleanups.push(() => admin.close());
    expect(await admin.deleteStream()).toBe(true);

    await until("both runs are republished", async () => {
      const rows = await Promise.all([runRow(rig, first.runId), runRow(rig, second.runId)]);
      return rows.every((r) => r.publishCount === 2 && r.publishedAt !== null);
    });
    await startClaimer(rig);
    await until("both runs are claimed", () => claimsOf(rig, first.runId) + claimsOf(rig, second.runId) === 2);
    await sleep(1000);
    expect([claimsOf(rig, first.runId), claimsOf(rig, second.runId)]).toEqual([1, 1]);
  });

  it("ends a run the bus never takes with a reason, audited, once the undeliverable bound passes", async () => {
    const rig = await startRig({ PANCODE_UNDELIVERABLE_AFTER_MS: "2000" });
    await rig.proxy.cut();
    const { runId } = await dispatch(rig, "echo never delivered");
    await until("the run ends", async () => (await runRow(rig, runId)).status !== "pending");
    const run = await runRow(rig, runId);
    expect(run.status).toBe("error");
    expect(run.error).toMatch(
      /^undeliverable: the task bus \(NATS\) did not take the run for 2 s .*dispatch it again$/,
    );
    const audit = await rig.node.client.listAudit({ limit: 50 });
    expect(audit.some((e) => e.runId === runId && e.message.includes("undeliverable"))).toBe(true);
  });

  it("ends a run whose message keeps getting lost once it was republished PANCODE_MAX_REPUBLISHES times", async () => {
    const rig = await startRig({ PANCODE_MAX_REPUBLISHES: "1" });
    const { runId } = await dispatch(rig, "echo lost again and again");
    const admin = await openTaskStreamAdmin({ url: rig.nats.url, ...rig.nats.coordinator });
    cleanups.push(() => admin.close());
    await admin.purgeStream();
    await until("the run is republished", async () => (await runRow(rig, runId)).publishCount === 2);
    await admin.purgeStream();
    await until("the run ends", async () => (await runRow(rig, runId)).status !== "pending");
    const run = await runRow(rig, runId);
    expect(run.status).toBe("error");
    expect(run.error).toContain("undeliverable: its task message was lost 2 times");
  });

  it("publishes runs a gate held, in admission order, once the gate opens", async () => {
    let open = false;
    const asked: string[] = [];
    const gate: PublishGate = {
      mayPublish: (run) => {
        asked.push(run.id);
        return open;
      },
    };
    const rig = await startRig({}, gate);
    await startClaimer(rig);
    const ids: string[] = [];
    for (const task of ["echo a", "echo b", "echo c"]) {
      const { runId, warnings } = await dispatch(rig, task);
      expect(warnings.join("\n")).toContain("held until the cluster's publish policy lets it start");
      ids.push(runId);
    }
    // The reconciler keeps asking and keeps holding: nothing reaches the bus.
    await until("the reconciler asked again", () => asked.filter((id) => id === ids[0]).length >= 3);
    expect(rig.claims).toEqual([]);
    for (const id of ids) expect(await runRow(rig, id)).toMatchObject({ status: "pending", publishedAt: null });

    open = true;
    await until("all three are claimed", () => rig.claims.length === 3);
    const rows = await Promise.all(ids.map((id) => runRow(rig, id)));
    const seqs = rows.map((r) => r.busSeq ?? 0);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(rig.claims).toEqual(ids);
  });
});

describe.skipIf(!enabled)("publish reconciler lock", () => {
  it("lets one coordinator at a time reconcile; another takes over when the owner stops", async () => {
    const databaseUrl = await freshDatabaseUrl(pg.url);
    const reconcilerOn = async () => {
      const db = await openDatabase({ url: databaseUrl });
      cleanups.push(() => db.close());
      const bus = createInProcessBus();
      cleanups.push(() => bus.close());
      const reconciler = new PublishReconciler({
        db,
        bus,
        publisher: new RunPublisher({ db, bus }),
        logger: noopLogger,
        giveUp: async () => undefined,
        pools: ["default"],
        intervalMs: 60_000,
        undeliverableAfterMs: 60_000,
        maxRepublishes: 5,
        stallAfterMs: 60_000,
      });
      cleanups.push(() => reconciler.stop());
      return reconciler;
    };
    const first = await reconcilerOn();
    const second = await reconcilerOn();
    expect((await first.pass()).owner).toBe(true);
    expect((await second.pass()).owner).toBe(false);
    expect((await first.pass()).owner).toBe(true);
    await first.stop();
    expect((await second.pass()).owner).toBe(true);
  });
});
