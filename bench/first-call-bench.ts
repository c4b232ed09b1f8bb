/**
 * How soon a coding agent makes its first model call after `pancode dispatch` returns (issue 17, item 2: within
 * 1 s). A real cluster (packages/testing: NATS, PGlite, coordinator, 1 worker) runs the real Pi agent in
 * `pancode/agent:dev` (or `PANCODE_AGENT_IMAGE`) against the scripted model server, which records when each request
 * arrives. Each sample: spawn `pancode dispatch <task> --agent dev --json` (no --wait), note when it exits, then the
 * arrival of the run's first model request at the server (through the run's model proxy and the in-container
 * forwarder); then wait for the run to end before the next one. Warm worker: warm-up runs first (they also show the warm pool its profile).
 * A measurement, not a test: exits 0 whether the target is met or missed.
 *
 * ```sh
 * npx tsx bench/first-call-bench.ts                            # PANCODE_BENCH_FIRST_CALL_RUNS (default 7)
 * PANCODE_WARM_POOL_SIZE=0 npx tsx bench/first-call-bench.ts   # the same without warm containers
 * PANCODE_AGENT_IMAGE=pancode/agent:pi-fast npx tsx bench/first-call-bench.ts   # a candidate agent image
 * ```
 */
import { spawn } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type AgentCluster, startAgentCluster } from "@pancode/testing/agent-cluster";
import type { FixtureRepo } from "@pancode/testing/git";
import { type ModelServer, startModelServer } from "@pancode/testing/model-server";
import { createBenchRepo } from "./fixture.js";
import { AGENT_IMAGE, checkPrerequisites, REPO_ROOT } from "./prerequisites.js";
import { round, roundSummary, summarize } from "./stats.js";

const BENCH_DIR = fileURLToPath(new URL(".", import.meta.url));
const CLI = join(REPO_ROOT, "apps/cli/bin/pancode.js");
const TARGET_MS = 1000;
const WARMUP = 2;
const TERMINAL = new Set(["done", "error", "timeout", "interrupted", "budget_exceeded"]);

function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

/** Runs the CLI; resolves with stdout and the epoch ms of its spawn and exit. Rejects on a non-zero exit. */
function runCli(args: string[], cwd: string, env: Record<string, string>) {
  return new Promise<{ stdout: string; spawnedAt: number; exitedAt: number }>((resolve, reject) => {
    let stdout = "";
    let stderr = "";
    const spawnedAt = Date.now();
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env: { ...process.env, ...env } });
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("exit", (code) => {
      const exitedAt = Date.now();
      if (code === 0) resolve({ stdout, spawnedAt, exitedAt });
      else reject(new Error(`pancode ${args[0]} exited with ${code}: ${stderr.trim()}`));
    });
  });
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 120_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

interface Sample {
  runId: string;
  /** CLI spawn -> CLI exit (run admitted, id printed). */
  dispatchMs: number;
  /** CLI exit -> first model request at the server: the figure of item 2. */
  afterReturnMs: number;
  /** CLI spawn -> first model request. */
  fromSpawnMs: number;
  /** CLI exit -> the worker has the run's container (claim, workspace, model proxy, container). */
  toContainerMs: number;
  /** Container ready -> first model request: the forwarder's and the agent CLI's own start. */
  inContainerMs: number;
  warm: boolean;
}

async function sample(agents: AgentCluster, models: ModelServer, repo: FixtureRepo): Promise<Sample> {
  const cluster = agents.cluster;
  const seen = models.requests.length;
  const cli = await runCli(["dispatch", "Say done.", "--agent", "dev", "--json"], repo.dir, cluster.clientEnv);
  const runId = (JSON.parse(cli.stdout) as { runId: string }).runId;
  const first = await waitFor("the run's first model call", () =>
    models.requests.slice(seen).find((r) => r.api === "openai-chat"),
  );
  await waitFor(
    "the run to end",
    async () => {
      const shown = await runCli(["show", runId, "--json"], repo.dir, cluster.clientEnv);
      const status = (JSON.parse(shown.stdout) as { status: string }).status;
      return TERMINAL.has(status) ? status : undefined;
    },
    180_000,
  );
  const logs = cluster.workers.map((w) => w.logs()).join("\n");
  const warm = new RegExp(`"runId":"${runId}"[^\\n]*"warm":true`).test(logs);
  // The worker's debug line when the run's container is ready to go (created, or a warm one claimed).
  const created = new RegExp(`"ts":"([^"]+)"[^\\n]*"runId":"${runId}"[^\\n]*"msg":"container created"`).exec(logs);
  const containerAt = created?.[1] ? Date.parse(created[1]) : Number.NaN;
  return {
    runId,
    dispatchMs: cli.exitedAt - cli.spawnedAt,
    afterReturnMs: first.receivedAt - cli.exitedAt,
    fromSpawnMs: first.receivedAt - cli.spawnedAt,
    toContainerMs: containerAt - cli.exitedAt,
    inContainerMs: first.receivedAt - containerAt,
    warm,
  };
}

