import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { type AgentCluster, agentEvents, startAgentCluster } from "@pancode/testing/agent-cluster";
import type { Cluster } from "@pancode/testing/cluster";
import { createRepo } from "@pancode/testing/git";
import { loadScenario, type ModelServer, startModelServer } from "@pancode/testing/model-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// The real Pi agent, unmodified, in its container on a worker, driven by the scripted model server over the real
// OpenAI chat-completions API: the only thing replaced is the model's brain.

const SCENARIOS = join(import.meta.dirname, "..", "fixtures", "scenarios");
const API_KEY = "sk-scripted-e2e-secret";

let models: ModelServer;
let agents: AgentCluster;
let cluster: Cluster;

beforeAll(async () => {
  models = await startModelServer({
    scenarios: {
      writer: await loadScenario(join(SCENARIOS, "write-file.yaml")),
      "ro-attempt": await loadScenario(join(SCENARIOS, "read-only-attempt.yaml")),
      // A model that never answers in time: the agent hangs, the run must not.
      hang: { name: "hang", turns: [{ text: "too late", delayMs: 120_000 }] },
    },
  });
  agents = await startAgentCluster({
    providers: [
      {
        name: "scripted",
        api: "openai-completions",
        baseUrl: models.openaiBaseUrl,
        models: [
          { id: "writer", price: { input: 1, output: 2, cacheRead: 0.1 } },
          { id: "ro-attempt", price: { input: 1, output: 2 } },
          { id: "hang" },
          { id: "missing" },
        ],
      },
    ],
    defaultModel: "scripted/writer",
    apiKey: API_KEY,
  });
  cluster = agents.cluster;
});

afterAll(async () => {
  await agents?.stop();
  await models?.stop();
});

