import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { type Cluster, startCluster, stopProcess, type WorkerProcess } from "@pancode/testing/cluster";
import { createRepo } from "@pancode/testing/git";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// The warm container pool through the whole path: a worker process keeps started containers for the profile of its
// latest run, later runs of that profile use them (one each, never twice), and stopping the worker leaves none.

let cluster: Cluster;
let worker: WorkerProcess;
const workerId = `warm-${randomUUID().slice(0, 8)}`;

function containersOfWorker(): string[] {
  return execFileSync("docker", ["ps", "-aq", "--filter", `label=pancode.worker-id=${workerId}`])
    .toString()
    .split("\n")
    .filter(Boolean);
}

function warmContainers(): string[] {
  return execFileSync("docker", [
    "ps",
    "-q",
    "--filter",
    `label=pancode.worker-id=${workerId}`,
    "--filter",
    "label=pancode.warm=true",
    "--filter",
    "name=pancode-warm-",
  ])
    .toString()
    .split("\n")
    .filter(Boolean);
}

beforeAll(async () => {
  cluster = await startCluster({ workers: 0 });
  worker = await cluster.startWorker(workerId, { PANCODE_WORKER_CONCURRENCY: "1", PANCODE_WARM_POOL_SIZE: "2" });
});

afterAll(async () => {
  await cluster?.stop();
});

describe("warm container pool", () => {
  it("serves later runs from started containers, each used once, and a stopped worker leaves none", async () => {
    const repo = await createRepo({ files: { "a.txt": "a\n" } });
    const dispatch = async (task: string) => {
      const result = await cluster.cli(["dispatch", task, "--agent", "shell", "--wait", "--json"], { cwd: repo.dir });
      expect(result.code, result.stderr).toBe(0);
      return JSON.parse(result.stdout) as { runId: string; status: string };
    };
    // The first run creates its own container and shows the pool which profile to keep warm.
    await dispatch("echo one >> out.txt");
    await expect.poll(() => warmContainers().length, { timeout: 30_000, interval: 200 }).toBe(2);
    const warmBefore = warmContainers();

    const hostnames: string[] = [];
    for (const n of ["two", "three"]) {
      const run = await dispatch(`echo ${n} >> out.txt && hostname > host-${n}.txt`);
      expect(run.status).toBe("done");
      hostnames.push((await readFile(join(repo.dir, `host-${n}.txt`), "utf8")).trim());
    }
    // Both ran in containers of the pool, different ones; their changes came back like any run's.
    expect(hostnames[0]).not.toBe(hostnames[1]);
    for (const h of hostnames) expect(warmBefore.some((id) => id.startsWith(h))).toBe(true);
    expect(await readFile(join(repo.dir, "out.txt"), "utf8")).toBe("one\ntwo\nthree\n");
    const logs = worker.logs();
    expect(logs.match(/"warm":true,"msg":"container created"/g)?.length).toBe(2);
    // Never reused: both are gone, and the pool is full again with other containers.
    await expect
      .poll(() => containersOfWorker().filter((id) => hostnames.some((h) => id.startsWith(h))).length, {
        timeout: 10_000,
      })
      .toBe(0);
    await expect.poll(() => warmContainers().length, { timeout: 30_000, interval: 200 }).toBe(2);

    await stopProcess(worker.process);
    expect(containersOfWorker()).toEqual([]);
  });
});