async function main(env: NodeJS.ProcessEnv): Promise<number> {
  const runs = Math.max(3, Number(env.PANCODE_BENCH_FIRST_CALL_RUNS ?? 7) || 7);
  const poolSize = env.PANCODE_WARM_POOL_SIZE ?? "2";
  const { problems, warnings } = await checkPrerequisites();
  for (const w of warnings) log(`warning: ${w}`);
  if (problems.length > 0) {
    for (const p of problems) process.stderr.write(`bench cannot run: ${p}\n`);
    return 1;
  }
  let models: ModelServer | undefined;
  let agents: AgentCluster | undefined;
  let repo: FixtureRepo | undefined;
  try {
    const timestamp = new Date().toISOString();
    const loadBefore = loadavg().map(round);
    models = await startModelServer({ scenarios: { "*": { name: "done", turns: [{ text: "done" }] } } });
    agents = await startAgentCluster({
      providers: [
        { name: "scripted", api: "openai-completions", baseUrl: models.openaiBaseUrl, models: [{ id: "fast" }] },
      ],
      defaultModel: "scripted/fast",
      apiKey: "sk-bench",
      workerEnv: { PANCODE_WORKER_CONCURRENCY: "1", PANCODE_WARM_POOL_SIZE: poolSize },
    });
    repo = await createBenchRepo();
    log(
      `image ${AGENT_IMAGE}; warm-up: ${WARMUP} runs; then ${runs} measured runs, one at a time (warm pool size ${poolSize})`,
    );
    for (let i = 0; i < WARMUP; i++) await sample(agents, models, repo);
    const samples: Sample[] = [];
    for (let i = 0; i < runs; i++) {
      // Let the pool refill after the previous run, as on a worker between dispatches.
      await new Promise((r) => setTimeout(r, 1500));
      samples.push(await sample(agents, models, repo));
    }
    const afterReturn = roundSummary(summarize(samples.map((s) => s.afterReturnMs)));
    const fromSpawn = roundSummary(summarize(samples.map((s) => s.fromSpawnMs)));
    const dispatch = roundSummary(summarize(samples.map((s) => s.dispatchMs)));
    const toContainer = roundSummary(summarize(samples.map((s) => s.toContainerMs)));
    const inContainer = roundSummary(summarize(samples.map((s) => s.inContainerMs)));
    const verdict = afterReturn.p50 <= TARGET_MS ? "PASS" : "MISS";
    const lines = [
      "",
      `first model call of Pi, ${runs} runs (ms)        p50      p95      min      max`,
      `pancode dispatch (spawn -> exit)        ${[dispatch.p50, dispatch.p95, dispatch.min, dispatch.max].map((v) => v.toFixed(1).padStart(8)).join(" ")}`,
      `dispatch returned -> first model call   ${[afterReturn.p50, afterReturn.p95, afterReturn.min, afterReturn.max].map((v) => v.toFixed(1).padStart(8)).join(" ")}`,
      `dispatch spawned  -> first model call   ${[fromSpawn.p50, fromSpawn.p95, fromSpawn.min, fromSpawn.max].map((v) => v.toFixed(1).padStart(8)).join(" ")}`,
      `  of which: returned -> container     ${[toContainer.p50, toContainer.p95, toContainer.min, toContainer.max].map((v) => v.toFixed(1).padStart(8)).join(" ")}`,
      `  of which: container -> first call   ${[inContainer.p50, inContainer.p95, inContainer.min, inContainer.max].map((v) => v.toFixed(1).padStart(8)).join(" ")}`,
      `warm containers: ${samples.filter((s) => s.warm).length} of ${runs} runs; image ${AGENT_IMAGE}`,
      "",
      `p50(dispatch returned -> first model call) = ${afterReturn.p50.toFixed(0)} ms  (target <= ${TARGET_MS})  ${verdict}`,
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
    const dir = join(BENCH_DIR, "results");
    await mkdir(dir, { recursive: true });
    const path = join(dir, `first-call-${timestamp.replace(/[:.]/g, "-")}.json`);
    const result = {
      bench: "first-call",
      timestamp,
      target: { afterReturnP50MaxMs: TARGET_MS },
      verdict,
      firstCallAfterReturnP50Ms: afterReturn.p50,
      afterReturn,
      fromSpawn,
      dispatch,
      toContainer,
      inContainer,
      setup: {
        image: AGENT_IMAGE,
        runs,
        warmup: WARMUP,
        warmPoolSize: Number(poolSize),
        cpus: cpus().length,
        node: process.version,
        loadavgBefore: loadBefore,
        loadavgAfter: loadavg().map(round),
      },
      samples,
    };
    await writeFile(path, `${JSON.stringify(result, null, 2)}\n`);
    process.stdout.write(`\nwrote ${path}\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`bench failed: ${(err as Error).message}\n`);
    return 1;
  } finally {
    await agents?.stop().catch(() => {});
    await models?.stop().catch(() => {});
    await repo?.cleanup().catch(() => {});
  }
}

process.exitCode = await main(process.env);
