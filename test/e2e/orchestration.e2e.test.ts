import { execFileSync } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { sha256Digest } from "@pancode/core";
import { type Cluster, startCluster } from "@pancode/testing/cluster";
import { createRepo, type FixtureRepo } from "@pancode/testing/git";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// Batches, chains, refine loops and stoprun through the real CLI, a coordinator with Postgres, NATS and two worker
// processes of one slot each. The `shell` agent (runtime command) makes runs that take time, fail, print output and
// change files without any model.

let cluster: Cluster;

beforeAll(async () => {
  cluster = await startCluster({ workers: 2, workerEnv: { PANCODE_WORKER_CONCURRENCY: "1" } });
});

afterAll(async () => {
  await cluster?.stop();
});

interface RunJson {
  runId: string;
  status: string;
  workerId: string;
  createdAt: string;
  finishedAt: string | null;
  task: string;
  outputTail: string;
}

async function cliJson(args: string[], cwd: string): Promise<{ code: number; json: Record<string, unknown> }> {
  const result = await cluster.cli([...args, "--json"], { cwd });
  try {
    return { code: result.code, json: JSON.parse(result.stdout) };
  } catch (err) {
    throw new Error(
      `pancode ${args.join(" ")} printed no JSON (exit ${result.code}):\n${result.stdout}\n${result.stderr}`,
      {
        cause: err,
      },
    );
  }
}

const show = async (cwd: string, id: string) => (await cliJson(["show", id], cwd)).json as unknown as RunJson;

/** The run's containers: labelled with its run id, or a warm container renamed after it (`pancode-<run id>-...`). */
function containersOf(runId: string): string {
  const ids = [`label=pancode.run-id=${runId}`, `name=pancode-${runId}-`].flatMap((filter) =>
    execFileSync("docker", ["ps", "-q", "--filter", filter]).toString().trim().split("\n"),
  );
  return [...new Set(ids.filter(Boolean))].join("\n");
}

async function repoWith(files: Record<string, string> = {}): Promise<FixtureRepo> {
  return createRepo({ files: { "README.md": "fixture\n", ...files } });
}

describe("pancode batch", () => {
  it("runs 6 tasks over both workers, staggered and at most --concurrency at a time, merging each patch", async () => {
    const repo = await repoWith();
    const tasks = [1, 2, 3, 4, 5, 6].flatMap((i) => ["--task", `sleep 1; echo item-${i} > out-${i}.txt`]);
    const { code, json } = await cliJson(
      ["batch", ...tasks, "--agent", "shell", "--concurrency", "2", "--stagger-ms", "300", "--wait"],
      repo.dir,
    );
    expect(code).toBe(0);
    expect(json).toMatchObject({ status: "done", tasks: 6, counts: { done: 6 }, concurrency: 2, staggerMs: 300 });
    const runs = json.runs as RunJson[];
    expect(runs).toHaveLength(6);
    expect(new Set(runs.map((r) => r.workerId))).toEqual(new Set(["w1", "w2"]));
    // Stagger: no two runs were admitted less than the stagger apart.
    const starts = runs.map((r) => Date.parse(r.createdAt)).sort((a, b) => a - b);
    for (let i = 1; i < starts.length; i++) expect((starts[i] ?? 0) - (starts[i - 1] ?? 0)).toBeGreaterThanOrEqual(280);
    // Concurrency: when any run was admitted, at most 2 runs of the batch were admitted and not yet finished.
    for (const t of starts) {
      const active = runs.filter((r) => Date.parse(r.createdAt) <= t && Date.parse(r.finishedAt ?? "") > t);
      expect(active.length).toBeLessThanOrEqual(2);
    }
    // Merged back one by one.
    expect((json.merges as { outcome: string }[]).map((m) => m.outcome)).toEqual(Array(6).fill("clean"));
    for (let i = 1; i <= 6; i++) expect(await readFile(join(repo.dir, `out-${i}.txt`), "utf8")).toBe(`item-${i}\n`);

    const listed = await cliJson(["batches"], repo.dir);
    const mine = (listed.json.batches as { batchId: string; tasks: number; counts: object }[]).find(
      (b) => b.batchId === json.batchId,
    );
    expect(mine).toMatchObject({ tasks: 6, counts: { done: 6 } });
    const table = await cluster.cli(["batches"], { cwd: repo.dir });
    expect(table.stdout).toMatch(/BATCH\s+STATUS\s+TASKS\s+RUNS\s+COST/);
    expect(table.stdout).toContain(String(json.batchId).slice(0, 8));

    // A finished run: stoprun says so and changes nothing.
    const finished = String(runs[0]?.runId);
    const stop = await cluster.cli(["stoprun", finished], { cwd: repo.dir });
    expect(stop.code).toBe(0);
    expect(stop.stdout.trim()).toBe(`run ${finished} already finished (done)`);
    expect((await show(repo.dir, finished)).status).toBe("done");
    await repo.cleanup();
  });

  it("--agents runs one target with several agents", async () => {
    const repo = await repoWith({ ".pancode/agents/echo-a.md": "---\nruntime: command\nreadonly: true\n---\n" });
    const { code, json } = await cliJson(["batch", "--agents", "shell,echo-a", "echo target", "--wait"], repo.dir);
    expect(code).toBe(0);
    expect((json.items as { agent: string }[]).map((i) => i.agent)).toEqual(["shell", "echo-a"]);
    expect((json.runs as RunJson[]).map((r) => r.outputTail.trim())).toEqual(["target", "target"]);
    await repo.cleanup();
  });

  it("--file tasks.yaml with --team runs every task with every member of a repository team", async () => {
    const repo = await repoWith({
      ".pancode/agents/echo-b.md": "---\nruntime: command\nreadonly: true\n---\n",
      ".pancode/teams/pair.yaml": "agents: [shell, echo-b]\n",
      "tasks.yaml": "- echo first\n- task: echo second\n",
    });
    const { code, json } = await cliJson(["batch", "--file", "tasks.yaml", "--team", "pair", "--wait"], repo.dir);
    expect(code).toBe(0);
    expect((json.items as { task: string; agent: string }[]).map((i) => `${i.agent}:${i.task}`)).toEqual([
      "shell:echo first",
      "echo-b:echo first",
      "shell:echo second",
      "echo-b:echo second",
    ]);
    expect(json).toMatchObject({ status: "done", counts: { done: 4 } });
    await repo.cleanup();
  });
});

