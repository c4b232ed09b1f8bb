import { type CliResult, type Cluster, startCluster } from "@pancode/testing/cluster";
import { createRepo, type FixtureRepo } from "@pancode/testing/git";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// Fair share between teams over the one JetStream work queue, through the real CLI and coordinator on Postgres:
// team payments may have one run on the bus at a time (`pancode teams set payments --max-running 1`), team web has
// no limit. The order in which runs started is read from each run's recorded `startedAt`.

let cluster: Cluster;
let repo: FixtureRepo;
const tokens: Record<string, string> = {};

interface RunJson {
  runId: string;
  status: string;
  team: string;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

beforeAll(async () => {
  cluster = await startCluster({
    workers: 1,
    coordinatorEnv: { PANCODE_DEFAULT_AGENT: "shell", PANCODE_RECONCILE_INTERVAL_MS: "60000" },
    // One worker slot: every run waits for the one before it.
    workerEnv: { PANCODE_WORKER_CONCURRENCY: "1" },
  });
  repo = await createRepo({ files: { "a.txt": "foo\n" } });
  for (const [name, team] of [
    ["pat", "payments"],
    ["wes", "web"],
  ] as const) {
    const created = await as("admin", ["tokens", "create", name, "--role", "member", "--team", team, "--json"]);
    expect(created.code, created.stderr).toBe(0);
    tokens[name] = JSON.parse(created.stdout).token;
  }
  const limit = await as("admin", ["teams", "set", "payments", "--max-running", "1"]);
  expect(limit.code, limit.stderr).toBe(0);
}, 240_000);

afterAll(async () => {
  await repo?.cleanup();
  await cluster?.stop();
});

function as(who: string, args: string[]): Promise<CliResult> {
  const env: Record<string, string> = who === "admin" ? {} : { PANCODE_TOKEN: tokens[who] ?? "" };
  return cluster.cli(args, { cwd: repo.dir, env, timeoutMs: 120_000 });
}

async function dispatch(who: string, command: string): Promise<{ runId: string; stderr: string }> {
  const result = await as(who, ["dispatch", command, "--agent", "shell", "--json"]);
  expect(result.code, result.stderr).toBe(0);
  return { runId: JSON.parse(result.stdout).runId, stderr: result.stderr };
}

async function show(runId: string): Promise<RunJson> {
  const result = await as("admin", ["show", runId, "--json"]);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as RunJson;
}

async function waitAllDone(runIds: string[]): Promise<RunJson[]> {
  const deadline = Date.now() + 180_000;
  for (;;) {
    const runs = await Promise.all(runIds.map(show));
    if (runs.every((r) => r.status === "done")) return runs;
    if (Date.now() > deadline) throw new Error(`runs not done: ${runs.map((r) => `${r.runId}=${r.status}`).join(" ")}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

const startOrder = (runs: RunJson[]) =>
  [...runs].sort((a, b) => Date.parse(a.startedAt ?? "") - Date.parse(b.startedAt ?? ""));

describe("fair share between teams", () => {
  it("a team's backlog waits held; another team's run starts next, after at most one of the backlog's runs", async () => {
    const backlog: string[] = [];
    for (let i = 0; i < 6; i++) {
      // Long enough that the run ahead is still on the bus when the next CLI dispatch arrives, even on a loaded
      // machine where one `pancode dispatch` takes over a second (with `sleep 1` a fast pipeline could end it first).
      const { runId, stderr } = await dispatch("pat", "sleep 3");
      backlog.push(runId);
      // Only the first goes on the bus; the others are held and say so.
      if (i > 0) expect(stderr).toMatch(/waits its turn: team payments is at its limit/);
    }
    const other = await dispatch("wes", "sleep 1");
    expect(other.stderr).not.toMatch(/waits its turn/);

    const runs = await waitAllDone([...backlog, other.runId]);
    const order = startOrder(runs);
    console.log(
      `fair share, one worker slot, start order: ${order.map((r) => `${r.team}:${r.runId.slice(0, 8)}`).join(" ")}`,
    );
    // The web run was dispatched after all six payments runs. Payments had one run on the bus then (running, or
    // queued when the one before had just ended): at most that one started between the web run's dispatch and its
    // start, so the backlog delayed it by at most one run.
    const web = runs.find((r) => r.runId === other.runId) as RunJson;
    const startedBetween = runs.filter(
      (r) =>
        r.team === "payments" &&
        Date.parse(r.startedAt ?? "") > Date.parse(web.createdAt) &&
        Date.parse(r.startedAt ?? "") < Date.parse(web.startedAt ?? ""),
    );
    expect(startedBetween.length).toBeLessThanOrEqual(1);
    expect(order.findIndex((r) => r.runId === other.runId)).toBeLessThan(order.length - 3);
    // The backlog ran in the order it was dispatched.
    expect(order.filter((r) => r.team === "payments").map((r) => r.runId)).toEqual(backlog);
  });

  it("with free slots and concurrent dispatches, the team never has more runs going than its limit", async () => {
    await cluster.startWorker("w2", { PANCODE_WORKER_CONCURRENCY: "2" });
    // Dispatched at once: their publish decisions race, and only one may take the team's slot.
    const backlog = (await Promise.all([1, 2, 3, 4].map(() => dispatch("pat", "sleep 1")))).map((d) => d.runId);
    const runs = startOrder(await waitAllDone(backlog));
    // Three slots were free; the limit of one kept the runs one after another.
    for (let i = 1; i < runs.length; i++) {
      expect(Date.parse(runs[i]?.startedAt ?? "")).toBeGreaterThanOrEqual(Date.parse(runs[i - 1]?.finishedAt ?? ""));
    }
  });
});
