import { execFileSync, spawn } from "node:child_process";
import { join } from "node:path";
import { type AgentCluster, startAgentCluster } from "@pancode/testing/agent-cluster";
import { type Cluster, REPO_ROOT } from "@pancode/testing/cluster";
import { createRepo, type FixtureRepo } from "@pancode/testing/git";
import { loadScenario, type ModelServer, startModelServer } from "@pancode/testing/model-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// Watching, timeouts, cost and metrics through the real stack: the built CLI -> coordinator -> NATS -> worker ->
// Docker, with the real Pi agent against the scripted model server, whose usage is known turn by turn.

const SCENARIOS = join(import.meta.dirname, "..", "fixtures", "scenarios");
const CLI_BIN = join(REPO_ROOT, "apps/cli/bin/pancode.js");
// slow-growing-usage.yaml: input 1000+2000+4000+8000+16000, output 100+200+400+800+1600; prices { input: 1, output: 2 }.
const INPUT_TOKENS = 31_000;
const OUTPUT_TOKENS = 3_100;
const COST_USD = 0.0372;

let models: ModelServer;
let agents: AgentCluster;
let cluster: Cluster;
let repo: FixtureRepo;
let agentRunId = "";

/** The run's containers: labelled with its run id, or a warm container renamed after it (`pancode-<run id>-...`). */
function containersOf(runId: string): string {
  const ids = [`label=pancode.run-id=${runId}`, `name=pancode-${runId}-`].flatMap((filter) =>
    execFileSync("docker", ["ps", "-aq", "--filter", filter]).toString().trim().split("\n"),
  );
  return [...new Set(ids.filter(Boolean))].join("\n");
}