describe("pancode chain", () => {
  it("gives each step the previous output and the previous changes, and merges the combined changes", async () => {
    const repo = await repoWith();
    const { code, json } = await cliJson(
      [
        "chain",
        "--step",
        "shell:echo plan-alpha; echo one > s1.txt",
        "--step",
        'shell:test -f s1.txt && echo "two saw $INPUT" > s2.txt && echo built-beta',
        "--step",
        'shell:cat s1.txt s2.txt > s3.txt && echo "reviewed $INPUT"',
        "--wait",
      ],
      repo.dir,
    );
    expect(code).toBe(0);
    expect(json).toMatchObject({ kind: "chain", status: "done", failedStep: null, counts: { done: 3 } });
    const runs = json.runs as RunJson[];
    expect(runs.map((r) => r.task)).toEqual([
      "echo plan-alpha; echo one > s1.txt",
      'test -f s1.txt && echo "two saw plan-alpha" > s2.txt && echo built-beta',
      'cat s1.txt s2.txt > s3.txt && echo "reviewed built-beta"',
    ]);
    expect(runs[2]?.outputTail.trim()).toBe("reviewed built-beta");
    expect(json.merge).toMatchObject({ outcome: "clean" });
    expect(await readFile(join(repo.dir, "s2.txt"), "utf8")).toBe("two saw plan-alpha\n");
    expect(await readFile(join(repo.dir, "s3.txt"), "utf8")).toBe("one\ntwo saw plan-alpha\n");

    // Receipts: each step's receipt names the chain and step and links to the previous step's receipt; the
    // chain's own receipt lists them and verifies with them.
    const hashes: string[] = [];
    for (const [i, run] of runs.entries()) {
      const exported = await cluster.cli(["receipt", "export", run.runId], { cwd: repo.dir });
      const payload = Buffer.from(JSON.parse(exported.stdout).payload as string, "base64");
      const statement = JSON.parse(payload.toString("utf8")) as {
        predicate: { chainId: string; step: number; previousReceiptDigest: string };
      };
      expect(statement.predicate).toMatchObject({
        chainId: json.chainId,
        step: i + 1,
        previousReceiptDigest: hashes[i - 1] ?? "",
      });
      hashes.push(sha256Digest(payload));
    }
    await expect
      .poll(async () => (await cliJson(["chains", String(json.chainId)], repo.dir)).json.receiptId, { timeout: 10_000 })
      .not.toBe("");
    const verified = await cluster.cli(["receipt", "verify", String(json.chainId)], { cwd: repo.dir });
    expect(verified.stdout).toMatch(/^PASS receipt .* \(chain .*, 3 run receipt\(s\)\)/);
    expect(verified.code).toBe(0);
    await repo.cleanup();
  });

  it("stops at the first failed step: later steps never start and nothing is merged", async () => {
    const repo = await repoWith();
    const { code, json } = await cliJson(
      [
        "chain",
        "--step",
        "shell:echo ok > f1.txt",
        "--step",
        "shell:echo broken; exit 7",
        "--step",
        "shell:echo never > f3.txt",
        "--wait",
      ],
      repo.dir,
    );
    expect(code).toBe(1);
    expect(json).toMatchObject({ status: "failed", failedStep: 2, merge: null });
    expect(json.error).toBe("step 2 (shell) ended error: exit code 7");
    expect((json.runs as RunJson[]).map((r) => r.status)).toEqual(["done", "error"]);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const again = await cliJson(["chains", String(json.chainId)], repo.dir);
    expect(again.json.runs).toHaveLength(2);
    await expect(readFile(join(repo.dir, "f1.txt"), "utf8")).rejects.toThrow();
    await repo.cleanup();
  });
});

