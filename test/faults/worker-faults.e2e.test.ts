import { afterAll, afterEach, expect, it } from "vitest";
import {
  dispatchRuns,
  type FaultCluster,
  freezeCoordinator,
  killWorker,
  liveWorker,
  restartWorker,
  settle,
  sleep,
  startFaultCluster,
  stopFaultCluster,
  thawCoordinator,
  waitForContainers,
  waitForRuns,
} from "./fault-harness.js";
import { damageOf, faultTable, NO_DAMAGE, recordTally } from "./run-accounting.js";

// Workers that die: mid-run (their runs may execute again, nothing else may), and right after a container
// finished while the coordinator could not take the result (the result must survive the restart).

let fc: FaultCluster | undefined;

function lastLines(text: string, count: number): string {
  return text.trimEnd().split("\n").slice(-count).join("\n");
}

afterEach(async () => {
  await stopFaultCluster(fc);
  fc = undefined;
});

afterAll(() => console.log(`\nfault suite: workers\n${faultTable()}`));

it("a worker SIGKILLed mid-run: its runs run again elsewhere, no other run twice, none stuck or lost", async () => {
  fc = await startFaultCluster({ workers: 2, concurrency: 2 });
  const runIds = await dispatchRuns(
    fc,
    [1, 2, 3, 4].map((i) => `sleep 4; echo worker-kill-${i}`),
  );
  await waitForRuns(fc, 4);
  await waitForContainers(fc, runIds);
  const killed = await killWorker(fc, liveWorker(fc, "w1"));
  expect(killed.length).toBeGreaterThan(0);

  const tally = await settle(fc, "worker SIGKILL mid-run (4 runs, 2 workers)");
  recordTally(tally);
  expect(damageOf(tally)).toEqual(NO_DAMAGE);
});

it("a worker restarted while it holds a finished result the coordinator never acknowledged: the result is delivered, not re-run", async () => {
  fc = await startFaultCluster({ workers: 1, concurrency: 2 });
  const runIds = await dispatchRuns(fc, ["sleep 3; echo held-1", "sleep 3; echo held-2"]);
  await waitForRuns(fc, 2);
  await waitForContainers(fc, runIds);
  // Frozen, the coordinator keeps its sockets but answers nothing: the completion cannot be acknowledged.
  freezeCoordinator(fc);
  await waitForContainers(fc, runIds, { finished: true });
  // Seconds for the worker to keep what it holds (on its disk, say) before it dies; the coordinator still hangs.
  await sleep(3_000);
  const holder = liveWorker(fc, "w1");
  const midRun = await killWorker(fc, holder);
  // The containers had finished: the worker held results, not work, so no run may execute again.
  expect(midRun).toEqual([]);
  // The worker registers at start-up; it comes up once the coordinator answers again.
  const restarting = restartWorker(fc, "w1");
  await sleep(2_000);
  thawCoordinator(fc);
  await restarting;

  const tally = await settle(fc, "worker restart holding an unacknowledged result (2 runs)");
  recordTally(tally);
  if (tally.executedTwice > 0) console.log(`the killed worker's last lines:\n${lastLines(holder.logs(), 12)}`);
  expect(damageOf(tally)).toEqual(NO_DAMAGE);
});
