import { afterAll, afterEach, expect, it } from "vitest";
import {
  dispatchRuns,
  type FaultCluster,
  settle,
  sleep,
  startFaultCluster,
  startPostgres,
  stopFaultCluster,
  stopPostgres,
  waitForContainers,
  waitForRuns,
} from "./fault-harness.js";
import { damageOf, faultTable, NO_DAMAGE, recordTally } from "./run-accounting.js";

// Postgres stopped (connections cut, data kept) and started again on the same port while runs are in flight.

let fc: FaultCluster | undefined;

afterEach(async () => {
  await stopFaultCluster(fc);
  fc = undefined;
});

afterAll(() => console.log(`\nfault suite: postgres\n${faultTable()}`));

it("Postgres stopped for 11 s with 6 runs in flight", async () => {
  fc = await startFaultCluster({ workers: 2, concurrency: 3 });
  const runIds = await dispatchRuns(
    fc,
    [1, 2, 3, 4, 5, 6].map((i) => `sleep 3; echo postgres-${i}`),
  );
  await waitForRuns(fc, 6);
  await waitForContainers(fc, runIds);
  await stopPostgres(fc);
  await sleep(11_000);
  await startPostgres(fc);

  const tally = await settle(fc, "Postgres stopped 11 s with 6 runs in flight");
  recordTally(tally);
  expect(damageOf(tally)).toEqual(NO_DAMAGE);
});