describe("pancode refine", () => {
  it("rebuilds with the review as input until the reviewer approves (round 2)", async () => {
    const repo = await repoWith({ ".pancode/agents/sim-reviewer.md": "---\nruntime: command\nreadonly: true\n---\n" });
    const build =
      'if echo "$INPUT" | grep -q CHANGES_REQUESTED; then echo fixed > app.txt; else echo draft > app.txt; fi; echo built';
    const review =
      'if grep -q fixed app.txt; then echo "VERDICT: APPROVED"; else echo "VERDICT: CHANGES_REQUESTED: still a draft"; fi';
    const { code, json } = await cliJson(
      ["refine", build, "--builder", "shell", "--reviewer", "sim-reviewer", "--review-task", review, "--wait"],
      repo.dir,
    );
    expect(code).toBe(0);
    expect(json).toMatchObject({ kind: "refine", status: "done", verdict: "approved", rounds: 2 });
    const runs = json.runs as (RunJson & { agent: string })[];
    expect(runs.map((r) => r.agent)).toEqual(["shell", "sim-reviewer", "shell", "sim-reviewer"]);
    expect(runs[1]?.outputTail).toContain("VERDICT: CHANGES_REQUESTED");
    expect(runs[3]?.outputTail.trim()).toBe("VERDICT: APPROVED");
    expect(await readFile(join(repo.dir, "app.txt"), "utf8")).toBe("fixed\n");
    await repo.cleanup();
  });
});

describe("pancode stoprun", () => {
  it("stops a running container; stopping it again changes nothing", async () => {
    const repo = await repoWith();
    const dispatched = await cliJson(["dispatch", "sleep 60", "--agent", "shell"], repo.dir);
    const runId = String(dispatched.json.runId);
    await expect.poll(() => containersOf(runId), { timeout: 30_000, interval: 200 }).not.toBe("");
    const stop = await cluster.cli(["stoprun", runId.slice(0, 8)], { cwd: repo.dir });
    expect(stop.code).toBe(0);
    expect(stop.stdout.trim()).toBe(`run ${runId} stopped`);
    expect((await show(repo.dir, runId)).status).toBe("interrupted");
    await expect.poll(() => containersOf(runId), { timeout: 15_000, interval: 200 }).toBe("");
    const again = await cluster.cli(["stoprun", runId], { cwd: repo.dir });
    expect(again.code).toBe(0);
    expect(again.stdout.trim()).toBe(`run ${runId} already finished (interrupted)`);
    await repo.cleanup();
  });

  it("without an id stops the caller's most recent running run", async () => {
    const repo = await repoWith();
    const dispatched = await cliJson(["dispatch", "sleep 60", "--agent", "shell"], repo.dir);
    const runId = String(dispatched.json.runId);
    const stop = await cliJson(["stoprun"], repo.dir);
    expect(stop.json).toMatchObject({ target: `run ${runId}`, alreadyFinished: false, stoppedRunIds: [runId] });
    expect((await show(repo.dir, runId)).status).toBe("interrupted");
    await repo.cleanup();
  });

  it("stops a batch: its running runs end interrupted and no further item starts", async () => {
    const repo = await repoWith();
    const tasks = [1, 2, 3, 4].flatMap(() => ["--task", "sleep 60"]);
    const created = await cliJson(["batch", ...tasks, "--agent", "shell", "--concurrency", "2"], repo.dir);
    const batchId = String(created.json.batchId);
    await expect
      .poll(async () => ((await cliJson(["batches", batchId], repo.dir)).json.counts as { running?: number }).running, {
        timeout: 30_000,
        interval: 300,
      })
      .toBe(2);
    const stop = await cliJson(["stoprun", "--batch", batchId], repo.dir);
    expect(stop.json).toMatchObject({ target: `batch ${batchId}`, status: "stopped", alreadyFinished: false });
    expect(stop.json.stoppedRunIds).toHaveLength(2);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const after = (await cliJson(["batches", batchId], repo.dir)).json;
    expect(after).toMatchObject({ status: "stopped", counts: { interrupted: 2 } });
    expect(after.runs).toHaveLength(2);
    const again = await cluster.cli(["stoprun", "--batch", batchId], { cwd: repo.dir });
    expect(again.stdout.trim()).toBe(`batch ${batchId} already finished (stopped)`);
    const verified = await cluster.cli(["receipt", "verify", batchId], { cwd: repo.dir });
    expect(verified.stdout).toMatch(/^PASS receipt .* \(batch .*, 2 run receipt\(s\)\)/);
    await repo.cleanup();
  });
});
