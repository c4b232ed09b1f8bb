import { jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import type { TaskMessage } from "@pancode/core";
import { isNatsAvailable, type NatsServer, startNats, uniqueName } from "@pancode/testing/nats";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { createJetStreamBus } from "./jetstream-bus.js";
import { controlSubject } from "./subjects.js";
import type { TaskBus, TaskDelivery } from "./types.js";

// The server runs with deploy/nats/nats.conf: only the coordinator's user may manage streams or send control.
const run = process.env.CI === "true" || isNatsAvailable();

describe.runIf(run)("NATS authorization", () => {
  let server: NatsServer;
  const closers: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    server = await startNats();
  });
  afterEach(async () => {
    await Promise.all(closers.splice(0).map((close) => close()));
  });
  afterAll(async () => {
    await server?.stop();
  });

  const names = () => ({ streamName: uniqueName("TASKS"), subjectPrefix: uniqueName("t") });
  const openBus = async (role: "coordinator" | "worker", streamName: string, subjectPrefix: string) => {
    const bus: TaskBus = await createJetStreamBus({
      url: server.url,
      ...server[role],
      streamName,
      subjectPrefix,
      ackWaitMs: 1500,
      manageStream: role === "coordinator",
    });
    closers.push(() => bus.close());
    return bus;
  };
  const connectAs = async (role: "coordinator" | "worker"): Promise<NatsConnection> => {
    const nc = await connect({ servers: server.url, ...server[role] });
    closers.push(() => nc.close());
    return nc;
  };

  test("refuses a connection without credentials", async () => {
    await expect(connect({ servers: server.url, reconnect: false })).rejects.toThrow(/authorization/i);
    await expect(connect({ servers: server.url, user: "worker", pass: "guessed", reconnect: false })).rejects.toThrow(
      /authorization/i,
    );
  });

  test("a worker consumes its pool's tasks and receives control messages from the coordinator", async () => {
    const { streamName, subjectPrefix } = names();
    const pool = uniqueName("pool");
    const coordinator = await openBus("coordinator", streamName, subjectPrefix);
    const worker = await openBus("worker", streamName, subjectPrefix);
    const got = deferred<TaskDelivery>();
    await worker.consumeTasks(pool, async (d) => got.resolve(d), { maxInFlight: 1 });
    const cancelled = deferred<string>();
    await worker.subscribeControl((m) => cancelled.resolve(m.runId));
    const sent = task(pool);
    await coordinator.publishTask(sent);
    const delivery = await got.promise;
    expect(delivery.task).toEqual(sent);
    await delivery.ack();
    await coordinator.publishControl({ type: "cancel", runId: sent.runId, reason: "test" });
    expect(await cancelled.promise).toBe(sent.runId);
  });

  test("a worker cannot create the task stream", async () => {
    const { streamName, subjectPrefix } = names();
    await expect(
      createJetStreamBus({ url: server.url, ...server.worker, streamName, subjectPrefix, manageStream: true }),
    ).rejects.toMatchObject({ code: "UNAVAILABLE" });
  });

  test("a worker's credentials cannot publish control messages, tasks, or delete the stream", async () => {
    const { streamName, subjectPrefix } = names();
    const pool = uniqueName("pool");
    const coordinator = await openBus("coordinator", streamName, subjectPrefix);
    const listener = await openBus("coordinator", streamName, subjectPrefix);
    const controls: string[] = [];
    await listener.subscribeControl((m) => controls.push(m.runId));
    const nc = await connectAs("worker");
    const errors = permissionErrors(nc);
    nc.publish(controlSubject(subjectPrefix), JSON.stringify({ type: "cancel", runId: "victim", reason: "forged" }));
    nc.publish(`${subjectPrefix}.tasks.${pool}`, JSON.stringify(task(pool)));
    await nc.flush();
    await expect(errors.next()).resolves.toMatch(/permissions violation for publish to "[^"]+\.control"/i);
    await expect(errors.next()).resolves.toMatch(/permissions violation for publish to "[^"]+\.tasks\./i);
    const jsm = await jetstreamManager(nc, { checkAPI: false });
    await expect(jsm.streams.delete(streamName)).rejects.toThrow(/permissions violation/i);
    await expect(jsm.streams.purge(streamName)).rejects.toThrow(/permissions violation/i);
    // The stream, and the coordinator's control channel, are unaffected.
    await coordinator.publishTask(task(pool));
    expect(await coordinator.queueDepth(pool)).toBe(1);
    await coordinator.publishControl({ type: "cancel", runId: "real", reason: "test" });
    await waitFor(() => controls.length > 0);
    expect(controls).toEqual(["real"]);
  });
});

/** Permission errors the server reports on `nc`, one at a time. */
function permissionErrors(nc: NatsConnection): { next(): Promise<string> } {
  const seen: string[] = [];
  const waiters: Array<(message: string) => void> = [];
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type !== "error") continue;
      const message = String((status as { error?: unknown }).error);
      const waiter = waiters.shift();
      if (waiter) waiter(message);
      else seen.push(message);
    }
  })();
  return {
    next: () => {
      const ready = seen.shift();
      return ready !== undefined ? Promise.resolve(ready) : new Promise((resolve) => waiters.push(resolve));
    },
  };
}

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve: (value: T) => void = () => {};
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

function task(pool: string): TaskMessage {
  return { v: 1, runId: `run-${Math.random().toString(36).slice(2, 12)}`, pool, enqueuedAt: new Date().toISOString() };
}

async function waitFor(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 20));
}
