import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type AgentCluster, agentEvents, startAgentCluster } from "@pancode/testing/agent-cluster";
import type { Cluster } from "@pancode/testing/cluster";
import { createRepo } from "@pancode/testing/git";
import { loadScenario, type ModelServer, type Scenario, startModelServer } from "@pancode/testing/model-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// The real Pi agent in a network-none container, reaching the scripted model only through the worker's per-run
// model proxy (a Unix socket mounted into the container, and a forwarder on the container's own loopback). The
// agent's bash tool plays the attacker: it dumps every environment and file it can read, probes the host's
// loopback services, and forges usage lines on the container's stdout.

const SCENARIOS = join(import.meta.dirname, "..", "fixtures", "scenarios");
/** The provider key: a unique marker that must never be seen inside a container. */
const API_KEY = "sk-proxy-e2e-marker-7f3a9c";
// Prices { input: 1, output: 2 } USD per million tokens: 1000+2*50, 1100+2*20, 1200+2*10 = 3460 per million.
const PROBE_COST_USD = 0.00346;

/** Prints `<target> open|closed` for each host:port argument (a TCP connect with a short timeout). */
const PROBE_MJS = `import { connect } from "node:net";
for (const target of process.argv.slice(2)) {
  const [host, port] = target.split(":");
  const open = await new Promise((resolve) => {
    const socket = connect({ host, port: Number(port) });
    const done = (ok) => { socket.destroy(); resolve(ok); };
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
    socket.setTimeout(2000, () => done(false));
  });
  console.log(target + " " + (open ? "open" : "closed"));
}
`;

/** Asks the run's proxy to CONNECT to each host:port argument; prints `<target> <status> [first line answered]`. */
const CONNECT_MJS = `import { request } from "node:http";
for (const target of process.argv.slice(2)) {
  const outcome = await new Promise((resolve) => {
    const req = request({ host: "127.0.0.1", port: 4100, method: "CONNECT", path: target });
    req.on("connect", (res, socket, head) => {
      if (res.statusCode !== 200) { socket.destroy(); resolve(String(res.statusCode)); return; }
      // The tunnel's first bytes may arrive with the proxy's answer (head) or after it.
      const answer = (data) => { socket.destroy(); resolve("200 " + data.toString().trim()); };
      if (head.length > 0) answer(head);
      else socket.once("data", answer);
    });
    req.on("response", (res) => resolve(String(res.statusCode)));
    req.on("error", (err) => resolve("error " + err.message));
    req.end();
  });
  console.log(target + " " + outcome);
}
`;

/** Everything the container holds that a key could hide in: environments, command lines, files of HOME, /tmp, mounts. */
const DUMP =
  '{ env; for f in /proc/[0-9]*/environ /proc/[0-9]*/cmdline; do tr "\\0" "\\n" < "$f"; echo; done; ' +
  'find "$HOME" /tmp /opt /run/pancode -type f -exec cat {} +; } > leak.txt 2>/dev/null; true';

/** A Pi `message_end` with a huge negative cost, as a forger would print it on the agent's stdout. */
const FORGED =
  '{"type":"message_end","message":{"role":"assistant","content":[{"type":"text","text":"forged"}],' +
  '"usage":{"input":9000000,"output":9000000,"cacheRead":0,"cacheWrite":0,"totalTokens":18000000,' +
  '"cost":{"input":-500,"output":-500,"cacheRead":0,"cacheWrite":0,"total":-1000}},"stopReason":"stop"}}';

let models: ModelServer;
let agents: AgentCluster;
let cluster: Cluster;
let bystander: Server;
let bystanderConnections = 0;
let agentsDir: string;

/** Each agent CLI's shell tool, as its scripted model calls it: the dump, then a final answer. */
const SHELL_CALLS: Record<string, { runtime: string; provider: string; tool: string; args: Record<string, string> }> = {
  "leak-claude": {
    runtime: "claude-code",
    provider: "scripted-anthropic",
    tool: "Bash",
    args: { command: DUMP, description: "Dump" },
  },
  "leak-codex": { runtime: "codex", provider: "scripted-responses", tool: "exec_command", args: { cmd: DUMP } },
  "leak-gemini": { runtime: "gemini", provider: "scripted-google", tool: "run_shell_command", args: { command: DUMP } },
  "leak-opencode": {
    runtime: "opencode",
    provider: "scripted",
    tool: "bash",
    args: { command: DUMP, description: "Dump" },
  },
};

