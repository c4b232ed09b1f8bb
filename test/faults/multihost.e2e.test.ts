import { createRepo, type FixtureRepo } from "@pancode/testing/git";
import { canMakeNamespaces } from "@pancode/testing/netns";
import { queryRows } from "@pancode/testing/postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  COORDINATOR_HOSTS,
  coordinatorWithPid,
  groupOwnerPid,
  hasMultiHostTools,
  type MultiHostCluster,
  monitorUrl,
  NATS_HOSTS,
  type NatsHost,
  startMultiHostCluster,
} from "./multihost-cluster.js";
import { countOf, poll, Scenario } from "./multihost-work.js";
import { damageOf, faultTable, NO_DAMAGE } from "./run-accounting.js";

// The cluster's parts as separate hosts (network namespaces this file makes: multihost-cluster.ts) and the faults
// that only several hosts can have: a partition between two of them, one replica of several dying, one NATS node of
// three dying. One cluster serves every scenario, in this order (the last two leave a replica and a node dead).
// Each scenario prints its row of the fault table (submitted, done, error, stuck, lost, run twice).

const run = process.env.CI === "true" || (canMakeNamespaces() && hasMultiHostTools());
const WORKERS_CONCURRENCY = 2;

let mh: MultiHostCluster | undefined;
let repo: FixtureRepo | undefined;

function cluster(): MultiHostCluster {
  if (!mh) throw new Error("the multi-host cluster did not start");
  return mh;
}

function scenario(): Scenario {
  return new Scenario(cluster(), repo?.dir ?? "");
}

