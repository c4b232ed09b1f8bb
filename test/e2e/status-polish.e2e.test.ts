import { execFileSync, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Cluster, REPO_ROOT, startCluster } from "@pancode/testing/cluster";
import { createRepo, type FixtureRepo } from "@pancode/testing/git";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// Everyday commands through the built CLI against a real two-worker cluster (coordinator, NATS, workers, Docker):
// status, workers, watch --json, receipt verify --json, and the completion script of the real program.

const CLI_BIN = join(REPO_ROOT, "apps/cli/bin/pancode.js");

let cluster: Cluster;
let repo: FixtureRepo;
let scratch: string;
/** A shell run that ended done, shared by the status, watch and receipt tests. */
let doneRun: { runId: string; receiptId: string };

// Nothing listens on port 9: every call to a coordinator there fails.
const UNREACHABLE = { PANCODE_COORDINATOR: "127.0.0.1:9", PANCODE_TOKEN: "none" };

async function cliJson(args: string[]): Promise<Record<string, unknown>> {
  const result = await cluster.cli(args, { cwd: repo.dir });
  expect(result.code, `pancode ${args.join(" ")}: ${result.stderr}`).toBe(0);
  return JSON.parse(result.stdout);
}

/** Asks `pancode status --json` until `ready` holds (a heartbeat or a claim away), at most `tries` times. */
async function statusWhen(ready: (s: StatusJson) => boolean, tries = 120): Promise<StatusJson> {
  let status = (await cliJson(["status", "--json"])) as unknown as StatusJson;
  for (let i = 0; i < tries && !ready(status); i++) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    status = (await cliJson(["status", "--json"])) as unknown as StatusJson;
  }
  return status;
}

interface WorkerJson {
  id: string;
  runtimes: string[];
  providers: string[];
  slotsUsed: number;
  slotsTotal: number;
  lastSeen: string;
  live: boolean;
}

interface StatusJson {
  coordinator: { version: string; draining: boolean; bus: string; database: string; address: string };
  workers: WorkerJson[];
  providers: { name: string; models: string[]; workers: string[] }[];
  slots: { used: number; total: number };
  queue: { pending: number; running: number };
  budget: { ceilingUsd: number; spentUsd: number; reservedUsd: number; remainingUsd: number };
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "pancode-status-polish-"));
  // A configured provider only w1 holds a key for: status shows who serves it. No model server is needed, the
  // runs here are shell commands.
  const config = join(scratch, "cluster.yaml");
  await writeFile(
    config,
    JSON.stringify({
      providers: [
        {
          name: "scripted",
          api: "openai-completions",
          baseUrl: "http://127.0.0.1:9/v1",
          apiKeyEnv: "SCRIPTED_API_KEY",
          models: [{ id: "m1" }],
        },
      ],
      defaultModel: "scripted/m1",
    }),
  );
  cluster = await startCluster({
    workers: 0,
    postgres: false,
    coordinatorEnv: { PANCODE_CONFIG: config },
    workerEnv: { PANCODE_CONFIG: config },
  });
  await cluster.startWorker("w1", { SCRIPTED_API_KEY: "sk-status" });
  await cluster.startWorker("w2");
  repo = await createRepo({ files: { "a.txt": "foo\n" } });
  const run = await cliJson(["dispatch", "sed -i s/foo/bar/ a.txt", "--agent", "shell", "--wait", "--json"]);
  expect(run.status).toBe("done");
  doneRun = { runId: run.runId as string, receiptId: run.receiptId as string };
});

afterAll(async () => {
  await repo?.cleanup();
  await cluster?.stop();
  await rm(scratch, { recursive: true, force: true });
});