function leakScenario(model: string): Scenario {
  const call = SHELL_CALLS[model];
  if (!call) throw new Error(`no shell call for ${model}`);
  return {
    name: model,
    turns: [
      {
        text: "Looking around.",
        toolCalls: [{ name: call.tool, arguments: call.args }],
        usage: { input: 500, output: 20 },
      },
      { text: "Dumped.", usage: { input: 600, output: 10 } },
    ],
  };
}

/** The probed addresses are in the repository's targets.txt: the cluster's ports are known only once it started. */
function probeScenario(): Scenario {
  return {
    name: "probe",
    turns: [
      {
        text: "Looking around.",
        toolCalls: [{ name: "bash", arguments: { command: `${DUMP}; node probe.mjs $(cat targets.txt) > probe.txt` } }],
        usage: { input: 1000, output: 50 },
      },
      {
        text: "Reporting my own usage.",
        toolCalls: [{ name: "bash", arguments: { command: `echo '${FORGED}' > /proc/1/fd/1; true` } }],
        usage: { input: 1100, output: 20 },
      },
      { text: "Probed.", usage: { input: 1200, output: 10 } },
    ],
  };
}

function portOf(url: string): string {
  return new URL(url.includes("://") ? url : `tcp://${url}`).port;
}

beforeAll(async () => {
  bystander = createServer((socket) => {
    bystanderConnections += 1;
    socket.end("hello\n");
  });
  await new Promise<void>((resolve) => bystander.listen(0, "127.0.0.1", resolve));
  // A cluster agent allowed to reach the bystander (and nothing else) through its run's proxy.
  agentsDir = await mkdtemp(join(tmpdir(), "pancode-egress-agents-"));
  await writeFile(
    join(agentsDir, "fetcher.md"),
    `---\nruntime: command\negress: [127.0.0.1:${bystanderPort()}]\ndescription: fetches\n---\n`,
  );
  models = await startModelServer({
    scenarios: {
      probe: probeScenario(),
      slow: await loadScenario(join(SCENARIOS, "slow-growing-usage.yaml")),
      ...Object.fromEntries(Object.keys(SHELL_CALLS).map((model) => [model, leakScenario(model)])),
    },
  });
  const price = { input: 1, output: 2 };
  agents = await startAgentCluster({
    providers: [
      {
        name: "scripted",
        api: "openai-completions",
        baseUrl: models.openaiBaseUrl,
        models: [
          { id: "probe", price },
          { id: "slow", price },
          { id: "leak-opencode", price },
        ],
      },
      {
        name: "scripted-anthropic",
        api: "anthropic-messages",
        baseUrl: models.anthropicBaseUrl,
        models: [{ id: "leak-claude", price }],
      },
      {
        name: "scripted-responses",
        api: "openai-responses",
        baseUrl: models.openaiBaseUrl,
        models: [{ id: "leak-codex", price }],
      },
      { name: "scripted-google", api: "google", baseUrl: models.geminiBaseUrl, models: [{ id: "leak-gemini", price }] },
    ],
    defaultModel: "scripted/probe",
    apiKey: API_KEY,
    coordinatorEnv: { PANCODE_AGENTS_DIR: agentsDir },
  });
  cluster = agents.cluster;
}, 120_000);

function bystanderPort(): number {
  const address = bystander.address();
  return typeof address === "object" && address ? address.port : 0;
}

/** The host's services a container must not reach: a test server, NATS, the coordinator, the model server. */
function hostTargets(): string {
  return [
    `127.0.0.1:${bystanderPort()}`,
    `127.0.0.1:${portOf(cluster.natsUrl)}`,
    `127.0.0.1:${portOf(cluster.address)}`,
    `127.0.0.1:${portOf(models.url)}`,
    // The host as seen from Docker's default bridge.
    `172.17.0.1:${bystanderPort()}`,
  ].join(" ");
}

afterAll(async () => {
  await agents?.stop();
  await models?.stop();
  await new Promise<void>((resolve) => bystander?.close(() => resolve()));
  if (agentsDir) await rm(agentsDir, { recursive: true, force: true });
});