describe("the pi runtime", () => {
  it("edits files through its tools; the patch, events, tokens and cost come back", async () => {
    const repo = await createRepo({ files: { "README.md": "# demo\n" } });
    const result = await cluster.cli(["dispatch", "Create hello.txt", "--agent", "dev", "--wait", "--json"], {
      cwd: repo.dir,
      timeoutMs: 180_000,
    });
    expect(result.code, result.stderr).toBe(0);
    const run = JSON.parse(result.stdout);
    expect(run).toMatchObject({
      status: "done",
      agent: "dev",
      model: "scripted/writer",
      outputTail: "Created hello.txt.",
    });
    expect(run.merge.outcome).toBe("clean");
    expect(await readFile(join(repo.dir, "hello.txt"), "utf8")).toBe("hello from pancode\n");
    // Cost from the cluster's prices: (1200*1 + 40*2) + (1300*1 + 12*2 + 1000*0.1) per million tokens.
    expect(run.costUsd).toBeCloseTo(0.002704, 9);

    const events = await agentEvents(cluster, repo.dir, run.runId);
    expect(events.filter((e) => e.type === "turn_start")).toHaveLength(2);
    expect(events).toContainEqual(expect.objectContaining({ type: "tool_call", tool: "write" }));
    expect(events).toContainEqual(expect.objectContaining({ type: "tool_result", tool: "write", isError: false }));
    const usage = events.filter((e) => e.type === "usage").map((e) => e.usage as { input: number; output: number });
    expect(usage.map((u) => [u.input, u.output])).toEqual([
      [1200, 40],
      [1300, 12],
    ]);
    // The run's token totals travel with its completion: into its audit entry and the cluster's budget.
    const audit = await cluster.cli(["audit", `run:${run.runId}`, "--json"], { cwd: repo.dir });
    const [completed] = JSON.parse(audit.stdout).entries;
    expect(completed).toMatchObject({ action: "completed", data: { inputTokens: 2500, outputTokens: 52 } });
    const budget = JSON.parse((await cluster.cli(["budget", "--json"], { cwd: repo.dir })).stdout);
    expect(budget.inputTokens).toBeGreaterThanOrEqual(2500);
    expect(budget.tokens).toBe(budget.inputTokens + budget.outputTokens);
    // The receipt names the Pi version the image carries (its pinned label), not just the image digest.
    const exported = JSON.parse((await cluster.cli(["receipt", "export", run.runId], { cwd: repo.dir })).stdout);
    const statement = JSON.parse(Buffer.from(exported.payload, "base64").toString("utf8"));
    expect(statement.predicate.parameters.runtime).toBe("pi");
    expect(statement.predicate.parameters.runtimeVersion).toMatch(/^\d+\.\d+\.\d+$/);
    expect(statement.predicate.results.tokens).toMatchObject({ input: 2500, output: 52 });
    // The model saw the agent's tools and got the worker's key; the key is nowhere in what the cluster recorded.
    const calls = models.requests.filter((r) => r.model === "writer");
    expect(calls[0]?.tools).toEqual(expect.arrayContaining(["read", "bash", "edit", "write"]));
    expect(calls[0]?.apiKey).toBe(API_KEY);
    const shown = await cluster.cli(["show", run.runId, "--json"], { cwd: repo.dir });
    const logs = await cluster.cli(["logs", run.runId, "--json"], { cwd: repo.dir });
    expect(shown.stdout + logs.stdout).not.toContain(API_KEY);
    await repo.cleanup();
  });

  it("ends a hanging agent `timeout` at its agent's limit, and the worker moves on", async () => {
    const repo = await createRepo({
      files: {
        ".pancode/agents/slowpoke.md":
          "---\ndescription: waits forever\nruntime: pi\nmodel: scripted/hang\ntimeout: 3s\n---\nYou are slow.\n",
      },
    });
    const result = await cluster.cli(["dispatch", "Do something", "--agent", "slowpoke", "--wait", "--json"], {
      cwd: repo.dir,
      timeoutMs: 120_000,
    });
    expect(result.code, result.stderr).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({ status: "timeout", error: "timed out after 3000 ms" });
    // The worker is free again: a normal run right after completes.
    const next = await cluster.cli(["dispatch", "Create hello.txt", "--agent", "dev", "--wait", "--json"], {
      cwd: repo.dir,
      timeoutMs: 120_000,
    });
    expect(JSON.parse(next.stdout).status).toBe("done");
    await repo.cleanup();
  });

  it("ends a run `error` with the agent's reason when its model calls fail, even though pi exits 0", async () => {
    const repo = await createRepo({ files: { "README.md": "# demo\n" } });
    // The provider does not know this model: every call gets a 404 in the OpenAI error shape.
    const result = await cluster.cli(
      ["dispatch", "Create hello.txt", "--agent", "dev", "--model", "scripted/missing", "--wait", "--json"],
      {
        cwd: repo.dir,
        timeoutMs: 120_000,
      },
    );
    expect(result.code).toBe(1);
    const run = JSON.parse(result.stdout);
    expect(run.status).toBe("error");
    expect(run.error).toMatch(/^agent failed: .*404/);
    await repo.cleanup();
  });

  it("gives a read-only agent no way to change the workspace, by its tools or through bash", async () => {
    const repo = await createRepo({ files: { "README.md": "# demo\n" } });
    const result = await cluster.cli(
      ["dispatch", "Fix the README", "--agent", "reviewer", "--model", "scripted/ro-attempt", "--wait", "--json"],
      { cwd: repo.dir, timeoutMs: 180_000 },
    );
    const run = JSON.parse(result.stdout);
    expect(run.status).toBe("done");
    expect(run.patch).toBeNull();
    expect(run.merge).toBeNull();
    expect(await readFile(join(repo.dir, "README.md"), "utf8")).toBe("# demo\n");
    const events = await agentEvents(cluster, repo.dir, run.runId);
    // The write tool is not offered to a read-only agent, and bash hits the read-only mount.
    expect(models.requests.find((r) => r.model === "ro-attempt")?.tools).not.toContain("write");
    expect(events).toContainEqual(expect.objectContaining({ type: "tool_result", tool: "bash" }));
    const logs = await cluster.cli(["logs", run.runId], { cwd: repo.dir });
    expect(logs.stderr).toMatch(/read-only/);
    await repo.cleanup();
  });
});
