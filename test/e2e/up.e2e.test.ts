import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sha256Digest } from "@pancode/core";
import { REPO_ROOT, runCli, stopProcess } from "@pancode/testing/cluster";
import { ensureTestImages } from "@pancode/testing/docker";
import { createRepo } from "@pancode/testing/git";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// `pancode up`: the whole cluster in one process on its embedded defaults (PGlite, in-process bus, Docker), found
// by the local CLI through the shared data dir (no PANCODE_TOKEN needed).

const CLI = join(REPO_ROOT, "apps/cli/bin/pancode.js");
let up: ChildProcess;
let upOutput = "";
let dataDir: string;
let env: Record<string, string>;

/** The environment without the variables that would point `up` at outside services or clients elsewhere. */
function withoutClusterEnv(): NodeJS.ProcessEnv {
  const clean = { ...process.env };
  for (const key of ["DATABASE_URL", "NATS_URL", "PANCODE_TOKEN", "PANCODE_COORDINATOR"]) delete clean[key];
  return clean;
}

/** Starts `pancode up` on `dataDir` and resolves with the process, its growing output and its address. */
async function startUp(
  dir = dataDir,
  extraEnv: Record<string, string> = {},
): Promise<{ child: ChildProcess; output: () => string; address: string }> {
  const clean = withoutClusterEnv();
  const child = spawn(process.execPath, [CLI, "up", "--port", "0", "--data-dir", dir, "--workers", "2"], {
    env: { ...clean, PANCODE_DRAIN_GRACE_MS: "1500", PANCODE_LOG_LEVEL: "warn", ...extraEnv },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (output += d.toString()));
  const deadline = Date.now() + 60_000;
  while (!/cluster up at (\S+)/.test(output)) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`pancode up did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, output: () => output, address: /cluster up at (\S+)/.exec(output)?.[1] as string };
}

beforeAll(async () => {
  await ensureTestImages();
  dataDir = await mkdtemp(join(tmpdir(), "pancode-up-"));
  const started = await startUp();
  up = started.child;
  upOutput = started.output();
  up.stdout?.on("data", (d: Buffer) => (upOutput += d.toString()));
  env = { PANCODE_DATA_DIR: dataDir, PANCODE_COORDINATOR: started.address, PANCODE_TOKEN: "" };
});

afterAll(async () => {
  if (up) await stopProcess(up);
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe("pancode up", () => {
  it("says where it listens, which sandbox it uses, and where the web console is", async () => {
    expect(upOutput).toMatch(/sandbox: docker/);
    expect(upOutput).toMatch(/workers: 2, database: pglite, bus: in-process/);
    const consoleUrl = /console: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(upOutput)?.[1];
    expect(consoleUrl, upOutput).toBeDefined();
    const res = await fetch(`${consoleUrl}api/v1/runs`);
    expect(res.status).toBe(401);
    expect(res.headers.get("content-security-policy")).toContain("default-src 'self'");
  });

  it("carries a 50 MB binary patch back through the chunked gRPC streams", async () => {
    const repo = await createRepo({ files: { "a.txt": "a\n" } });
    // Deterministic pseudo-random bytes (incompressible), generated the same way here and in the container.
    const generator =
      "const b=Buffer.alloc(50*1024*1024);let x=7;for(let i=0;i<b.length;i++){x=(Math.imul(x,1103515245)+12345)>>>0;b[i]=x>>>24}require('fs').writeFileSync('big.bin',b)";
    const result = await runCli(["dispatch", `node -e "${generator}"`, "--agent", "shell", "--wait", "--json"], {
      cwd: repo.dir,
      env,
      timeoutMs: 240_000,
    });
    expect(result.code, result.stderr).toBe(0);
    const run = JSON.parse(result.stdout);
    expect(run.patch.bytes).toBeGreaterThan(50 * 1024 * 1024);
    expect(run.merge.outcome).toBe("clean");
    const expected = Buffer.alloc(50 * 1024 * 1024);
    let x = 7;
    for (let i = 0; i < expected.length; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      expected[i] = x >>> 24;
    }
    expect((await stat(join(repo.dir, "big.bin"))).size).toBe(expected.length);
    expect(sha256Digest(await readFile(join(repo.dir, "big.bin")))).toBe(sha256Digest(expected));
    await repo.cleanup();
  });

  it("drains on SIGTERM: no new admissions, the running run is interrupted after the grace period, clean exit", async () => {
    const repo = await createRepo({ files: { "a.txt": "a\n" } });
    const dispatched = await runCli(["dispatch", "sleep 60", "--agent", "shell", "--json"], { cwd: repo.dir, env });
    const runId = JSON.parse(dispatched.stdout).runId as string;
    await expect
      .poll(async () => JSON.parse((await runCli(["show", runId, "--json"], { cwd: repo.dir, env })).stdout).status, {
        timeout: 30_000,
      })
      .toBe("running");
    const exited = new Promise<number | null>((resolve) => up.once("exit", (code) => resolve(code)));
    up.kill("SIGTERM");
    // While draining, admissions are refused.
    await expect.poll(() => upOutput, { timeout: 5_000 }).toMatch(/draining/);
    const refused = await runCli(["dispatch", "true", "--agent", "shell"], { cwd: repo.dir, env });
    expect(refused.code).toBe(4);
    expect(refused.stderr).toMatch(/draining|unreachable/);
    expect(await exited).toBe(0);
    expect(upOutput).toMatch(/stopped/);

    // The embedded database persisted under the data dir: a new `up` shows the run interrupted, not running.
    const again = await startUp();
    up = again.child;
    const shown = await runCli(["show", runId, "--json"], {
      cwd: repo.dir,
      env: { ...env, PANCODE_COORDINATOR: again.address },
    });
    expect(JSON.parse(shown.stdout)).toMatchObject({
      status: "interrupted",
      error: expect.stringMatching(/shut down/),
    });
    await repo.cleanup();
  });
});

describe("pancode up with PANCODE_SANDBOX=process", () => {
  it("says loudly that runs are not isolated, and still runs and merges them", async () => {
    const dir = await mkdtemp(join(tmpdir(), "pancode-up-process-"));
    const started = await startUp(dir, { PANCODE_SANDBOX: "process" });
    try {
      expect(started.output()).toMatch(/sandbox: process \(NO container isolation\)/);
      const repo = await createRepo({ files: { "a.txt": "a\n" } });
      const result = await runCli(
        ["dispatch", "echo from-a-subprocess > b.txt", "--agent", "shell", "--wait", "--json"],
        {
          cwd: repo.dir,
          env: { PANCODE_DATA_DIR: dir, PANCODE_COORDINATOR: started.address, PANCODE_TOKEN: "" },
        },
      );
      expect(result.code, result.stderr).toBe(0);
      expect(await readFile(join(repo.dir, "b.txt"), "utf8")).toBe("from-a-subprocess\n");
      await repo.cleanup();
    } finally {
      await stopProcess(started.child);
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("pancode up log lines", () => {
  /** Starts `pancode up` with no workers and `args`, and returns its output once the coordinator listens. */
  async function upOutput(args: string[]): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), "pancode-up-log-"));
    const child = spawn(process.execPath, [CLI, "up", "--port", "0", "--data-dir", dir, "--workers", "0", ...args], {
      env: { ...withoutClusterEnv(), PANCODE_LOG_LEVEL: "info" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout?.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr?.on("data", (d: Buffer) => (output += d.toString()));
    try {
      await expect.poll(() => output, { timeout: 60_000 }).toMatch(/cluster up at/);
      return output;
    } finally {
      await stopProcess(child);
      await rm(dir, { recursive: true, force: true });
    }
  }

  it("writes JSON lines when stderr is piped", async () => {
    const line = (await upOutput([])).split("\n").find((l) => l.includes("coordinator listening")) ?? "";
    expect(JSON.parse(line)).toMatchObject({ level: "info", component: "coordinator", msg: "coordinator listening" });
  });

  it("writes readable lines with --log-format text: time, level, component, message, fields", async () => {
    const output = await upOutput(["--log-format", "text"]);
    expect(output).toMatch(
      /^\d\d:\d\d:\d\d\.\d{3} INFO {2}coordinator +coordinator listening {2}address=127\.0\.0\.1:\d+ /m,
    );
    expect(output).not.toMatch(/^\{/m);
  });

  it("refuses an unknown --log-format with exit 2", async () => {
    const child = spawn(process.execPath, [CLI, "up", "--log-format", "xml"], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    expect(code).toBe(2);
    expect(stderr).toMatch(/--log-format.*xml/);
  });
});