function tasks(prefix: string, count: number, seconds: number): string[] {
  return Array.from({ length: count }, (_, i) => `sleep ${seconds}; echo ${prefix}-${i + 1}`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe.runIf(run)("a cluster of separate hosts under partitions and host loss", () => {
  beforeAll(async () => {
    const startedAt = Date.now();
    mh = await startMultiHostCluster({ concurrency: WORKERS_CONCURRENCY });
    repo = await createRepo({ files: { "README.md": "multi-host faults\n" } });
    await warmUp(startedAt);
  });

  afterAll(async () => {
    await mh?.stop();
    await repo?.cleanup();
    console.log(`\nfault suite: multi-host\n${faultTable()}`);
  });

  it("a worker cut off from every NATS node but not from the coordinators: the queue goes on, nothing twice", async () => {
    const mc = cluster();
    const work = scenario();
    await work.dispatch(tasks("before-nats-cut", 8, 3));
    await work.runningOn("w1");
    for (const node of NATS_HOSTS) mc.net.partition("w1", node);
    // Queued meanwhile: only w2 can hear of these. The wait lets a bus delivery of w1's time out (ack wait 3 s).
    const meanwhile = await work.dispatch(tasks("during-nats-cut", 6, 1));
    await sleep(6_000);
    const takenByCutWorker = await countOf(
      mc.databaseUrl,
      `select count(*) from runs where worker_id = 'w1' and id in (${meanwhile.map((id) => `'${id}'`).join(",")})`,
    );
    for (const node of NATS_HOSTS) mc.net.heal("w1", node);

    const tally = await work.settle("worker cut off from NATS (8 runs + 6 queued meanwhile, 2 workers)");
    expect(damageOf(tally)).toEqual(NO_DAMAGE);
    expect(tally.done).toBe(14);
    // The partition held: w1 claimed none of the runs queued while it was cut off.
    expect(takenByCutWorker).toBe(0);
  });

  it("a worker cut off from both coordinators but not from NATS: its finished run is delivered after heal, once", async () => {
    const mc = cluster();
    const work = scenario();
    await work.dispatch(tasks("coord-cut", 8, 3));
    const held = await work.runningOn("w1");
    for (const host of COORDINATOR_HOSTS) mc.net.partition("w1", host);
    // The run finishes while its worker cannot report it: the result waits in the worker's outbox. The partition
    // stays inside the run's lease (10 s), so the coordinator has no reason to give the run to another worker.
    await work.containerFinished(held);
    await sleep(2_000);
    // The partition holds: the coordinators have not heard of the result yet.
    const beforeHeal = await queryRows(mc.databaseUrl, `select status from runs where id = '${held}'`);
    for (const host of COORDINATOR_HOSTS) mc.net.heal("w1", host);
    expect(beforeHeal[0]?.[0]).toBe("running");

    const tally = await work.settle("worker cut off from both coordinators (8 runs, 2 workers)");
    expect(damageOf(tally)).toEqual(NO_DAMAGE);
    expect(tally.done).toBe(8);
    const status = await queryRows(mc.databaseUrl, `select status, worker_id from runs where id = '${held}'`);
    expect(status[0]).toEqual(["done", "w1"]);
  });

  it("a client cut off from the first coordinator of its list dispatches through the second", async () => {
    const mc = cluster();
    const work = scenario();
    mc.net.partition("client", "coordA");
    try {
      await work.dispatch(tasks("client-cut", 8, 0));
    } finally {
      mc.net.heal("client", "coordA");
    }
    const tally = await work.settle("client cut off from coordinator A (8 runs)");
    expect(damageOf(tally)).toEqual(NO_DAMAGE);
    expect(tally.done).toBe(8);
  });

  it("the replica owning a batch and a chain SIGKILLed mid-way: the other finishes both, one run per item and step", async () => {
    const mc = cluster();
    const work = scenario();
    const batchId = await work.batch(tasks("batch", 10, 1), 2);
    const chainId = await work.chain(["sleep 2; echo step-1", "sleep 2; echo step-2", "sleep 1; echo step-3"]);
    const db = mc.databaseUrl;
    await poll(
      60_000,
      () => "the batch and chain did not get under way",
      async () => {
        const items = await countOf(db, `select count(*) from runs where batch_id = '${batchId}'`);
        const steps = await countOf(db, `select count(*) from runs where chain_id = '${chainId}'`);
        return items >= 3 && steps >= 2 ? true : undefined;
      },
    );
    const owner = coordinatorWithPid(mc, await groupOwnerPid(db, "batches", batchId));
    expect(owner).toBeDefined();
    expect(coordinatorWithPid(mc, await groupOwnerPid(db, "chains", chainId))).toBe(owner);
    await mc.killCoordinator(owner ?? "coordA");
    const killedAt = Date.now();
    // Read once the owner is dead (it can no longer renew or admit) and before its lease ran out (nobody else can
    // have taken over yet): the lease's end and the last item the dead owner admitted.
    const leaseEnd = await countOf(
      db,
      `select extract(epoch from owner_lease_expires_at) * 1000 from batches where id = '${batchId}'`,
    );
    const before = await countOf(
      db,
      `select extract(epoch from max(created_at)) * 1000 from runs where batch_id = '${batchId}'`,
    );

    const tally = await work.settle("coordinator replica owning a batch of 10 and a chain of 3 SIGKILLed");
    expect(damageOf(tally)).toEqual(NO_DAMAGE);
    expect(tally.done).toBe(13);
    const perStep = await queryRows(
      db,
      `select count(*) from runs where batch_id = '${batchId}' or chain_id = '${chainId}' group by batch_id, chain_id, step having count(*) > 1`,
    );
    expect(perStep).toEqual([]);
    const survivor = coordinatorWithPid(mc, await groupOwnerPid(db, "batches", batchId));
    expect(survivor).toBeDefined();
    expect(survivor).not.toBe(owner);
    const firstNew = await countOf(
      db,
      `select extract(epoch from min(created_at)) * 1000 from runs where batch_id = '${batchId}' and extract(epoch from created_at) * 1000 > ${before}`,
    );
    console.log(
      `takeover of a dead replica's batch (group lease 3000 ms): ${Math.round(firstNew - leaseEnd)} ms from lease expiry, ` +
        `${Math.round(firstNew - killedAt)} ms from SIGKILL, to the first new item`,
    );
  });

  it("one NATS node of three SIGKILLed with runs queued: nothing lost", async () => {
    const mc = cluster();
    const work = scenario();
    await work.dispatch(tasks("nats-node", 10, 2));
    const leader = streamLeader(mc);
    await mc.killNats(leader);

    const tally = await work.settle(`NATS node ${leader} of 3 (task stream leader) SIGKILLed, 10 runs queued`);
    expect(damageOf(tally)).toEqual(NO_DAMAGE);
    expect(tally.done).toBe(10);
  });
});

/**
 * Waits until every worker has run something (the scenarios need both taking work), feeding the queue two `true`
 * runs every 5 s meanwhile, and prints how long after the cluster's start each worker's first run began. On a
 * fresh three-node JetStream a worker's first pull can stay unanswered until its missed-heartbeat check (about
 * 45 s) while the other worker takes everything: the figure shows it when it happens.
 */
async function warmUp(startedAt: number): Promise<void> {
  const work = scenario();
  try {
    const first = await poll(
      150_000,
      () => "a worker ran nothing within 150 s of the warm-up",
      async () => {
        await work.dispatch(["true", "true"]);
        const rows = await queryRows(
          cluster().databaseUrl,
          "select worker_id, extract(epoch from min(started_at)) * 1000 from runs where started_at is not null group by worker_id",
        );
        if (rows.length >= 2) return rows;
        await sleep(5_000);
        return undefined;
      },
    );
    const secondsIn = first.map(([id, at]) => `${id} after ${((Number(at) - startedAt) / 1000).toFixed(1)} s`);
    console.log(`warm-up: first run of each worker after the cluster's start: ${secondsIn.join(", ")}`);
  } finally {
    await work.discard();
  }
}

/** The node leading the task stream's replicas (the one whose loss forces an election), from a node's monitor. */
function streamLeader(mc: MultiHostCluster): NatsHost {
  const jsz = JSON.parse(
    mc.net.execIn("nats1", "curl", [
      "-sf",
      "--max-time",
      "5",
      `${monitorUrl(mc.net, "nats1")}/jsz?accounts=true&streams=true`,
    ]),
  ) as { account_details?: { stream_detail?: { name: string; cluster?: { leader?: string } }[] }[] };
  const streams = (jsz.account_details ?? []).flatMap((a) => a.stream_detail ?? []);
  const leader = streams.find((s) => s.cluster?.leader)?.cluster?.leader;
  return NATS_HOSTS.find((h) => h === leader) ?? "nats1";
}