describe("pancode status and pancode workers", () => {
  it("shows the coordinator, both workers with runtimes and providers, the provider's servers and the budget", async () => {
    const status = await statusWhen((s) => s.workers.length === 2);
    expect(status.coordinator).toMatchObject({ address: cluster.address, draining: false, database: "pglite" });
    expect(status.coordinator.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(status.workers.map((w) => w.id).sort()).toEqual(["w1", "w2"]);
    for (const w of status.workers) {
      expect(w.runtimes).toContain("command");
      expect(w.live).toBe(true);
      expect(w.slotsTotal).toBeGreaterThan(0);
      expect(Number.isNaN(Date.parse(w.lastSeen))).toBe(false);
    }
    const byId = new Map(status.workers.map((w) => [w.id, w]));
    expect(byId.get("w1")?.providers).toEqual(["scripted"]);
    expect(byId.get("w2")?.providers).toEqual([]);
    expect(status.providers).toEqual([{ name: "scripted", models: ["m1"], workers: ["w1"] }]);
    expect(status.slots.total).toBe(status.workers.reduce((sum, w) => sum + w.slotsTotal, 0));
    expect(status.queue.pending).toBe(0);
    const budget = await cliJson(["budget", "--json"]);
    expect(status.budget).toEqual({
      ceilingUsd: budget.ceilingUsd,
      spentUsd: budget.spentUsd,
      reservedUsd: budget.reservedUsd,
      remainingUsd: budget.remainingUsd,
    });

    const text = await cluster.cli(["status"], { cwd: repo.dir });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`^coordinator  ${cluster.address}  version \\S+, .*admitting runs$`, "m"));
    expect(text.stdout).toMatch(/^workers {6}2 live, \d+\/\d+ slots in use$/m);
    expect(text.stdout).toMatch(/^ {2}w1 +command\S* +scripted +\d+\/\d+ +\S+s ago$/m);
    expect(text.stdout).toMatch(/^providers {4}scripted \(w1\)$/m);
    expect(text.stdout).toMatch(/^queue {8}0 pending, \d+ running$/m);
    expect(text.stdout).toMatch(
      /^budget {7}\$\d+\.\d\d spent, \$\d+\.\d\d reserved, \$\d+\.\d\d remaining of \$\d+\.\d\d$/m,
    );
  });

  it("counts a run in flight: one running, one slot used on the worker that holds it", async () => {
    const dispatched = await cliJson(["dispatch", "sleep 60", "--agent", "shell", "--json"]);
    const runId = dispatched.runId as string;
    try {
      const status = await statusWhen((s) => s.queue.running === 1 && s.slots.used === 1);
      expect(status.queue).toEqual({ pending: 0, running: 1 });
      expect(status.slots.used).toBe(1);
      const run = await cliJson(["show", runId, "--json"]);
      const holder = status.workers.find((w) => w.slotsUsed === 1);
      expect(holder?.id).toBe(run.workerId);

      const workers = await cliJson(["workers", "--json"]);
      const listed = workers.workers as WorkerJson[];
      expect(listed.map((w) => w.id).sort()).toEqual(["w1", "w2"]);
      expect(listed.find((w) => w.id === run.workerId)?.slotsUsed).toBe(1);
    } finally {
      const stopped = await cluster.cli(["stoprun", runId], { cwd: repo.dir });
      expect(stopped.code, stopped.stderr).toBe(0);
    }
  });

  it("prints one line per live worker, and a worker that left only with --all", async () => {
    const text = await cluster.cli(["workers"], { cwd: repo.dir });
    expect(text.code, text.stderr).toBe(0);
    const lines = text.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^WORKER +RUNTIMES +PROVIDERS +SLOTS +LAST SEEN$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/)[0])).toEqual(["w1", "w2"]);
    expect(lines[1]).toMatch(/^w1 +command\S* +scripted +\d+\/\d+ +\S+s ago$/);
    expect(lines[2]).toMatch(/^w2 +command\S* +- +\d+\/\d+ +\S+s ago$/);

    const w3 = await cluster.startWorker("w3");
    expect((await statusWhen((s) => s.workers.some((w) => w.id === "w3"))).workers.map((w) => w.id)).toContain("w3");
    w3.process.kill("SIGKILL");
    // Three heartbeat intervals without a word and the coordinator counts it gone.
    await statusWhen((s) => s.workers.every((w) => w.id !== "w3"), 200);
    const live = await cliJson(["workers", "--json"]);
    expect((live.workers as WorkerJson[]).map((w) => w.id)).toEqual(["w1", "w2"]);
    const all = await cliJson(["workers", "--all", "--json"]);
    expect((all.workers as WorkerJson[]).find((w) => w.id === "w3")).toMatchObject({ live: false });
  });

  it("says the coordinator is unreachable in one line, exit 4", async () => {
    for (const command of [["status"], ["status", "--json"], ["workers"]]) {
      const result = await cluster.cli(command, { cwd: repo.dir, env: UNREACHABLE });
      expect(result.code, `${command.join(" ")}: ${result.stderr}`).toBe(4);
      expect(result.stdout).toBe("");
      expect(result.stderr.trim().split("\n")).toHaveLength(1);
      expect(result.stderr).toMatch(/^pancode: .*127\.0\.0\.1:9/);
    }
  });
});