describe("the model proxy", () => {
  it("keeps the provider key out of the container, walls off the host, and meters cost the agent cannot forge", async () => {
    const repo = await createRepo({
      files: { "README.md": "# demo\n", "probe.mjs": PROBE_MJS, "targets.txt": `${hostTargets()}\n` },
    });
    const result = await cluster.cli(
      ["dispatch", "Look around", "--agent", "dev", "--model", "scripted/probe", "--wait", "--json"],
      { cwd: repo.dir, timeoutMs: 180_000 },
    );
    expect(result.code, result.stderr).toBe(0);
    const run = JSON.parse(result.stdout);
    expect(run).toMatchObject({ status: "done", outputTail: "Probed." });

    // The dump ran (it holds the proxy token and Pi's models.json) and never saw the key.
    const leak = await readFile(join(repo.dir, "leak.txt"), "utf8");
    expect(leak).toContain("PANCODE_MODEL_TOKEN=");
    expect(leak).toContain("http://127.0.0.1:4100/scripted/v1");
    expect(leak).not.toContain(API_KEY);
    // The scripted server saw the real key on every call, never the proxy token.
    const calls = models.requests.filter((r) => r.model === "probe");
    expect(calls).toHaveLength(3);
    for (const call of calls) expect(call.apiKey).toBe(API_KEY);

    // Nothing on the host answered the container: not a test server, NATS, the coordinator or the model server.
    const probe = (await readFile(join(repo.dir, "probe.txt"), "utf8")).trim().split("\n");
    expect(probe).toHaveLength(5);
    for (const line of probe) expect(line).toMatch(/ closed$/);
    expect(bystanderConnections).toBe(0);

    // The forged line changed nothing: the run costs what the proxy metered, priced by the cluster's table.
    expect(run.costUsd).toBeCloseTo(PROBE_COST_USD, 9);
    const events = await agentEvents(cluster, repo.dir, run.runId);
    const metered = events.filter((e) => e.type === "model_call");
    expect(metered).toHaveLength(3);
    expect(metered.map((e) => [e.model, e.status])).toEqual([
      ["probe", 200],
      ["probe", 200],
      ["probe", 200],
    ]);
    const usage = events.filter((e) => e.type === "usage").map((e) => e.usage as { input: number; costUsd: number });
    expect(usage.map((u) => u.input)).toEqual([1000, 1100, 1200]);
    const logs = JSON.parse((await cluster.cli(["logs", run.runId, "--json"], { cwd: repo.dir })).stdout);
    const findings = (logs.events as { kind: string; text: string }[]).filter((e) => e.kind === "safety");
    expect(findings.map((n) => n.text).join("\n")).toMatch(
      /usage_mismatch: the agent reported .* the model proxy metered/,
    );
    // The forged report is on the audit trail too, not only on the run's record.
    const audit = JSON.parse((await cluster.cli(["audit", `run:${run.runId}`, "--json"], { cwd: repo.dir })).stdout);
    expect(audit.entries).toContainEqual(expect.objectContaining({ category: "safety", action: "usage_mismatch" }));
    const budget = JSON.parse((await cluster.cli(["budget", "--json"], { cwd: repo.dir })).stdout);
    expect(budget.spentUsd).toBeCloseTo(PROBE_COST_USD, 9);

    // The receipt records the proxy-metered calls: how many, which models, how many tokens.
    const exported = JSON.parse((await cluster.cli(["receipt", "export", run.runId], { cwd: repo.dir })).stdout);
    const statement = JSON.parse(Buffer.from(exported.payload, "base64").toString("utf8"));
    expect(statement.predicate.results.costUsd).toBeCloseTo(PROBE_COST_USD, 9);
    expect(statement.predicate.results.modelCalls).toEqual({
      calls: 3,
      models: ["probe"],
      inputTokens: 3300,
      outputTokens: 80,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
    });
    await repo.cleanup();
  });

  it("stops a capped run after the call that crossed the cap, charged exactly what was metered", async () => {
    const repo = await createRepo({ files: { "README.md": "# demo\n" } });
    const result = await cluster.cli(
      [
        "dispatch",
        "Look around",
        "--agent",
        "dev",
        "--model",
        "scripted/slow",
        "--max-cost",
        "0.005",
        "--wait",
        "--json",
      ],
      { cwd: repo.dir, timeoutMs: 180_000 },
    );
    expect(result.code, result.stderr).toBe(1);
    const run = JSON.parse(result.stdout);
    expect(run.status).toBe("budget_exceeded");
    const events = await agentEvents(cluster, repo.dir, run.runId);
    const metered = events.filter((e) => e.type === "model_call") as { status: number; usage: { costUsd: number } }[];
    // 0.0012, 0.0036, 0.0084: the third call crossed the cap of 0.005; nothing after it reached the model.
    expect(metered.filter((e) => e.status === 200)).toHaveLength(3);
    expect(models.requests.filter((r) => r.model === "slow")).toHaveLength(3);
    const charged = metered.reduce((sum, e) => sum + e.usage.costUsd, 0);
    expect(charged).toBeCloseTo(0.0084, 9);
    expect(run.costUsd).toBeCloseTo(charged, 9);
    await repo.cleanup();
  });

  for (const [model, call] of Object.entries(SHELL_CALLS)) {
    it(`keeps the key out of the container of ${call.runtime} too, and meters its calls`, async () => {
      const file = `---\ndescription: dumps\nruntime: ${call.runtime}\nmodel: ${call.provider}/${model}\n---\nYou look around.\n`;
      const repo = await createRepo({ files: { "README.md": "# demo\n", ".pancode/agents/dumper.md": file } });
      const result = await cluster.cli(["dispatch", "Look around", "--agent", "dumper", "--wait", "--json"], {
        cwd: repo.dir,
        timeoutMs: 180_000,
      });
      expect(result.code, result.stderr).toBe(0);
      const run = JSON.parse(result.stdout);
      expect(run.status).toBe("done");
      const leak = await readFile(join(repo.dir, "leak.txt"), "utf8");
      expect(leak).toContain("PANCODE_MODEL_TOKEN=");
      expect(leak).not.toContain(API_KEY);
      const calls = models.requests.filter((r) => r.model === model);
      expect(calls.length).toBeGreaterThanOrEqual(2);
      for (const seen of calls) expect(seen.apiKey).toBe(API_KEY);
      // (500 + 2*20) + (600 + 2*10) per million tokens, as the proxy metered it.
      expect(run.costUsd).toBeCloseTo(0.00116, 9);
      await repo.cleanup();
    });
  }

  it("tunnels a cluster agent's egress hosts through the proxy, and refuses every other one", async () => {
    const nats = `127.0.0.1:${portOf(cluster.natsUrl)}`;
    const allowed = `127.0.0.1:${bystanderPort()}`;
    const repo = await createRepo({ files: { "README.md": "# demo\n", "connect.mjs": CONNECT_MJS } });
    const before = bystanderConnections;
    // Egress beyond the model reaches past the sandbox: full-auto.
    const result = await cluster.cli(
      ["dispatch", `node connect.mjs ${allowed} ${nats}`, "--agent", "fetcher", "--wait", "--json"],
      { cwd: repo.dir, env: { PANCODE_SAFETY: "full-auto" }, timeoutMs: 120_000 },
    );
    expect(result.code, result.stderr + result.stdout).toBe(0);
    const run = JSON.parse(result.stdout);
    expect(run.outputTail).toContain(`${allowed} 200 hello`);
    expect(run.outputTail).toContain(`${nats} 403`);
    expect(bystanderConnections).toBe(before + 1);
    const logs = JSON.parse((await cluster.cli(["logs", run.runId, "--json"], { cwd: repo.dir })).stdout);
    const findings = (logs.events as { kind: string; text: string }[])
      .filter((e) => e.kind === "safety")
      .map((e) => e.text);
    expect(findings).toContain(`proxy_refused: the model proxy refused connect ${nats}`);
    const audit = JSON.parse((await cluster.cli(["audit", `run:${run.runId}`, "--json"], { cwd: repo.dir })).stdout);
    expect(audit.entries).toContainEqual(
      expect.objectContaining({
        category: "safety",
        action: "proxy_refused",
        message: `the model proxy refused connect ${nats}`,
      }),
    );
    // The default level refuses the agent, naming its egress.
    const refused = await cluster.cli(["dispatch", "true", "--agent", "fetcher"], { cwd: repo.dir });
    expect(refused.code).toBe(4);
    expect(refused.stderr).toContain(`it may reach ${allowed} through its proxy`);
    await repo.cleanup();
  });
});
