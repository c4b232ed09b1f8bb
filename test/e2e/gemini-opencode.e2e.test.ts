import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { type AgentCluster, startAgentCluster } from "@pancode/testing/agent-cluster";
import type { Cluster } from "@pancode/testing/cluster";
import { createRepo } from "@pancode/testing/git";
import { type ModelServer, type Scenario, startModelServer } from "@pancode/testing/model-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// The real Gemini CLI and OpenCode, unmodified, in their containers on a worker, driven by the scripted model server
// over the Gemini API and the OpenAI chat-completions API. Gemini reports tokens but no cost, so its cost comes from
// the cluster's price table; OpenCode prices each step itself from the prices its adapter puts in its config.

const API_KEY = "sk-scripted-gemini-opencode-secret";
const PROMPT = "You write the files you are asked for.";

// Each CLI writes with its own tool: Gemini's write_file {file_path, content}, OpenCode's write {filePath, content}.
const geminiScenario: Scenario = {
  name: "gemini-write",
  turns: [
    {
      text: "I'll create hello.txt.",
      toolCalls: [{ name: "write_file", arguments: { file_path: "hello.txt", content: "hello from gemini\n" } }],
      usage: { input: 1200, output: 40, cacheRead: 100 },
    },
    { text: "Created hello.txt.", usage: { input: 1300, output: 12, cacheRead: 1000 } },
  ],
};
const openCodeScenario: Scenario = {
  name: "opencode-write",
  turns: [
    {
      text: "I'll create hello.txt.",
      toolCalls: [{ name: "write", arguments: { filePath: "hello.txt", content: "hello from opencode\n" } }],
      usage: { input: 1200, output: 40, cacheRead: 100 },
    },
    { text: "Created hello.txt.", usage: { input: 1300, output: 12, cacheRead: 1000 } },
  ],
};
// A read-only agent that tries to change the README through its shell: the read-only mount stops it.
const readerScenario: Scenario = {
  name: "opencode-ro-attempt",
  turns: [
    {
      toolCalls: [{ name: "bash", arguments: { command: "echo hacked > README.md", description: "Edit the README" } }],
      usage: { input: 800, output: 20 },
    },
    { text: "I could not change the README.", usage: { input: 900, output: 10 } },
  ],
};

let models: ModelServer;
let agents: AgentCluster;
let cluster: Cluster;

beforeAll(async () => {
  models = await startModelServer({
    scenarios: {
      "gemini-writer": geminiScenario,
      "opencode-writer": openCodeScenario,
      "opencode-reader": readerScenario,
    },
  });
  agents = await startAgentCluster({
    providers: [
      {
        name: "scripted-google",
        api: "google",
        baseUrl: models.geminiBaseUrl,
        models: [{ id: "gemini-writer", price: { input: 1.25, output: 10, cacheRead: 0.3 } }],
      },
      {
        name: "scripted",
        api: "openai-completions",
        baseUrl: models.openaiBaseUrl,
        models: [
          { id: "opencode-writer", price: { input: 0.5, output: 1.5, cacheRead: 0.05 } },
          { id: "opencode-reader", price: { input: 0.5, output: 1.5 } },
        ],
      },
    ],
    defaultModel: "scripted/opencode-writer",
    apiKey: API_KEY,
  });
  cluster = agents.cluster;
});

afterAll(async () => {
  await agents?.stop();
  await models?.stop();
});

interface AgentEventLine {
  kind: string;
  text: string;
}

/** Dispatches `agent` in a fresh repo holding its agent file; returns the run, its agent events and the repo. */
async function dispatch(agent: string, frontMatter: string) {
  const file = `---\ndescription: e2e agent\n${frontMatter}timeout: 90s\n---\n${PROMPT}\n`;
  const repo = await createRepo({ files: { "README.md": "# demo\n", [`.pancode/agents/${agent}.md`]: file } });
  const result = await cluster.cli(["dispatch", "Create hello.txt", "--agent", agent, "--wait", "--json"], {
    cwd: repo.dir,
    timeoutMs: 120_000,
  });
  expect(result.code, result.stderr + result.stdout).toBe(0);
  const run = JSON.parse(result.stdout);
  const shown = await cluster.cli(["show", run.runId, "--json"], { cwd: repo.dir });
  const logs = await cluster.cli(["logs", run.runId, "--json"], { cwd: repo.dir });
  // The worker's key reached the model server, but nothing the cluster recorded holds it.
  expect(shown.stdout + logs.stdout).not.toContain(API_KEY);
  const events = (JSON.parse(logs.stdout).events as AgentEventLine[])
    .filter((e) => e.kind === "agent")
    .map((e) => JSON.parse(e.text) as Record<string, unknown>);
  return { run, events, repo };
}

type UsageEvent = { input: number; output: number; cacheRead: number; cacheWrite: number; costUsd: number | null };
const usages = (events: Record<string, unknown>[]) =>
  events.filter((e) => e.type === "usage").map((e) => e.usage as UsageEvent);