describe("pancode watch --json", () => {
  it("prints NDJSON for a shell run: one object per change, the last one final, exit 0", async () => {
    const dispatched = await cliJson(["dispatch", "echo hi", "--agent", "shell", "--json"]);
    const runId = dispatched.runId as string;
    const watched = await cluster.cli(["watch", runId, "--json"], { cwd: repo.dir });
    expect(watched.code, watched.stderr).toBe(0);
    const lines = watched.stdout.trim().split("\n");
    expect(new Set(lines).size).toBe(lines.length);
    const objects = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(objects.every((o) => o.type === "run" && o.runId === runId && o.agent === "shell")).toBe(true);
    expect(objects.every((o) => typeof o.at === "string" && typeof o.costUsd === "number")).toBe(true);
    expect(objects.at(-1)).toMatchObject({ status: "done", final: true, error: null });
    expect(objects.filter((o) => o.final)).toHaveLength(1);
  });

  it("streams while the run goes on: a running object first, then the end when it is stopped (exit 1)", async () => {
    const dispatched = await cliJson(["dispatch", "sleep 600", "--agent", "shell", "--json"]);
    const runId = dispatched.runId as string;
    const watch = spawn(process.execPath, [CLI_BIN, "watch", runId, "--json"], {
      cwd: repo.dir,
      env: { ...process.env, ...cluster.clientEnv, PANCODE_DATA_DIR: join(scratch, "no-local-cluster") },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let sawRunning: () => void = () => {};
    const running = new Promise<void>((resolve) => (sawRunning = resolve));
    watch.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      if (stdout.includes('"status":"running"')) sawRunning();
    });
    const exited = new Promise<number>((resolve) => watch.on("exit", (code) => resolve(code ?? -1)));
    // A watch that ended before any running object fails here instead of waiting for the test timeout.
    await Promise.race([running, exited.then((code) => Promise.reject(new Error(`watch exited ${code}: ${stdout}`)))]);
    const stopped = await cluster.cli(["stoprun", runId], { cwd: repo.dir });
    expect(stopped.code, stopped.stderr).toBe(0);
    expect(await exited).toBe(1);
    const objects = stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(objects[0]).toMatchObject({ runId, status: "running", final: false, tool: null });
    expect(objects.at(-1)).toMatchObject({ runId, status: "interrupted", final: true });
  });

  it("ends with the run's outcome: a failed command's last object says so, exit 1", async () => {
    const dispatched = await cliJson(["dispatch", "exit 3", "--agent", "shell", "--json"]);
    const watched = await cluster.cli(["watch", dispatched.runId as string, "--json"], { cwd: repo.dir });
    expect(watched.code).toBe(1);
    const last = JSON.parse(watched.stdout.trim().split("\n").at(-1) ?? "{}");
    expect(last.final).toBe(true);
    expect(last.status).not.toBe("done");
  });

  it("follows a batch: its runs' objects and batch objects until the batch is done", async () => {
    const batch = await cliJson([
      "batch",
      "--task",
      "true",
      "--task",
      "sleep 1",
      "--agent",
      "shell",
      "--isolate",
      "--json",
    ]);
    const batchId = batch.batchId as string;
    const watched = await cluster.cli(["watch", "--batch", batchId, "--json"], { cwd: repo.dir });
    expect(watched.code, watched.stderr).toBe(0);
    const objects = watched.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const groups = objects.filter((o) => o.type === "batch");
    expect(groups.every((g) => g.id === batchId)).toBe(true);
    expect(groups.at(-1)).toMatchObject({ status: "done", runsEnded: 2, runsTotal: 2 });
    const finals = objects.filter((o) => o.type === "run" && o.final);
    expect(finals).toHaveLength(2);
    expect(finals.every((o) => o.status === "done")).toBe(true);

    // The batch's own receipt, verified as JSON: it names the batch.
    const verified = await cluster.cli(["receipt", "verify", batchId, "--json"], { cwd: repo.dir });
    expect(verified.code, verified.stderr).toBe(0);
    expect(JSON.parse(verified.stdout)).toMatchObject({ result: "PASS", group: { kind: "batch", id: batchId } });
  });
});

