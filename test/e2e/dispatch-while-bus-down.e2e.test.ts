import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { type Cluster, startCluster } from "@pancode/testing/cluster";
import { createRepo } from "@pancode/testing/git";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// `pancode dispatch` while NATS is down: the run is admitted (exit 0, a warning says it waits for the bus), and once
// NATS is back the coordinator's publish reconciler queues it; it runs once and nothing stays pending.

let cluster: Cluster;

beforeAll(async () => {
  cluster = await startCluster({ natsLink: true, coordinatorEnv: { PANCODE_RECONCILE_INTERVAL_MS: "500" } });
});

afterAll(async () => {
  await cluster?.stop();
});

async function showRun(cwd: string, id: string): Promise<Record<string, unknown>> {
  return JSON.parse((await cluster.cli(["show", id, "--json"], { cwd })).stdout);
}

describe("pancode dispatch while NATS is down", () => {
  it("admits the run with a warning, runs it once when NATS is back, and leaves nothing pending", async () => {
    const link = cluster.natsLink;
    if (!link) throw new Error("the cluster was started without a NATS link");
    const repo = await createRepo({ files: { "a.txt": "a\n" } });
    await link.cut();
    const dispatched = await cluster.cli(["dispatch", "echo delivered > out.txt", "--agent", "shell", "--json"], {
      cwd: repo.dir,
    });
    expect(dispatched.code).toBe(0);
    expect(dispatched.stderr).toMatch(/warning: the task bus is unavailable: run \S+ is admitted and will be queued/);
    const runId = JSON.parse(dispatched.stdout).runId as string;
    expect((await showRun(repo.dir, runId)).status).toBe("pending");

    await link.restore();
    await expect
      .poll(async () => (await showRun(repo.dir, runId)).status, { timeout: 60_000, interval: 300 })
      .toBe("done");
    expect(await showRun(repo.dir, runId)).toMatchObject({ attempt: 1 });
    expect((await cluster.cli(["apply", runId], { cwd: repo.dir })).code).toBe(0);
    expect(await readFile(join(repo.dir, "out.txt"), "utf8")).toBe("delivered\n");

    const { runs } = JSON.parse((await cluster.cli(["runs", "--json"], { cwd: repo.dir })).stdout) as {
      runs: { status: string }[];
    };
    expect(runs.filter((r) => r.status === "pending" || r.status === "running")).toEqual([]);
    await repo.cleanup();
  });
});