describe("the gemini runtime", () => {
  it("writes a file with write_file; turns, tool calls, tokens and the price-table cost come back", async () => {
    const { run, events, repo } = await dispatch(
      "gemini-writer",
      "runtime: gemini\nmodel: scripted-google/gemini-writer\n",
    );
    expect(run).toMatchObject({ status: "done", agent: "gemini-writer", outputTail: "Created hello.txt." });
    expect(run.merge.outcome).toBe("clean");
    expect(await readFile(join(repo.dir, "hello.txt"), "utf8")).toBe("hello from gemini\n");
    // (2500*1.25 + 52*10 + 1100*0.3) / 1e6, priced by the worker: Gemini CLI reports no cost.
    expect(run.costUsd).toBeCloseTo(0.003975, 9);

    expect(events.filter((e) => e.type === "turn_start")).toHaveLength(2);
    expect(events).toContainEqual(expect.objectContaining({ type: "tool_call", tool: "write_file" }));
    expect(events).toContainEqual(expect.objectContaining({ type: "tool_result", tool: "write_file", isError: false }));
    // The model proxy meters each call as scripted (Gemini CLI itself reports its totals once, at the end).
    expect(usages(events).map((u) => [u.input, u.output, u.cacheRead, u.cacheWrite])).toEqual([
      [1200, 40, 100, 0],
      [1300, 12, 1000, 0],
    ]);
    expect(events.filter((e) => e.type === "agent_error")).toEqual([]);

    // One request per turn (no helper-model calls), each with the worker's key, the agent's tools and prompt.
    const calls = models.requests.filter((r) => r.model === "gemini-writer");
    expect(calls.map((r) => [r.turnIndex, r.status, r.apiKey])).toEqual([
      [0, 200, API_KEY],
      [1, 200, API_KEY],
    ]);
    expect(calls[0]?.tools).toEqual(
      expect.arrayContaining(["read_file", "write_file", "replace", "run_shell_command", "grep_search", "glob"]),
    );
    expect(calls[0]?.tools).not.toContain("google_web_search");
    expect(calls[0]?.system).toContain(PROMPT);
    await repo.cleanup();
  });
});

describe("the opencode runtime", () => {
  it("writes a file with its write tool; steps, tool calls, tokens and OpenCode's cost at cluster prices", async () => {
    const { run, events, repo } = await dispatch(
      "opencode-writer",
      "runtime: opencode\nmodel: scripted/opencode-writer\n",
    );
    expect(run).toMatchObject({ status: "done", agent: "opencode-writer", outputTail: "Created hello.txt." });
    expect(run.merge.outcome).toBe("clean");
    expect(await readFile(join(repo.dir, "hello.txt"), "utf8")).toBe("hello from opencode\n");
    // (1200*0.5 + 40*1.5 + 100*0.05) + (1300*0.5 + 12*1.5 + 1000*0.05) per million tokens.
    expect(run.costUsd).toBeCloseTo(0.001383, 9);

    expect(events.filter((e) => e.type === "turn_start")).toHaveLength(2);
    expect(events).toContainEqual(expect.objectContaining({ type: "tool_call", tool: "write" }));
    expect(events).toContainEqual(expect.objectContaining({ type: "tool_result", tool: "write", isError: false }));
    expect(usages(events).map((u) => [u.input, u.output, u.cacheRead, u.cacheWrite])).toEqual([
      [1200, 40, 100, 0],
      [1300, 12, 1000, 0],
    ]);
    expect(usages(events).reduce((sum, u) => sum + (u.costUsd ?? Number.NaN), 0)).toBeCloseTo(0.001383, 12);

    // One request per step: --title spares the title call, so nothing else reaches the server.
    const calls = models.requests.filter((r) => r.api === "openai-chat" && r.model === "opencode-writer");
    expect(calls.map((r) => [r.turnIndex, r.status, r.apiKey])).toEqual([
      [0, 200, API_KEY],
      [1, 200, API_KEY],
    ]);
    expect(calls[0]?.messages[0]?.text).toBe("Create hello.txt");
    expect(calls[0]?.tools).toEqual(expect.arrayContaining(["read", "write", "edit", "bash", "grep", "glob"]));
    expect(calls[0]?.tools).not.toContain("webfetch");
    expect(calls[0]?.system).toContain(PROMPT);
    await repo.cleanup();
  });

  it("gives a read-only agent only its listed tools, and its shell cannot change the workspace", async () => {
    const { run, events, repo } = await dispatch(
      "opencode-reader",
      "runtime: opencode\nmodel: scripted/opencode-reader\nreadonly: true\ntools: [read, bash]\n",
    );
    expect(run).toMatchObject({ status: "done", patch: null, merge: null });
    expect(await readFile(join(repo.dir, "README.md"), "utf8")).toBe("# demo\n");
    expect(events).toContainEqual(expect.objectContaining({ type: "tool_result", tool: "bash" }));
    const calls = models.requests.filter((r) => r.model === "opencode-reader");
    expect([...(calls[0]?.tools ?? [])].sort()).toEqual(["bash", "read"]);
    // The shell ran, and the read-only mount refused the write: the model saw the error in the tool's output.
    expect(calls[1]?.messages.find((m) => m.role === "tool")?.text).toMatch(/Read-only file system/);
    await repo.cleanup();
  });
});