describe("pancode receipt verify --json", () => {
  it("says PASS online and offline, and TAMPERED with the failures for an edited receipt file", async () => {
    const online = await cliJson(["receipt", "verify", doneRun.runId, "--json"]);
    expect(online).toEqual({
      result: "PASS",
      receiptId: doneRun.receiptId,
      runId: doneRun.runId,
      group: null,
      file: null,
      coordinatorOnly: false,
      failures: [],
    });

    const exported = await cluster.cli(["receipt", "export", doneRun.receiptId], { cwd: repo.dir });
    const keys = await cluster.cli(["keys", "--json"], { cwd: repo.dir });
    const receiptFile = join(scratch, "r.json");
    const keysFile = join(scratch, "keys.json");
    await writeFile(receiptFile, exported.stdout);
    await writeFile(keysFile, keys.stdout);
    const verify = ["receipt", "verify", "--file", receiptFile, "--keys", keysFile, "--json"];
    const offline = await cluster.cli(verify, { cwd: repo.dir, env: UNREACHABLE });
    expect(offline.code, offline.stderr).toBe(0);
    expect(JSON.parse(offline.stdout)).toMatchObject({
      result: "PASS",
      receiptId: null,
      runId: doneRun.runId,
      file: receiptFile,
      failures: [],
    });

    const envelope = JSON.parse(exported.stdout);
    const statement = JSON.parse(Buffer.from(envelope.payload, "base64").toString("utf8"));
    statement.predicate.results.exitCode = 1;
    await writeFile(
      receiptFile,
      JSON.stringify({ ...envelope, payload: Buffer.from(JSON.stringify(statement)).toString("base64") }),
    );
    const tampered = await cluster.cli(verify, { cwd: repo.dir, env: UNREACHABLE });
    expect(tampered.code).toBe(1);
    const report = JSON.parse(tampered.stdout);
    expect(report).toMatchObject({ result: "TAMPERED", runId: doneRun.runId, file: receiptFile });
    expect(report.failures.join("\n")).toContain("worker signature");
    expect(report.failures.join("\n")).toContain("coordinator signature");
  });
});

describe("pancode completion (the real program)", () => {
  it("completes the CLI's own commands and options in bash", async () => {
    const script = await cluster.cli(["completion", "bash"], { cwd: repo.dir, env: UNREACHABLE });
    expect(script.code, script.stderr).toBe(0);
    const file = join(scratch, "pancode.bash");
    await writeFile(file, script.stdout);
    const complete = (...words: string[]) =>
      execFileSync("bash", [
        "-c",
        `source '${file}'; COMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")}); COMP_CWORD=$(( \${#COMP_WORDS[@]} - 1 )); _pancode; printf '%s\\n' "\${COMPREPLY[@]}"`,
      ])
        .toString()
        .split("\n")
        .filter(Boolean);
    expect(complete("pancode", "disp")).toEqual(["dispatch"]);
    expect(complete("pancode", "stat")).toEqual(["status"]);
    expect(complete("pancode", "workers", "--")).toEqual(expect.arrayContaining(["--all", "--json"]));
    expect(complete("pancode", "receipt", "verify", "--j")).toEqual(["--json"]);
    expect(complete("pancode", "dispatch", "--agent", "d")).toEqual(["dev", "documenter"]);
  });

  it("refuses a shell it does not know (exit 2)", async () => {
    const result = await cluster.cli(["completion", "tcsh"], { cwd: repo.dir, env: UNREACHABLE });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("Allowed choices are bash, zsh, fish");
  });
});

describe("pancode status while draining", () => {
  // Last: a draining coordinator admits nothing more.
  it("shows the drain state", async () => {
    await cliJson(["drain", "--json"]);
    const status = await cliJson(["status", "--json"]);
    expect((status as unknown as StatusJson).coordinator.draining).toBe(true);
    const text = await cluster.cli(["status"], { cwd: repo.dir });
    expect(text.stdout).toContain("draining (no new runs admitted)");
  });
});
