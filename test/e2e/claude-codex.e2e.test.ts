import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { type AgentCluster, startAgentCluster } from "@pancode/testing/agent-cluster";
import type { Cluster } from "@pancode/testing/cluster";
import { createRepo } from "@pancode/testing/git";
import { type ModelServer, type Scenario, startModelServer } from "@pancode/testing/model-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// The real Claude Code and Codex CLIs, unmodified, in their containers on a worker, driven by the scripted model
// server over the Anthropic Messages and OpenAI Responses APIs. Neither CLI prices a custom model (Claude guesses,
// Codex reports none), so the run's cost must come from the cluster's price table.

const API_KEY = "sk-scripted-claude-codex-secret";

// Claude Code's Write tool takes an absolute path; Codex has no write tool and writes through its shell tool.
const claudeScenario: Scenario = {
  name: "claude-write",
  turns: [
    {
      text: "I'll create hello.txt.",
      toolCalls: [{ name: "Write", arguments: { file_path: "/workspace/hello.txt", content: "hello from claude\n" } }],
      usage: { input: 1200, output: 40, cacheRead: 100, cacheWrite: 50 },
    },
    { text: "Created hello.txt.", usage: { input: 1300, output: 12, cacheRead: 1000 } },
  ],
};
const codexScenario: Scenario = {
  name: "codex-write",
  turns: [
    {
      text: "I'll create hello.txt.",
      toolCalls: [{ name: "exec_command", arguments: { cmd: "printf 'hello from codex\\n' > hello.txt" } }],
      usage: { input: 1200, output: 40, cacheRead: 100 },
    },
    { text: "Created hello.txt.", usage: { input: 1300, output: 12, cacheRead: 1000 } },
  ],
};

let models: ModelServer;
let agents: AgentCluster;
let cluster: Cluster;

beforeAll(async () => {
  models = await startModelServer({ scenarios: { "claude-writer": claudeScenario, "codex-writer": codexScenario } });
  agents = await startAgentCluster({
    providers: [
      {
        name: "scripted-anthropic",
        api: "anthropic-messages",
        baseUrl: models.anthropicBaseUrl,
        models: [{ id: "claude-writer", price: { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 4 } }],
      },
      {
        name: "scripted-responses",
        api: "openai-responses",
        baseUrl: models.openaiBaseUrl,
        models: [{ id: "codex-writer", price: { input: 1.25, output: 10, cacheRead: 0.1 } }, { id: "missing" }],
      },
    ],
    defaultModel: "scripted-anthropic/claude-writer",
    apiKey: API_KEY,
  });
  cluster = agents.cluster;
});

afterAll(async () => {
  await agents?.stop();
  await models?.stop();
});

function agentFile(runtime: string, model: string, extra = ""): string {
  return `---\ndescription: writes files with ${runtime}\nruntime: ${runtime}\nmodel: ${model}\n${extra}---\nYou write the files you are asked for.\n`;
}

interface AgentEventLine {
  kind: string;
  text: string;
}

/** Dispatches `agent` (defined by `file`) in a fresh repo; returns the CLI result, the run, its agent events, the repo. */
async function dispatch(agent: string, file: string) {
  const repo = await createRepo({ files: { "README.md": "# demo\n", [`.pancode/agents/${agent}.md`]: file } });
  const result = await cluster.cli(["dispatch", "Create hello.txt", "--agent", agent, "--wait", "--json"], {
    cwd: repo.dir,
    timeoutMs: 120_000,
  });
  const run = JSON.parse(result.stdout);
  const shown = await cluster.cli(["show", run.runId, "--json"], { cwd: repo.dir });
  const logs = await cluster.cli(["logs", run.runId, "--json"], { cwd: repo.dir });
  // The worker's key reached the model server, but nothing the cluster recorded holds it.
  expect(shown.stdout + logs.stdout).not.toContain(API_KEY);
  const events = (JSON.parse(logs.stdout).events as AgentEventLine[])
    .filter((e) => e.kind === "agent")
    .map((e) => JSON.parse(e.text) as Record<string, unknown>);
  return { result, run, events, repo };
}

type UsageEvent = { input: number; output: number; cacheRead: number; cacheWrite: number; costUsd: number | null };
const usages = (events: Record<string, unknown>[]) =>
  events.filter((e) => e.type === "usage").map((e) => e.usage as UsageEvent);

