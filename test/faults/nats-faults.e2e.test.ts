import { afterAll, afterEach, expect, it } from "vitest";
import {
  deleteTaskStream,
  dispatchDuringFault,
  dispatchRuns,
  type FaultCluster,
  killNats,
  restartNats,
  settle,
  sleep,
  startFaultCluster,
  stopFaultCluster,
  waitForRuns,
} from "./fault-harness.js";
import { damageOf, faultTable, NO_DAMAGE, recordTally } from "./run-accounting.js";

// NATS JetStream going away: the server SIGKILLed and restarted on its store dir, a dispatch while it is down, the
// task stream deleted under load. No run may depend on a message that is gone.

let fc: FaultCluster | undefined;

afterEach(async () => {
  await stopFaultCluster(fc);
  fc = undefined;
});

afterAll(() => console.log(`\nfault suite: nats\n${faultTable()}`));

it("NATS SIGKILLed and restarted with 10 runs queued", async () => {
  fc = await startFaultCluster({ workers: 2, concurrency: 1 });
  await dispatchRuns(
    fc,
    Array.from({ length: 10 }, (_, i) => `sleep 2; echo queued-${i + 1}`),
  );
  await waitForRuns(fc, 2);
  await killNats(fc);
  await sleep(5_000);
  await restartNats(fc);

  const tally = await settle(fc, "NATS SIGKILL 5 s + restart with 10 runs queued");
  recordTally(tally);
  expect(damageOf(tally)).toEqual(NO_DAMAGE);
});

it("a dispatch while NATS is down is either refused with nothing kept, or admitted and run once NATS is back", async () => {
  fc = await startFaultCluster({ workers: 1, concurrency: 1 });
  await killNats(fc);
  const exitCode = await dispatchDuringFault(fc, "echo dispatched-while-nats-down");
  await sleep(2_000);
  await restartNats(fc);

  const tally = await settle(fc, `a dispatch while NATS is down (CLI exit ${exitCode})`);
  recordTally(tally);
  expect(damageOf(tally)).toEqual(NO_DAMAGE);
  // Admitted (exit 0) means it runs; refused means nothing was kept (a kept row is followed like any run).
  if (exitCode === 0) expect(tally.done).toBe(1);
});

it("the JetStream task stream deleted under load", async () => {
  fc = await startFaultCluster({ workers: 2, concurrency: 1 });
  await dispatchRuns(
    fc,
    Array.from({ length: 6 }, (_, i) => `sleep 2; echo before-delete-${i + 1}`),
  );
  await waitForRuns(fc, 2);
  await deleteTaskStream(fc);
  // Load goes on after the loss: new dispatches must not depend on the stream being recreated by hand.
  const exits: number[] = [];
  for (const i of [1, 2]) exits.push(await dispatchDuringFault(fc, `sleep 2; echo after-delete-${i}`));

  const tally = await settle(
    fc,
    `JetStream task stream deleted under load (6 queued + 2 after, CLI exit ${exits.join("/")})`,
  );
  recordTally(tally);
  expect(damageOf(tally)).toEqual(NO_DAMAGE);
});
