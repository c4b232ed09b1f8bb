import { execFileSync } from "node:child_process";
import { type Cluster, startCluster } from "@pancode/testing/cluster";
import { createRepo, type FixtureRepo } from "@pancode/testing/git";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// The audit trail as a user sees it: the real CLI against a real coordinator (Postgres), one worker, one real run.

let cluster: Cluster;
let repo: FixtureRepo;

beforeAll(async () => {
  cluster = await startCluster({ workers: 1, coordinatorEnv: { PANCODE_DEFAULT_AGENT: "shell" } });
  repo = await createRepo({ files: { "a.txt": "foo\n" } });
});

afterAll(async () => {
  await repo?.cleanup();
  await cluster?.stop();
});

interface Entry {
  seq: number;
  category: string;
  action: string;
  runId: string | null;
  gate: string | null;
  message: string;
  data: Record<string, unknown>;
}

async function entries(args: string[]): Promise<Entry[]> {
  const result = await cluster.cli(["audit", ...args, "--json"], { cwd: repo.dir });
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
  return (JSON.parse(result.stdout) as { entries: Entry[] }).entries;
}

describe("pancode audit", () => {
  it("records a run, a refusal, a budget change and a drain, and the chain verifies", async () => {
    const ran = await cluster.cli(["dispatch", "true", "--agent", "shell", "--wait", "--json"], { cwd: repo.dir });
    expect(ran.code).toBe(0);
    const runId = (JSON.parse(ran.stdout) as { runId: string }).runId;

    const planned = await cluster.cli(["dispatch", "true", "--mode", "plan"], { cwd: repo.dir });
    expect(planned.code).toBe(4);
    expect(planned.stderr).toMatch(/Dispatch blocked: dispatch is disabled in Plan mode/);

    expect((await cluster.cli(["budget", "set", "25"], { cwd: repo.dir })).code).toBe(0);

    const all = await entries([]);
    expect(all.find((e) => e.action === "refused")).toMatchObject({ category: "dispatch", gate: "mode" });
    const ofRun = await entries([`run:${runId.slice(0, 8)}`]);
    expect(ofRun.map((e) => e.action)).toEqual(["completed", "started", "admitted"]);
    expect(ofRun.every((e) => e.runId === runId)).toBe(true);
    expect(all.some((e) => e.category === "worker" && e.action === "joined")).toBe(true);

    const budget = await entries(["budget"]);
    expect(budget).toHaveLength(1);
    expect(budget[0]).toMatchObject({ action: "ceiling_set", data: { fromUsd: 10, toUsd: 25 } });
    expect((await entries(["--limit", "2"])).map((e) => e.seq)).toEqual([all[0]?.seq, all[1]?.seq]);

    const table = await cluster.cli(["audit", "dispatch"], { cwd: repo.dir });
    expect(table.stdout).toMatch(/^SEQ +TIME +CATEGORY +ACTION +RUN +GATE +MESSAGE$/m);
    expect(table.stdout).toMatch(/dispatch +refused +- +mode +Dispatch blocked: /);

    const verified = await cluster.cli(["audit", "verify"], { cwd: repo.dir });
    expect(verified.code).toBe(0);
    expect(verified.stdout).toContain(`audit chain OK (${all.length} entries)`);

    const bad = await cluster.cli(["audit", "nonsense"], { cwd: repo.dir });
    expect(bad.code).toBe(2);

    const drained = await cluster.cli(["drain", "--json"], { cwd: repo.dir });
    expect(drained.code).toBe(0);
    expect(JSON.parse(drained.stdout)).toEqual({ draining: true, alreadyDraining: false, activeRuns: 0 });
    const refused = await cluster.cli(["dispatch", "true"], { cwd: repo.dir });
    expect(refused.code).toBe(4);
    expect(refused.stderr).toContain("Dispatch blocked: the coordinator is draining");
    const [last, beforeLast] = await entries(["--limit", "2"]);
    expect(last).toMatchObject({ category: "dispatch", action: "refused", gate: "drain" });
    expect(beforeLast).toMatchObject({ category: "drain", action: "drain_started" });
    const json = await cluster.cli(["audit", "verify", "--json"], { cwd: repo.dir });
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: true, entries: all.length + 2, brokenSeq: null });
  });

  it("audit verify names an entry edited directly in Postgres (exit 1)", async () => {
    execFileSync("psql", [
      cluster.databaseUrl,
      "-qc",
      "update audit_log set message = 'nothing happened' where seq = 2",
    ]);
    const broken = await cluster.cli(["audit", "verify"], { cwd: repo.dir });
    expect(broken.code).toBe(1);
    expect(broken.stdout).toMatch(/^audit chain BROKEN at entry 2 \(edited\): entry 2 was modified/);
    const json = await cluster.cli(["audit", "verify", "--json"], { cwd: repo.dir });
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, entries: 1, brokenSeq: 2, reason: "edited" });
  });

  it("pancode mode shows the session mode and what it allows", async () => {
    const byDefault = await cluster.cli(["mode", "--json"], { cwd: repo.dir });
    expect(JSON.parse(byDefault.stdout)).toEqual({
      mode: "build",
      source: "default",
      allows: { dispatch: true, writingAgents: true },
      summary: "dispatch any agent",
      safety: {
        level: "auto-edit",
        source: "default",
        allows: { readOnlyAgents: true, fileEditAgents: true, programAgents: true, beyondSandbox: false },
        summary: "also agents that edit files and run commands inside their sandbox",
      },
      levels: [
        expect.objectContaining({ level: "suggest" }),
        expect.objectContaining({
          level: "auto-edit",
          examples: expect.stringMatching(/^dev, builder, documenter, shell/),
        }),
        expect.objectContaining({ level: "full-auto" }),
      ],
    });
    const review = await cluster.cli(["mode"], { cwd: repo.dir, env: { PANCODE_MODE: "review" } });
    expect(review.stdout).toMatch(/^mode: +review \(PANCODE_MODE\)$/m);
    expect(review.stdout).toMatch(/^writing agents: +no$/m);
    expect((await cluster.cli(["mode", "--mode", "yolo"], { cwd: repo.dir })).code).toBe(2);
  });
});
