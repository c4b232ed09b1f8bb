import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { type AgentCluster, agentEvents, startAgentCluster } from "@pancode/testing/agent-cluster";
import type { Cluster } from "@pancode/testing/cluster";
import { createRepo } from "@pancode/testing/git";
import { loadScenario, type ModelServer, startModelServer } from "@pancode/testing/model-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// The per-run cost cap against the real Pi agent: the scripted model's usage doubles every turn, so the worker must
// stop the container part way, and the run is charged exactly what it spent up to then.

const SCENARIOS = join(import.meta.dirname, "..", "fixtures", "scenarios");
// With prices { input: 1, output: 2 } the scenario's cumulative cost is 0.0012, 0.0036, 0.0084, 0.018, 0.0372 USD:
// a cap of 0.005 is passed after turn 3.
const CAP_USD = 0.005;
const FULL_COST_USD = 0.0372;

let models: ModelServer;
let agents: AgentCluster;
let cluster: Cluster;

/** The run's containers: labelled with its run id, or a warm container renamed after it (`pancode-<run id>-...`). */
function containersOf(runId: string): string {
  const ids = [`label=pancode.run-id=${runId}`, `name=pancode-${runId}-`].flatMap((filter) =>
    execFileSync("docker", ["ps", "-aq", "--filter", filter]).toString().trim().split("\n"),
  );
  return [...new Set(ids.filter(Boolean))].join("\n");
}

function startCapCluster(coordinatorEnv: Record<string, string> = {}): Promise<AgentCluster> {
  return startAgentCluster({
    providers: [
      {
        name: "scripted",
        api: "openai-completions",
        baseUrl: models.openaiBaseUrl,
        models: [{ id: "slow", price: { input: 1, output: 2 } }],
      },
    ],
    defaultModel: "scripted/slow",
    apiKey: "sk-scripted-cap",
    coordinatorEnv,
  });
}

beforeAll(async () => {
  models = await startModelServer({
    scenarios: { slow: await loadScenario(join(SCENARIOS, "slow-growing-usage.yaml")) },
  });
  agents = await startCapCluster();
  cluster = agents.cluster;
});

afterAll(async () => {
  await agents?.stop();
  await models?.stop();
});

describe("the per-run cost cap", () => {
  it("refuses a --max-cost that is not a positive amount before anything is sent (exit 2)", async () => {
    const repo = await createRepo({ files: { "README.md": "# demo\n" } });
    for (const bad of ["0", "-1", "abc"]) {
      const result = await cluster.cli(["dispatch", "Look around", "--max-cost", bad, "--wait"], { cwd: repo.dir });
      expect(result.code, bad).toBe(2);
      expect(result.stderr).toMatch(/--max-cost must be a positive amount in USD/);
    }
    await repo.cleanup();
  });

  it("stops the agent once its cost passes --max-cost; the run ends budget_exceeded and is charged its spend", async () => {
    const repo = await createRepo({ files: { "README.md": "# demo\n" } });
    const result = await cluster.cli(
      ["dispatch", "Look around", "--agent", "dev", "--max-cost", String(CAP_USD), "--wait", "--json"],
      { cwd: repo.dir, timeoutMs: 180_000 },
    );
    expect(result.code, result.stderr).toBe(1);
    const run = JSON.parse(result.stdout);
    expect(run.status).toBe("budget_exceeded");
    expect(run.costUsd).toBeGreaterThan(CAP_USD);
    expect(run.costUsd).toBeLessThan(FULL_COST_USD);
    expect(run.error).toBe(`cost $${run.costUsd.toFixed(4)} passed the per-run cap of $0.0050`);
    // Stopped part way: the agent never reached its final turn.
    const events = await agentEvents(cluster, repo.dir, run.runId);
    expect(events.filter((e) => e.type === "usage").length).toBeLessThan(5);
    expect(events).not.toContainEqual(expect.objectContaining({ type: "final", text: "Finished looking around." }));
    // A warm container is removed right after its run, in the background.
    await expect.poll(() => containersOf(run.runId), { timeout: 10_000 }).toBe("");

    const budget = JSON.parse((await cluster.cli(["budget", "--json"], { cwd: repo.dir })).stdout);
    expect(budget.spentUsd).toBeCloseTo(run.costUsd, 6);
    expect(budget.reservedUsd).toBe(0);
    await repo.cleanup();
  });
});

describe("PANCODE_PER_RUN_BUDGET", () => {
  it("caps a dispatch that names no --max-cost", async () => {
    const capped = await startCapCluster({ PANCODE_PER_RUN_BUDGET: "0.002" });
    try {
      const repo = await createRepo({ files: { "README.md": "# demo\n" } });
      const result = await capped.cluster.cli(["dispatch", "Look around", "--agent", "dev", "--wait", "--json"], {
        cwd: repo.dir,
        timeoutMs: 180_000,
      });
      expect(result.code, result.stderr).toBe(1);
      const run = JSON.parse(result.stdout);
      // 0.002 is passed after turn 2 (0.0036), well before the scenario ends.
      expect(run.status).toBe("budget_exceeded");
      expect(run.costUsd).toBeGreaterThan(0.002);
      expect(run.costUsd).toBeLessThan(FULL_COST_USD);
      expect(run.error).toBe(`cost $${run.costUsd.toFixed(4)} passed the per-run cap of $0.0020`);
      await repo.cleanup();
    } finally {
      await capped.stop();
    }
  });
});
