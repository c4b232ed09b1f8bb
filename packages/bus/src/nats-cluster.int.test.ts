import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import type { TaskMessage } from "@pancode/core";
import { isNatsAvailable, uniqueName } from "@pancode/testing/nats";
import { type NatsCluster, startNatsCluster } from "@pancode/testing/nats-cluster";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createJetStreamBus } from "./jetstream-bus.js";
import type { TaskBus } from "./types.js";

// A real 3-node JetStream cluster on loopback: NATS_URL lists every node, the task stream has 3 replicas, and a
// node dying with tasks queued loses none of them.

// Without nats-server a developer's run skips; in CI a missing service must fail the suite.
const run = process.env.CI === "true" || isNatsAvailable();

describe.runIf(run)("task bus on a 3-node NATS cluster", () => {
  let cluster: NatsCluster;
  const buses: TaskBus[] = [];

  beforeAll(async () => {
    cluster = await startNatsCluster(3);
  });
  afterAll(async () => {
    for (const bus of buses) await bus.close().catch(() => undefined);
    await cluster?.stop();
  });

  const open = async (streamName: string, subjectPrefix: string, replicas: number): Promise<TaskBus> => {
    const bus = await createJetStreamBus({ url: cluster.url, streamName, subjectPrefix, replicas, ackWaitMs: 2000 });
    buses.push(bus);
    return bus;
  };

  const streamLeader = async (streamName: string): Promise<string> => {
    const nc = await connect({ servers: cluster.nodes });
    try {
      return (await (await jetstreamManager(nc)).streams.info(streamName)).cluster?.leader ?? "node0";
    } finally {
      await nc.close();
    }
  };

  test("an existing one-replica stream is scaled to PANCODE_JETSTREAM_REPLICAS when its owner starts", async () => {
    const streamName = uniqueName("TASKS");
    const subjectPrefix = uniqueName("t");
    await open(streamName, subjectPrefix, 1);
    await open(streamName, subjectPrefix, 3);
    const nc = await connect({ servers: cluster.nodes });
    try {
      const info = await (await jetstreamManager(nc)).streams.info(streamName);
      expect(info.config.num_replicas).toBe(3);
    } finally {
      await nc.close();
    }
  });

  test("killing one node of three with 20 tasks queued loses none of them", async () => {
    const streamName = uniqueName("TASKS");
    const subjectPrefix = uniqueName("t");
    const pool = uniqueName("pool");
    const publisher = await open(streamName, subjectPrefix, 3);
    const sent: string[] = [];
    for (let i = 0; i < 20; i++) {
      const message: TaskMessage = { v: 1, runId: `run-${i}`, pool, enqueuedAt: new Date().toISOString() };
      await publisher.publishTask(message);
      sent.push(message.runId);
    }
    // The node that leads the stream: with one replica the tasks would go with it.
    const leader = await streamLeader(streamName);
    await cluster.kill(Number(leader.replace("node", "")));
    // A consumer connecting after the loss, through the node list (the first of which may be dead). Until the two
    // survivors have elected new leaders JetStream answers nothing, and a consumer that started too early can sit
    // on a pull that never answers: like a restarted worker, the test reconnects until every task has arrived.
    const received = new Set<string>();
    const deadline = Date.now() + 120_000;
    while (received.size < sent.length && Date.now() < deadline) {
      const consumer = await retryUntil(() => open(streamName, subjectPrefix, 3), 30_000);
      const subscription = await consumer.consumeTasks(
        pool,
        async (delivery) => {
          received.add(delivery.task.runId);
          await delivery.ack();
        },
        { maxInFlight: 4 },
      );
      const attemptEnds = Date.now() + 20_000;
      while (received.size < sent.length && Date.now() < attemptEnds) await sleep(250);
      await subscription.stop().catch(() => undefined);
      await consumer.close().catch(() => undefined);
    }
    expect([...received].sort()).toEqual([...sent].sort());
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function retryUntil<T>(attempt: () => Promise<T>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}
