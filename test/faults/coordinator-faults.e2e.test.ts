import { afterAll, afterEach, expect, it } from "vitest";
import {
  dispatchRuns,
  type FaultCluster,
  killCoordinator,
  restartCoordinator,
  settle,
  sleep,
  startBatch,
  startChain,
  startFaultCluster,
  stopFaultCluster,
  waitForContainers,
  waitForRuns,
} from "./fault-harness.js";
import { damageOf, faultTable, NO_DAMAGE, recordTally } from "./run-accounting.js";

// The coordinator SIGKILLed and started again on the same address, data dir and database while work is in
// flight: a finished result must not be thrown away, a batch or chain must go on where it was.

let fc: FaultCluster | undefined;

afterEach(async () => {
  await stopFaultCluster(fc);
  fc = undefined;
});

afterAll(() => console.log(`\nfault suite: coordinator\n${faultTable()}`));

it("the coordinator SIGKILLed for 8 s mid-batch of 10 and mid-chain of 3", async () => {
  fc = await startFaultCluster({ workers: 2, concurrency: 2 });
  await startBatch(
    fc,
    Array.from({ length: 10 }, (_, i) => `sleep 2; echo batch-item-${i + 1}`),
    3,
  );
  await startChain(
    fc,
    [1, 2, 3].map((i) => `sleep 2; echo chain-step-${i}`),
  );
  // Mid-flight: batch items (and the chain's first step) hold containers.
  const running = await waitForRuns(fc, 3);
  await waitForContainers(fc, running);
  await killCoordinator(fc);
  await sleep(8_000);
  await restartCoordinator(fc);

  const tally = await settle(fc, "coordinator SIGKILL 8 s mid-batch of 10 and mid-chain of 3");
  recordTally(tally);
  expect(damageOf(tally)).toEqual(NO_DAMAGE);
});

it("the coordinator SIGKILLed for 12 s while 4 containers finish (3 s leases)", async () => {
  fc = await startFaultCluster({ workers: 2, concurrency: 2 });
  const runIds = await dispatchRuns(
    fc,
    [1, 2, 3, 4].map((i) => `sleep 3; echo finish-${i}`),
  );
  await waitForRuns(fc, 4);
  await waitForContainers(fc, runIds);
  await killCoordinator(fc);
  const killedAt = Date.now();
  await waitForContainers(fc, runIds, { finished: true });
  await sleep(Math.max(0, 12_000 - (Date.now() - killedAt)));
  await restartCoordinator(fc);

  const tally = await settle(fc, "coordinator SIGKILL 12 s while 4 containers finish");
  recordTally(tally);
  expect(damageOf(tally)).toEqual(NO_DAMAGE);
});
