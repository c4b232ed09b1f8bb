import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { clientCredentials, createClientApi, createWorkerApi, type WorkerApi } from "@pancode/proto";
import { generateSigningKey } from "@pancode/receipts";
import { type Cluster, spawnService, startCluster, stopProcess } from "@pancode/testing/cluster";
import { createRepo } from "@pancode/testing/git";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// Red team, transport and identities: attacks from the network and from any process that can reach the coordinator
// or NATS, through the real cluster (coordinator, NATS with authorization, worker, Docker) and the real CLI.

let cluster: Cluster;
const closers: Array<() => Promise<void> | void> = [];

beforeAll(async () => {
  cluster = await startCluster({ workers: 1 });
});

afterAll(async () => {
  for (const close of closers.reverse()) await close();
  await cluster?.stop();
});

const PLAINTEXT = clientCredentials({ tls: false, caPath: "" });

function workerApi(): WorkerApi {
  const api = createWorkerApi({ address: cluster.address, token: cluster.workerToken, credentials: PLAINTEXT });
  closers.push(() => api.close());
  return api;
}

async function auditOf(cwd: string, category: string) {
  const result = await cluster.cli(["audit", category, "--json", "--limit", "200"], { cwd });
  expect(result.code).toBe(0);
  return (JSON.parse(result.stdout) as { entries: Array<{ action: string; actor: string; message: string }> }).entries;
}

async function showRun(cwd: string, id: string): Promise<Record<string, unknown>> {
  return JSON.parse((await cluster.cli(["show", id, "--json"], { cwd })).stdout);
}

/** Dispatches a shell run that takes a few seconds and waits until it runs. */
async function runningRun(cwd: string): Promise<string> {
  const dispatched = await cluster.cli(["dispatch", "sleep 8; echo survived > out.txt", "--agent", "shell", "--json"], {
    cwd,
  });
  expect(dispatched.code).toBe(0);
  const runId = JSON.parse(dispatched.stdout).runId as string;
  await expect.poll(async () => (await showRun(cwd, runId)).status, { timeout: 60_000, interval: 200 }).toBe("running");
  return runId;
}

describe("worker identity", () => {
  it("(a) refuses and audits a forged Register: the worker token, another worker's id, a fresh key", async () => {
    const repo = await createRepo({ files: { "a.txt": "a\n" } });
    const victim = cluster.workers[0]?.id ?? "";
    const forger = generateSigningKey();
    await expect(
      workerApi().register(
        {
          workerId: victim,
          pool: "default",
          sandbox: "docker",
          capacity: 8,
          version: "evil",
          runtimes: ["command"],
          providers: [],
          publicKeyPem: forger.publicKeyPem,
        },
        forger.privateKey,
      ),
    ).rejects.toMatchObject({ code: "UNAUTHENTICATED", message: expect.stringContaining("bound to another key") });
    const refused = (await auditOf(repo.dir, "worker")).filter((e) => e.action === "register_refused");
    expect(refused).toContainEqual(expect.objectContaining({ actor: victim }));
    // The forger's key never became one of the cluster's keys, and the real worker still runs work.
    const keys = await cluster.cli(["keys", "--json"], { cwd: repo.dir });
    expect(keys.stdout).not.toContain(forger.keyId);
    const run = await cluster.cli(["dispatch", "echo ok > ok.txt", "--agent", "shell", "--wait", "--json"], {
      cwd: repo.dir,
    });
    expect(run.code).toBe(0);
    await repo.cleanup();
  });

  it("(b) refuses worker calls with a stolen worker id but no session", async () => {
    const victim = cluster.workers[0]?.id ?? "";
    const thief = workerApi();
    await expect(thief.heartbeat(victim, [])).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
    await expect(thief.claimRun({ runId: "any", workerId: victim, deliveryCount: 1 })).rejects.toMatchObject({
      code: "UNAUTHENTICATED",
    });
    await expect(
      thief.completeRun({
        lease: { runId: "any", attempt: 1, leaseToken: "guess" },
        status: "done",
        hasExitCode: true,
        exitCode: 0,
        error: "",
        outputTail: "",
        startedAt: "",
        finishedAt: "",
        costUsd: 0,
        patch: undefined,
        imageDigest: "",
        receiptEnvelope: "",
        inputTokens: 0,
        outputTokens: 0,
      }),
    ).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
  });
});

