import type { Cluster } from "@pancode/testing/cluster";
import { createRepo, type FixtureRepo } from "@pancode/testing/git";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { containerExists, containersOf, dispatch, startCoordinator } from "./fixtures/worker-harness.js";

// The start-up reaper of a real worker process: the container of a run whose worker died (SIGKILL, no cleanup) is
// left running on the host; the next worker starting on the host removes it.

let cluster: Cluster;
let repo: FixtureRepo;

beforeAll(async () => {
  // No warm pool: a run's container is created for it, labelled with its run id from the start.
  cluster = await startCoordinator({ workerEnv: { PANCODE_WARM_POOL_SIZE: "0" } });
  repo = await createRepo({ files: { "a.txt": "a\n" } });
});

afterAll(async () => {
  await cluster?.stop();
  await repo?.cleanup();
});

describe("the container reaper", () => {
  it("removes the container a killed worker left behind when the next worker starts on the host", async () => {
    const victim = await cluster.startWorker("rp-1");
    const runId = await dispatch(cluster, repo.dir, "sleep 600");
    await expect.poll(() => containersOf(runId).length, { timeout: 60_000, interval: 200 }).toBe(1);
    const [orphan = ""] = containersOf(runId);

    const exited = new Promise((resolve) => victim.process.once("exit", resolve));
    victim.process.kill("SIGKILL");
    await exited;
    // Nobody cleaned up: the container outlives its worker.
    expect(containerExists(orphan)).toBe(true);

    const next = await cluster.startWorker("rp-2");
    // Reaped during start-up, before the worker says it started.
    expect(containerExists(orphan)).toBe(false);
    expect(next.logs()).toMatch(/"reapedContainers":[1-9]/);

    // The run itself was not lost with its worker: it is redelivered; stop it so the cluster stops promptly.
    await cluster.cli(["stoprun", runId], { cwd: repo.dir });
  });
});
