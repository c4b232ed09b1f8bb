import { noopLogger } from "@pancode/telemetry";
import type { Cluster } from "@pancode/testing/cluster";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerWorker, startCoordinator, workerColumn } from "./fixtures/worker-harness.js";
import { startHeartbeat } from "./heartbeat.js";

// Heartbeats against a real coordinator: it records the worker's active runs, answers which of them to stop, and
// declares the worker gone once the heartbeats stop.

let cluster: Cluster;

beforeAll(async () => {
  cluster = await startCoordinator();
});

afterAll(async () => {
  await cluster?.stop();
});

describe("the heartbeat", () => {
  it("is seen by the coordinator, which names runs to stop; once stopped the coordinator sees the worker go", async () => {
    const worker = await registerWorker(cluster, "hb-1");
    const unknownRuns = ["no-such-run-1", "no-such-run-2"];
    const cancelled: string[] = [];
    let onCancel: () => void = () => {};
    const bothCancelled = new Promise<void>((resolve) => {
      onCancel = resolve;
    });
    const heartbeat = startHeartbeat({
      api: worker.api,
      workerId: worker.id,
      intervalMs: worker.registration.heartbeatIntervalMs,
      leaseMs: worker.registration.leaseMs,
      activeRunIds: () => unknownRuns,
      onCancel: (runId) => {
        cancelled.push(runId);
        if (cancelled.length === unknownRuns.length) onCancel();
      },
      reregister: async () => void (await worker.register()),
      logger: noopLogger,
    });
    try {
      // Runs the coordinator does not know are not this worker's to run: it says stop them.
      await bothCancelled;
      expect(cancelled.slice(0, 2).sort()).toEqual(unknownRuns);
      // The coordinator recorded the active runs the heartbeat reported.
      await expect.poll(() => workerColumn(cluster, worker.id, "active"), { timeout: 10_000 }).toBe("2");
      expect(heartbeat.coordinatorAnswered()).toBeUndefined();
    } finally {
      heartbeat.stop();
    }
    const lastBeat = await workerColumn(cluster, worker.id, "last_heartbeat_at");
    // Silence: the coordinator's sweep marks the worker gone (a heartbeat still running would keep it up).
    await expect
      .poll(() => workerColumn(cluster, worker.id, "status"), { timeout: 30_000, interval: 200 })
      .toBe("gone");
    expect(await workerColumn(cluster, worker.id, "last_heartbeat_at")).toBe(lastBeat);
    worker.api.close();
  });

  it("registers again when the coordinator has forgotten the worker", async () => {
    const worker = await registerWorker(cluster, "hb-2");
    let registrations = 0;
    let reregistered: () => void = () => {};
    const again = new Promise<void>((resolve) => {
      reregistered = resolve;
    });
    // First let the coordinator forget the worker (no heartbeats), then start beating.
    await expect
      .poll(() => workerColumn(cluster, worker.id, "status"), { timeout: 30_000, interval: 200 })
      .toBe("gone");
    const heartbeat = startHeartbeat({
      api: worker.api,
      workerId: worker.id,
      intervalMs: worker.registration.heartbeatIntervalMs,
      leaseMs: worker.registration.leaseMs,
      activeRunIds: () => [],
      onCancel: () => {},
      reregister: async () => {
        await worker.register();
        registrations += 1;
        reregistered();
      },
      logger: noopLogger,
    });
    try {
      await again;
      expect(registrations).toBeGreaterThanOrEqual(1);
      await expect.poll(() => workerColumn(cluster, worker.id, "status"), { timeout: 10_000 }).toBe("up");
    } finally {
      heartbeat.stop();
      worker.api.close();
    }
  });
});