describe("NATS", () => {
  it("(c) refuses unauthenticated connections, and a worker's credentials cannot cancel runs or delete the stream", async () => {
    const repo = await createRepo({ files: { "a.txt": "a\n" } });
    const runId = await runningRun(repo.dir);

    // No credentials: no connection at all, so nothing can be published.
    await expect(connect({ servers: cluster.natsUrl, reconnect: false })).rejects.toThrow(/authorization/i);

    // A worker's credentials (a compromised worker host): control messages and stream management are refused.
    const nc: NatsConnection = await connect({ servers: cluster.natsUrl, ...cluster.nats.worker, reconnect: false });
    closers.push(() => nc.close());
    const errors: string[] = [];
    void (async () => {
      for await (const s of nc.status()) if (s.type === "error") errors.push(String((s as { error?: unknown }).error));
    })();
    nc.publish("pancode.control", JSON.stringify({ type: "cancel", runId, reason: "forged" }));
    await nc.flush();
    await expect
      .poll(() => errors.join("\n"), { timeout: 10_000 })
      .toMatch(/permissions violation for publish to "pancode\.control"/i);
    const jsm = await jetstreamManager(nc, { checkAPI: false });
    await expect(jsm.streams.delete("PANCODE_TASKS")).rejects.toThrow(/permissions violation/i);
    await expect(jsm.streams.purge("PANCODE_TASKS")).rejects.toThrow(/permissions violation/i);

    // The run was not cancelled, and the queue still works.
    await expect
      .poll(async () => (await showRun(repo.dir, runId)).status, { timeout: 60_000, interval: 300 })
      .toBe("done");
    const next = await cluster.cli(["dispatch", "true", "--agent", "shell", "--wait"], { cwd: repo.dir });
    expect(next.code).toBe(0);
    await repo.cleanup();
  });
});

describe("TLS off loopback", () => {
  /** A coordinator of its own (embedded database, in-process bus) listening on every interface. */
  async function offLoopbackCoordinator(env: Record<string, string> = {}) {
    const dataDir = await mkdtemp(join(tmpdir(), "pancode-redteam-tls-"));
    const started = await spawnService(
      "coordinator",
      {
        PANCODE_LISTEN: "0.0.0.0:0",
        PANCODE_DATA_DIR: dataDir,
        PANCODE_LOG_LEVEL: "info",
        NATS_URL: "",
        DATABASE_URL: "",
        ...env,
      },
      /listening on \S+:(\d+)/,
    );
    const port = started.match[1] as string;
    closers.push(async () => {
      await stopProcess(started.child);
      await rm(dataDir, { recursive: true, force: true });
    });
    // Tests only ever dial loopback.
    return { dataDir, address: `127.0.0.1:${port}`, logs: started.logs };
  }

  it("(d) serves TLS with its own CA: a plaintext client fails clearly, a CLI trusting the CA works", async () => {
    const repo = await createRepo({ files: { "a.txt": "a\n" } });
    const { dataDir, address } = await offLoopbackCoordinator();
    const token = readFileSync(join(dataDir, "client.token"), "utf8").trim();
    const env = { PANCODE_COORDINATOR: address, PANCODE_TOKEN: token, PANCODE_DATA_DIR: join(dataDir, "elsewhere") };

    const plaintext = await cluster.cli(["runs"], { cwd: repo.dir, env });
    expect(plaintext.code).toBe(4);
    expect(plaintext.stderr).toMatch(/coordinator unreachable at 127\.0\.0\.1:\d+: .*PANCODE_TLS_CA/);
    expect(plaintext.stderr).not.toMatch(/\n\s+at /);

    const trusting = await cluster.cli(["runs"], {
      cwd: repo.dir,
      env: { ...env, PANCODE_TLS_CA: join(dataDir, "tls", "ca.crt") },
    });
    expect(trusting.code).toBe(0);

    // The local CLI finds the token and the CA in the data dir by itself.
    const local = await cluster.cli(["runs"], {
      cwd: repo.dir,
      env: { PANCODE_COORDINATOR: address, PANCODE_TOKEN: "", PANCODE_DATA_DIR: dataDir },
    });
    expect(local.code).toBe(0);

    // A gRPC client that speaks plaintext gets no answer either.
    const raw = createClientApi({ address, token, credentials: PLAINTEXT, deadlineMs: 5000 });
    closers.push(() => raw.close());
    await expect(raw.listRuns(1)).rejects.toMatchObject({ code: "UNAVAILABLE" });
    await repo.cleanup();
  });

  it("(d) serves plaintext off loopback only with PANCODE_INSECURE_PLAINTEXT=1, and logs a warning", async () => {
    const repo = await createRepo({ files: { "a.txt": "a\n" } });
    const { dataDir, address, logs } = await offLoopbackCoordinator({ PANCODE_INSECURE_PLAINTEXT: "1" });
    expect(logs()).toMatch(/"level":"warn"[^\n]*"msg":"serving PLAINTEXT off loopback/);
    const token = readFileSync(join(dataDir, "client.token"), "utf8").trim();
    const result = await cluster.cli(["runs"], {
      cwd: repo.dir,
      env: { PANCODE_COORDINATOR: address, PANCODE_TOKEN: token },
    });
    expect(result.code).toBe(0);
    await repo.cleanup();
  });
});
