import { execFileSync } from "node:child_process";
import { type Cluster, startCluster, stopProcess } from "@pancode/testing/cluster";
import { createRepo } from "@pancode/testing/git";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// Faults and bad input, through the real CLI and separate processes.

let cluster: Cluster;

beforeAll(async () => {
  cluster = await startCluster({ workers: 2, workerEnv: { PANCODE_WORKER_CONCURRENCY: "1" } });
});

afterAll(async () => {
  await cluster?.stop();
});

async function showRun(cwd: string, id: string): Promise<Record<string, unknown>> {
  return JSON.parse((await cluster.cli(["show", id, "--json"], { cwd })).stdout);
}

/** The run's containers: labelled with its run id, or a warm container renamed after it (`pancode-<run id>-...`). */
function containersOf(runId: string): string {
  const ids = [`label=pancode.run-id=${runId}`, `name=pancode-${runId}-`].flatMap((filter) =>
    execFileSync("docker", ["ps", "-aq", "--filter", filter]).toString().trim().split("\n"),
  );
  return [...new Set(ids.filter(Boolean))].join("\n");
}

describe("a worker killed with SIGKILL mid-run", () => {
  it("has its run redelivered to another worker, and the leftovers reaped when a worker starts again", async () => {
    const repo = await createRepo({ files: { "a.txt": "a\n" } });
    const dispatched = await cluster.cli(
      ["dispatch", "sleep 4; echo survived > out.txt", "--agent", "shell", "--json"],
      { cwd: repo.dir },
    );
    const runId = JSON.parse(dispatched.stdout).runId as string;
    await expect
      .poll(async () => (await showRun(repo.dir, runId)).status, { timeout: 30_000, interval: 200 })
      .toBe("running");
    const first = (await showRun(repo.dir, runId)).workerId as string;
    const victim = cluster.workers.find((w) => w.id === first);
    if (!victim) throw new Error(`run ${runId} is on unknown worker ${first}`);
    victim.process.kill("SIGKILL");

    await expect
      .poll(async () => (await showRun(repo.dir, runId)).status, { timeout: 60_000, interval: 300 })
      .toBe("done");
    const final = await showRun(repo.dir, runId);
    expect(final.attempt).toBe(2);
    expect(final.workerId).not.toBe(first);
    const applied = await cluster.cli(["apply", runId], { cwd: repo.dir });
    expect(applied.code).toBe(0);

    // The dead worker's container and worktree outlive it; a worker starting on the same data dir reaps them.
    await stopProcess(victim.process);
    const restarted = await cluster.startWorker(first);
    await expect.poll(() => containersOf(runId), { timeout: 20_000 }).toBe("");
    expect(restarted.logs()).toMatch(/reaped worktrees of dead workers|"reapedWorktrees":[1-9]/);
    await repo.cleanup();
  });
});

describe("bad input", () => {
  it("refuses an empty task before sending anything (exit 2)", async () => {
    const repo = await createRepo({ files: { "a.txt": "a\n" } });
    const result = await cluster.cli(["dispatch", "  ", "--agent", "shell"], { cwd: repo.dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^pancode: the task is empty/);
    await repo.cleanup();
  });

  it("refuses to run outside a git repository (exit 2)", async () => {
    const result = await cluster.cli(["dispatch", "true", "--agent", "shell"], { cwd: "/tmp" });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/not inside a git repository: \/tmp/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it("names the available agents for an unknown agent (exit 4)", async () => {
    const repo = await createRepo({ files: { "a.txt": "a\n" } });
    const result = await cluster.cli(["dispatch", "true", "--agent", "nobody"], { cwd: repo.dir });
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(/unknown agent "nobody"; available agents: builder, dev, .*, shell/);
    await repo.cleanup();
  });

  it("names the address it tried when the coordinator is unreachable (exit 4)", async () => {
    const repo = await createRepo({ files: { "a.txt": "a\n" } });
    const result = await cluster.cli(["runs"], { cwd: repo.dir, env: { PANCODE_COORDINATOR: "127.0.0.1:9" } });
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(/coordinator unreachable at 127\.0\.0\.1:9/);
    await repo.cleanup();
  });

  it("refuses a wrong token (exit 4)", async () => {
    const repo = await createRepo({ files: { "a.txt": "a\n" } });
    const result = await cluster.cli(["runs"], { cwd: repo.dir, env: { PANCODE_TOKEN: "wrong" } });
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(/invalid client bearer token/);
    await repo.cleanup();
  });
});