describe("the claude-code runtime", () => {
  it("writes a file with Claude's Write tool; turns, tool calls, usage and the price-table cost come back", async () => {
    const file = agentFile("claude-code", "scripted-anthropic/claude-writer");
    const { result, run, events, repo } = await dispatch("claude-writer", file);
    expect(result.code, result.stderr).toBe(0);
    expect(run).toMatchObject({ status: "done", agent: "claude-writer", outputTail: "Created hello.txt." });
    expect(run.merge.outcome).toBe("clean");
    expect(await readFile(join(repo.dir, "hello.txt"), "utf8")).toBe("hello from claude\n");
    // (2500*3 + 52*15 + 1100*0.3 + 50*4) / 1e6: the cluster's prices, not Claude's own guess (stored to 1e-6 USD).
    expect(run.costUsd).toBeCloseTo(0.00881, 9);

    expect(events.filter((e) => e.type === "turn_start")).toHaveLength(2);
    expect(events).toContainEqual(expect.objectContaining({ type: "tool_call", tool: "Write" }));
    expect(events).toContainEqual(expect.objectContaining({ type: "tool_result", tool: "Write", isError: false }));
    expect(usages(events).map((u) => [u.input, u.output, u.cacheRead, u.cacheWrite])).toEqual([
      [1200, 40, 100, 50],
      [1300, 12, 1000, 0],
    ]);
    expect(usages(events).reduce((sum, u) => sum + (u.costUsd ?? Number.NaN), 0)).toBeCloseTo(0.00881, 12);

    const calls = models.requests.filter((r) => r.model === "claude-writer" && r.tools.length > 0);
    expect(calls[0]?.apiKey).toBe(API_KEY);
    expect(calls[0]?.tools).toEqual(expect.arrayContaining(["Read", "Bash", "Edit", "Write", "Grep", "Glob"]));
    expect(calls[0]?.tools).not.toContain("WebFetch");
    expect(calls[0]?.system).toContain("You write the files you are asked for.");
    await repo.cleanup();
  });

  it("ends `error` with Claude's own reason when the agent hits its turn limit", async () => {
    const file = agentFile("claude-code", "scripted-anthropic/claude-writer", "maxTurns: 1\n");
    const { result, run, events, repo } = await dispatch("claude-short", file);
    expect(result.code).toBe(1);
    expect(run).toMatchObject({ status: "error", error: "agent failed: Reached maximum number of turns (1)" });
    expect(events).toContainEqual({ type: "agent_error", message: "Reached maximum number of turns (1)" });
    await repo.cleanup();
  });
});

describe("the codex runtime", () => {
  it("writes a file through Codex's shell tool; the turn, tool call, usage and the price-table cost come back", async () => {
    const file = agentFile("codex", "scripted-responses/codex-writer");
    const { result, run, events, repo } = await dispatch("codex-writer", file);
    expect(result.code, result.stderr).toBe(0);
    expect(run).toMatchObject({ status: "done", agent: "codex-writer", outputTail: "Created hello.txt." });
    expect(run.merge.outcome).toBe("clean");
    expect(await readFile(join(repo.dir, "hello.txt"), "utf8")).toBe("hello from codex\n");
    // Codex reports the exec's total: 2500 fresh input, 1100 cached, 52 output; (2500*1.25 + 52*10 + 1100*0.1) / 1e6.
    expect(run.costUsd).toBeCloseTo(0.003755, 9);

    expect(events.filter((e) => e.type === "turn_start")).toHaveLength(1);
    expect(events).toContainEqual(expect.objectContaining({ type: "tool_call", tool: "exec_command" }));
    expect(events).toContainEqual(
      expect.objectContaining({ type: "tool_result", tool: "exec_command", isError: false }),
    );
    // Usage as the model proxy metered it, call by call (Codex itself reports only the exec's total).
    expect(usages(events).map((u) => [u.input, u.output, u.cacheRead, u.costUsd])).toEqual([
      [1200, 40, 100, expect.closeTo(0.00191, 12)],
      [1300, 12, 1000, expect.closeTo(0.001845, 12)],
    ]);

    const calls = models.requests.filter((r) => r.model === "codex-writer");
    expect(calls.map((r) => r.apiKey)).toEqual([API_KEY, API_KEY]);
    expect(calls[0]?.tools).toContain("exec_command");
    expect(calls[0]?.system).toContain("You write the files you are asked for.");
    await repo.cleanup();
  });

  it("ends `error` with Codex's own reason when its model calls fail", async () => {
    // The server has no scenario for this model: every call gets a 404 in the OpenAI error shape.
    const { result, run, repo } = await dispatch("codex-broken", agentFile("codex", "scripted-responses/missing"));
    expect(result.code).toBe(1);
    expect(run.status).toBe("error");
    expect(run.error).toMatch(/^agent failed: .*missing/);
    await repo.cleanup();
  });
});
