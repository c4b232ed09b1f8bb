import { type JetStreamManager, jetstreamManager, RetentionPolicy, StorageType } from "@nats-io/jetstream";
import { connect, type NatsConnection, nanos } from "@nats-io/transport-node";
import type { LoggerPort, TaskMessage } from "@pancode/core";
import { isNatsAvailable, type NatsServer, startNats, uniqueName } from "@pancode/testing/nats";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { createJetStreamBus, type JetStreamBusOptions } from "./jetstream-bus.js";
import { poolConsumerName } from "./subjects.js";
import type { TaskBus, TaskDelivery } from "./types.js";

// Without nats-server a developer's run skips; in CI a missing service must fail the suite.
const run = process.env.CI === "true" || isNatsAvailable();

describe.runIf(run)("jetstream bus", () => {
  let server: NatsServer;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  const buses: TaskBus[] = [];

  beforeAll(async () => {
    server = await startNats();
    nc = await connect({ servers: server.url, user: server.coordinator.user, pass: server.coordinator.pass });
    jsm = await jetstreamManager(nc);
  });
  afterEach(async () => {
    await Promise.all(buses.splice(0).map((bus) => bus.close()));
  });
  afterAll(async () => {
    await nc?.close();
    await server?.stop();
  });

  const names = () => ({ streamName: uniqueName("TASKS"), subjectPrefix: uniqueName("t") });
  const open = async (options: Omit<JetStreamBusOptions, "url">): Promise<TaskBus> => {
    const bus = await createJetStreamBus({
      ackWaitMs: 1500,
      retryDelayMs: 200,
      ...options,
      url: server.url,
      user: server.coordinator.user,
      pass: server.coordinator.pass,
    });
    buses.push(bus);
    return bus;
  };

  test("creates the work-queue stream once when several processes start at once", async () => {
    const { streamName, subjectPrefix } = names();
    await Promise.all([1, 2, 3, 4].map(() => open({ streamName, subjectPrefix })));
    const { config } = await jsm.streams.info(streamName);
    expect(config.retention).toBe(RetentionPolicy.Workqueue);
    expect(config.storage).toBe(StorageType.File);
    expect(config.subjects).toEqual([`${subjectPrefix}.tasks.>`]);
    expect(config.duplicate_window).toBe(nanos(120_000));
  });

  test("refuses an existing stream with another retention as CONFIG_INVALID", async () => {
    const { streamName, subjectPrefix } = names();
    await jsm.streams.add({
      name: streamName,
      subjects: [`${subjectPrefix}.tasks.>`],
      retention: RetentionPolicy.Limits,
    });
    await expect(open({ streamName, subjectPrefix })).rejects.toMatchObject({ code: "CONFIG_INVALID" });
  });

  test("fails with UNAVAILABLE when NATS cannot be reached", async () => {
    await expect(createJetStreamBus({ url: "nats://127.0.0.1:1" })).rejects.toMatchObject({
      code: "UNAVAILABLE",
      retryable: true,
    });
  });

  test("a worker starting with other timing updates the shared pool consumer", async () => {
    const { streamName, subjectPrefix } = names();
    const pool = uniqueName("pool");
    const first = await open({ streamName, subjectPrefix, ackWaitMs: 1500, maxDeliver: 3 });
    await (await first.consumeTasks(pool, async () => {}, { maxInFlight: 1 })).stop();
    const second = await open({ streamName, subjectPrefix, ackWaitMs: 4000, maxDeliver: 5 });
    await (await second.consumeTasks(pool, async () => {}, { maxInFlight: 1 })).stop();
    const { config } = await jsm.consumers.info(streamName, poolConsumerName(pool));
    expect(config.ack_wait).toBe(nanos(4000));
    expect(config.max_deliver).toBe(5);
  });

  test("acked, terminated and exhausted tasks all leave the stream", async () => {
    const { streamName, subjectPrefix } = names();
    const pool = uniqueName("pool");
    const bus = await open({ streamName, subjectPrefix, maxDeliver: 2 });
    const handled: string[] = [];
    await bus.consumeTasks(
      pool,
      async (d) => {
        handled.push(`${d.task.runId}#${d.deliveryCount}`);
        if (d.task.runId.startsWith("ack")) await d.ack();
        else if (d.task.runId.startsWith("term")) await d.term();
        // "lost": never settled, so it times out twice and hits max deliveries.
      },
      { maxInFlight: 3 },
    );
    for (const label of ["ack", "term", "lost"]) await bus.publishTask(task(pool, label));
    await waitFor(async () => (await jsm.streams.info(streamName)).state.messages === 0, 10_000);
    expect(handled.filter((h) => h.startsWith("lost"))).toHaveLength(2);
  });

  test("a task held by a closed connection (killed worker) goes to another process after the ack wait", async () => {
    const { streamName, subjectPrefix } = names();
    const pool = uniqueName("pool");
    const doomed = await createJetStreamBus({
      url: server.url,
      user: server.coordinator.user,
      pass: server.coordinator.pass,
      streamName,
      subjectPrefix,
      ackWaitMs: 1500,
    });
    const received = deferred();
    await doomed.consumeTasks(pool, async () => received.resolve(), { maxInFlight: 1 });
    const survivor = await open({ streamName, subjectPrefix });
    const sent = task(pool, "run");
    await survivor.publishTask(sent);
    await received.promise;
    await doomed.close();
    const redelivered: TaskDelivery[] = [];
    await survivor.consumeTasks(pool, async (d) => void redelivered.push(d), { maxInFlight: 1 });
    await waitFor(async () => redelivered.length === 1, 10_000);
    expect(redelivered[0]?.task).toEqual(sent);
    expect(redelivered[0]?.deliveryCount).toBe(2);
    await redelivered[0]?.ack();
  });

  test("hasQueuedTasks sees a purge, and a recreated stream whose sequences now hold other runs' tasks", async () => {
    const { streamName, subjectPrefix } = names();
    const bus = await open({ streamName, subjectPrefix });
    const task = (runId: string): TaskMessage => ({ v: 1, runId, pool: "p", enqueuedAt: new Date().toISOString() });
    const a = { runId: "run-a", seq: (await bus.publishTask(task("run-a"))).seq };
    const b = { runId: "run-b", seq: (await bus.publishTask(task("run-b"))).seq };
    expect(await bus.hasQueuedTasks([a, b])).toEqual([true, true]);
    await jsm.streams.purge(streamName);
    expect(await bus.hasQueuedTasks([a, b])).toEqual([false, false]);
    const c = { runId: "run-c", seq: (await bus.publishTask(task("run-c"))).seq };
    expect(await bus.hasQueuedTasks([a, b, c])).toEqual([false, false, true]);

    // Deleted and recreated: numbering starts again, and b's and a's republished tasks take the first sequences.
    await jsm.streams.delete(streamName);
    expect(await bus.hasQueuedTasks([a, b, c])).toEqual([false, false, false]);
    expect(await bus.ensureTaskQueue(["p"])).toBe(true);
    const b2 = { runId: "run-b", seq: (await bus.publishTask(task("run-b"), {}, { msgId: "run-b:2" })).seq };
    const a2 = { runId: "run-a", seq: (await bus.publishTask(task("run-a"), {}, { msgId: "run-a:2" })).seq };
    expect([b2.seq, a2.seq]).toEqual([a.seq, b.seq]);
    expect(await bus.hasQueuedTasks([a, b, a2, b2])).toEqual([false, false, true, true]);
  });

  test("normal operation logs no warnings", async () => {
    const { streamName, subjectPrefix } = names();
    const pool = uniqueName("pool");
    const warnings: string[] = [];
    const logger: LoggerPort = {
      debug: () => {},
      info: () => {},
      warn: (msg) => warnings.push(msg),
      error: (msg) => warnings.push(msg),
    };
    const bus = await open({ streamName, subjectPrefix, logger });
    let done = 0;
    const sub = await bus.consumeTasks(
      pool,
      async (d) => {
        await d.ack();
        done += 1;
      },
      { maxInFlight: 4 },
    );
    for (let i = 0; i < 10; i += 1) await bus.publishTask(task(pool, "run"));
    await waitFor(async () => done === 10);
    await sub.stop();
    await bus.close();
    expect(warnings).toEqual([]);
  });
});

function task(pool: string, label: string): TaskMessage {
  return {
    v: 1,
    runId: `${label}-${Math.random().toString(36).slice(2, 12)}`,
    pool,
    enqueuedAt: new Date().toISOString(),
  };
}

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
