import type { WorkerApi } from "@pancode/proto";
import { noopLogger } from "@pancode/telemetry";
import type { Cluster } from "@pancode/testing/cluster";
import { createRepo, type FixtureRepo } from "@pancode/testing/git";
import { startTcpProxy, type TcpProxy } from "@pancode/testing/tcp-proxy";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EventReporter } from "./event-reporter.js";
import { dispatch, registerWorker, startCoordinator, storedEvents } from "./fixtures/worker-harness.js";
import { startHeartbeat } from "./heartbeat.js";

// The event reporter against a real coordinator, reached through a link the test can cut: a claimed run's output
// arrives in order and in batches, and what was emitted while the coordinator was unreachable arrives afterwards.

let cluster: Cluster;
let repo: FixtureRepo;
let link: TcpProxy;

beforeAll(async () => {
  cluster = await startCoordinator();
  repo = await createRepo({ files: { "a.txt": "a\n" } });
  link = await startTcpProxy(Number(cluster.address.split(":").pop()));
});

afterAll(async () => {
  await link?.close();
  await cluster?.stop();
  await repo?.cleanup();
});

/** The worker API, counting the events of every ReportEvents call that reached the coordinator. */
function counted(api: WorkerApi): { api: Pick<WorkerApi, "reportEvents">; batches: number[]; failures: () => number } {
  const batches: number[] = [];
  let failures = 0;
  return {
    batches,
    failures: () => failures,
    api: {
      reportEvents: async (lease, events) => {
        try {
          const stale = await api.reportEvents(lease, events);
          batches.push(events.length);
          return stale;
        } catch (err) {
          failures += 1;
          throw err;
        }
      },
    },
  };
}

const lines = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `line ${from + i}`);

describe("the event reporter", () => {
  it("delivers a run's output in order and in batches, losing nothing while the coordinator is unreachable", async () => {
    const worker = await registerWorker(cluster, "er-1", `127.0.0.1:${link.port}`);
    let active: string[] = [];
    // Live for admission, and holding the claimed attempt's lease, as a worker does.
    const heartbeat = startHeartbeat({
      api: worker.api,
      workerId: worker.id,
      intervalMs: worker.registration.heartbeatIntervalMs,
      leaseMs: worker.registration.leaseMs,
      activeRunIds: () => active,
      onCancel: () => {},
      reregister: async () => void (await worker.register()),
      logger: noopLogger,
    });
    const runId = await dispatch(cluster, repo.dir, "true");
    active = [runId];
    const claim = await worker.api.claimRun({ runId, workerId: worker.id, deliveryCount: 1 });
    const lease = claim.spec?.lease;
    if (!lease) throw new Error(`run ${runId} was not claimed: ${claim.skipReason}`);
    const calls = counted(worker.api);
    const reporter = new EventReporter({ api: calls.api, lease, flushMs: 100, logger: noopLogger, onStale: () => {} });

    // Fifty lines at once go out as one batch.
    for (const line of lines(1, 50)) reporter.output("stdout", line);
    await reporter.flush();
    expect(calls.batches).toEqual([50]);

    // The coordinator goes away: what is emitted meanwhile stays buffered.
    await link.cut();
    for (const line of lines(51, 100)) reporter.output("stdout", line);
    await reporter.flush();
    expect(calls.failures()).toBeGreaterThan(0);
    expect(reporter.peekPending()).toHaveLength(50);

    // It comes back: the reporter's own flushes deliver the rest.
    await link.restore();
    await expect.poll(() => reporter.peekPending().length, { timeout: 30_000, interval: 100 }).toBe(0);
    await reporter.close();

    const output = (await storedEvents(cluster, runId)).filter((e) => e.kind === "stdout").map((e) => e.text);
    expect(output).toEqual(lines(1, 100));
    expect(calls.batches.reduce((sum, n) => sum + n, 0)).toBe(100);
    expect(calls.batches.length).toBeLessThan(100);
    heartbeat.stop();
    worker.api.close();
  });
});