/** Runs the CLI inside a pseudo-terminal (util-linux `script`), so stdout is a TTY; returns everything it drew. */
function cliInPty(args: string[], timeoutMs = 120_000): Promise<{ code: number; output: string }> {
  const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;
  const command = [process.execPath, CLI_BIN, ...args].map(quote).join(" ");
  const child = spawn("script", ["-qfec", command, "/dev/null"], {
    cwd: repo.dir,
    env: { ...process.env, ...cluster.clientEnv, COLUMNS: "160", LINES: "40" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr.on("data", (d: Buffer) => (output += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`pancode ${args.join(" ")} in a pty did not end in ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, output });
    });
  });
}

function metricsUrl(): string {
  const match = cluster.coordinatorLogs().match(/"metrics":"(http:\/\/127\.0\.0\.1:\d+\/metrics)"/);
  if (!match?.[1]) throw new Error(`the coordinator logged no metrics endpoint:\n${cluster.coordinatorLogs()}`);
  return match[1];
}

beforeAll(async () => {
  models = await startModelServer({
    scenarios: { slow: await loadScenario(join(SCENARIOS, "slow-growing-usage.yaml")) },
  });
  agents = await startAgentCluster({
    providers: [
      {
        name: "scripted",
        api: "openai-completions",
        baseUrl: models.openaiBaseUrl,
        models: [{ id: "slow", price: { input: 1, output: 2 } }],
      },
    ],
    defaultModel: "scripted/slow",
    apiKey: "sk-scripted-observe",
    coordinatorEnv: { PANCODE_METRICS_LISTEN: "127.0.0.1:0" },
  });
  cluster = agents.cluster;
  repo = await createRepo({ files: { "README.md": "# demo\n" } });
});

afterAll(async () => {
  await repo?.cleanup();
  await agents?.stop();
  await models?.stop();
});

describe("dispatch --timeout", () => {
  it("refuses a timeout that is not a duration (exit 2)", async () => {
    const result = await cluster.cli(["dispatch", "true", "--agent", "shell", "--timeout", "soon"], { cwd: repo.dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--timeout must be a duration such as 90s/);
  });

  it("stops a command that outlives --timeout 2s: status timeout, and its container is gone", async () => {
    const result = await cluster.cli(
      ["dispatch", "sleep 120", "--agent", "shell", "--timeout", "2s", "--wait", "--json"],
      { cwd: repo.dir, timeoutMs: 60_000 },
    );
    expect(result.code, result.stderr).toBe(1);
    const run = JSON.parse(result.stdout);
    expect(run.status).toBe("timeout");
    expect(run.error).toBe("timed out after 2000 ms");
    // A warm container is removed right after its run, in the background.
    await expect.poll(() => containersOf(run.runId), { timeout: 10_000 }).toBe("");
  });
});

describe("pancode watch", () => {
  it("redraws a running agent's line in place on a terminal, then shows its final status", async () => {
    const dispatched = await cluster.cli(["dispatch", "Look around", "--agent", "dev", "--json"], { cwd: repo.dir });
    expect(dispatched.code, dispatched.stderr).toBe(0);
    agentRunId = JSON.parse(dispatched.stdout).runId;
    const { code, output } = await cliInPty(["watch", agentRunId]);
    expect(code, output).toBe(0);
    // In place: the cursor goes back up over the previous frame and each line is cleared before it is redrawn.
    expect(output).toContain("\u001b[1F\u001b[2K");
    const frames = output.split("\u001b[2K").filter((f) => f.startsWith(agentRunId.slice(0, 8)));
    expect(frames.some((f) => /\brunning\b/.test(f))).toBe(true);
    expect(frames.some((f) => /turn \d/.test(f) && /\bbash\b/.test(f))).toBe(true);
    const last = frames.at(-1) ?? "";
    expect(last).toMatch(/\bdone\b/);
    expect(last).toContain(`${INPUT_TOKENS + OUTPUT_TOKENS} tok`);
    expect(last).toContain(`$${COST_USD.toFixed(4)}`);
  });

  it("prints plain lines, one per change, when stdout is not a terminal (all active runs until none is left)", async () => {
    const dispatched = await cluster.cli(["dispatch", "sleep 2", "--agent", "shell", "--json"], { cwd: repo.dir });
    const runId = JSON.parse(dispatched.stdout).runId as string;
    const watched = await cluster.cli(["watch"], { cwd: repo.dir, timeoutMs: 60_000 });
    expect(watched.code, watched.stderr).toBe(0);
    expect(watched.stdout).not.toContain("\u001b[");
    const lines = watched.stdout.trim().split("\n");
    expect(lines.every((l) => l.startsWith(runId.slice(0, 8)))).toBe(true);
    expect(lines.at(-1)).toMatch(/\bdone\b/);
    expect(new Set(lines).size).toBe(lines.length);
  });
});

describe("pancode watch, interrupted", () => {
  it("Ctrl-C ends the view at once and leaves the run running", async () => {
    const dispatched = await cluster.cli(["dispatch", "sleep 30", "--agent", "shell", "--timeout", "5s", "--json"], {
      cwd: repo.dir,
    });
    const runId = JSON.parse(dispatched.stdout).runId as string;
    const child = spawn(process.execPath, [CLI_BIN, "watch", runId], {
      cwd: repo.dir,
      env: { ...process.env, ...cluster.clientEnv },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    await new Promise<void>((resolve) => {
      child.stdout.on("data", (d: Buffer) => {
        output += d.toString();
        if (/\brunning\b/.test(output)) resolve();
      });
    });
    child.kill("SIGINT");
    expect(await exited).toBe(0);
    const shown = JSON.parse((await cluster.cli(["show", runId, "--json"], { cwd: repo.dir })).stdout);
    expect(shown.status).toBe("running");
    // It ends by its own timeout (counted by the metrics below).
    const waited = await cluster.cli(["logs", runId, "--follow"], { cwd: repo.dir, timeoutMs: 30_000 });
    expect(waited.stderr).toMatch(/timeout/);
  });
});

describe("dispatch --wait on a terminal", () => {
  it("shows the live view on stderr, then the usual result line, and merges back", async () => {
    const { code, output } = await cliInPty([
      "dispatch",
      "sleep 1 && echo tty > tty.txt",
      "--agent",
      "shell",
      "--wait",
    ]);
    expect(code, output).toBe(0);
    expect(output).toContain("\u001b[1F\u001b[2K");
    expect(output).toMatch(/\brunning\b/);
    expect(output).toMatch(/run \S+ done \(/);
    expect(output).toContain("merged 1 file(s):");
  });
});

describe("cost and metrics", () => {
  it("pancode cost breaks spend down per run with totals by agent and by model", async () => {
    const result = await cluster.cli(["cost", "--json"], { cwd: repo.dir });
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout);
    const agentRun = report.runs.find((r: { runId: string }) => r.runId === agentRunId);
    expect(agentRun).toMatchObject({
      agent: "dev",
      model: "scripted/slow",
      status: "done",
      inputTokens: INPUT_TOKENS,
      outputTokens: OUTPUT_TOKENS,
      tokens: INPUT_TOKENS + OUTPUT_TOKENS,
    });
    expect(agentRun.costUsd).toBeCloseTo(COST_USD, 6);
    expect(report.byAgent.find((t: { key: string }) => t.key === "dev")).toMatchObject({ runs: 1 });
    expect(report.byAgent.find((t: { key: string }) => t.key === "shell").costUsd).toBe(0);
    expect(report.byModel.find((t: { key: string }) => t.key === "scripted/slow").costUsd).toBeCloseTo(COST_USD, 6);
    expect(report.total.costUsd).toBeCloseTo(COST_USD, 6);
    expect(report.total.tokens).toBe(INPUT_TOKENS + OUTPUT_TOKENS);
    const shown = await cluster.cli(["show", agentRunId], { cwd: repo.dir });
    expect(shown.stdout).toMatch(/usage {5}\d+ turn\(s\), 34100 tokens \(in 31000, out 3100\)/);
    const text = await cluster.cli(["cost"], { cwd: repo.dir });
    expect(text.stdout).toMatch(/total: \d+ run\(s\), 34100 tokens, \$0\.0372/);
  });

  it("pancode metrics counts runs by status with cost, tokens and duration percentiles per agent", async () => {
    const result = await cluster.cli(["metrics", "--json"], { cwd: repo.dir });
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout);
    const byStatus = Object.fromEntries(
      report.total.byStatus.map((s: { status: string; runs: number }) => [s.status, s.runs]),
    );
    expect(byStatus).toMatchObject({ timeout: 2, done: 3 });
    expect(report.total.costUsd).toBeCloseTo(COST_USD, 6);
    expect(report.total.p50DurationMs).toBeGreaterThan(0);
    expect(report.total.p95DurationMs).toBeGreaterThanOrEqual(report.total.p50DurationMs);
    const shell = report.byAgent.find((g: { key: string }) => g.key === "shell");
    expect(shell.runs).toBe(byStatus.timeout + 2 + (byStatus.error ?? 0));
    expect(shell.byStatus).toContainEqual({ status: "timeout", runs: 2 });
  });

  it("the coordinator serves the same figures as OpenTelemetry metrics on a Prometheus endpoint", async () => {
    const response = await fetch(metricsUrl());
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toMatch(/pancode_runs_total\{[^}]*status="timeout"[^}]*\} 2/);
    expect(text).toMatch(/pancode_runs_total\{[^}]*agent="dev"[^}]*\} 1/);
    expect(text).toMatch(/pancode_run_duration_seconds_bucket\{/);
    expect(text).toMatch(/pancode_cost_usd_total\{[^}]*model="scripted\/slow"[^}]*\} 0\.0372/);
    expect(text).toMatch(/pancode_tokens_total\{[^}]*kind="input"[^}]*\} 31000/);
    expect(text).toMatch(/pancode_queue_depth(\{[^}]*\})? 0/);
  });
});

// Last in the file: the runs these start are not counted by the metrics above.
describe("pancode watch --batch and --chain", () => {
  const startBatch = async (...tasks: string[]) => {
    const args = ["batch", ...tasks.flatMap((t) => ["--task", t]), "--agent", "shell", "--isolate", "--json"];
    const started = await cluster.cli(args, { cwd: repo.dir });
    expect(started.code, started.stderr).toBe(0);
    return JSON.parse(started.stdout).batchId as string;
  };

  it("draws the batch's runs with a progress bar in place on a terminal until it reaches 2/2, exit 0", async () => {
    const batchId = await startBatch("sleep 1; echo one", "sleep 1; echo two");
    const { code, output } = await cliInPty(["watch", "--batch", batchId]);
    expect(code, output).toBe(0);
    // In place: the cursor goes back up over the group line and both run lines of the previous frame.
    expect(output).toContain("\u001b[3F\u001b[2K");
    const bars = output.split("\u001b[2K").filter((f) => f.startsWith(`batch ${batchId.slice(0, 8)}`));
    expect(bars.length).toBeGreaterThan(0);
    expect(bars.at(-1)).toMatch(/^batch \w{8} done {2}\[#{24}\] 2\/2 ended/);
    const runLines = output.split("\u001b[2K").filter((f) => /^\w{8} {2}shell /.test(f));
    expect(new Set(runLines.map((l) => l.slice(0, 8))).size).toBe(2);
  });

  it("prints plain lines when piped: each run's changes and the bar as it moves, ending done 2/2", async () => {
    const batchId = await startBatch("sleep 1; echo three", "sleep 1; echo four");
    const watched = await cluster.cli(["watch", "--batch", batchId.slice(0, 8)], { cwd: repo.dir, timeoutMs: 60_000 });
    expect(watched.code, watched.stderr).toBe(0);
    expect(watched.stdout).not.toContain("\u001b[");
    const lines = watched.stdout.trim().split("\n");
    const bars = lines.filter((l) => l.startsWith("batch "));
    expect(bars.at(-1)).toMatch(/^batch \w{8} done {2}\[#{24}\] 2\/2 ended$/);
    expect(new Set(bars).size).toBe(bars.length);
    const finals = lines.filter((l) => /^\w{8} {2}shell +done /.test(l));
    expect(finals).toHaveLength(2);
  });

  it("batch --wait shows the same live view on stderr of a terminal, then merges each patch", async () => {
    const { code, output } = await cliInPty([
      "batch",
      "--task",
      "sleep 1 && echo a > batch-a.txt",
      "--task",
      "sleep 1 && echo b > batch-b.txt",
      "--agent",
      "shell",
      "--wait",
    ]);
    expect(code, output).toBe(0);
    // In place: the cursor goes back up over the group line and both run lines of the previous frame.
    expect(output).toContain("\u001b[3F\u001b[2K");
    expect(output).toMatch(/batch \w{8} done {2}\[#{24}\] 2\/2 ended/);
    expect(output.match(/merged 1 file\(s\):/g)).toHaveLength(2);
    expect(output).toMatch(/batch \S+ done: 2 done/);
  });

  it("chain --wait on a terminal shows the current step of all, and watch --chain of the ended chain exits 0", async () => {
    const { code, output } = await cliInPty([
      "chain",
      "--step",
      "shell:sleep 2 && echo one > chain.txt",
      "--step",
      "shell:echo two >> chain.txt",
      "--wait",
    ]);
    expect(code, output).toBe(0);
    // In place: the cursor goes back up over the group line and both run lines of the previous frame.
    expect(output).toContain("\u001b[3F\u001b[2K");
    expect(output).toMatch(/chain \w{8} step 1\/2 running/);
    expect(output).toMatch(/chain \w{8} step 2\/2 done {2}\[#{24}\] 2\/2 ended/);
    const chainId = output.match(/chain (\S+) done \(2 step\(s\)/)?.[1] ?? "";
    expect(chainId).not.toBe("");
    const watched = await cluster.cli(["watch", "--chain", chainId], { cwd: repo.dir, timeoutMs: 30_000 });
    expect(watched.code, watched.stderr).toBe(0);
    expect(watched.stdout.trim().split("\n").at(-1)).toMatch(/^chain \w{8} step 2\/2 done {2}\[#{24}\] 2\/2 ended$/);
  });
});
