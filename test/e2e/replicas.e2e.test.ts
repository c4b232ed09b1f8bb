import type { ChildProcess } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EMPTY_DIGEST } from "@pancode/core";
import {
  type ClaimRunResponse,
  type ClientApi,
  clientCredentials,
  createClientApi,
  createWorkerApi,
  type WorkerApi,
} from "@pancode/proto";
import { generateSigningKey } from "@pancode/receipts";
import { spawnService, stopProcess } from "@pancode/testing/cluster";
import { freshDatabaseUrl, type PostgresServer, startPostgres } from "@pancode/testing/postgres";
import { doneCompletion } from "@pancode/testing/worker-receipts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// Two coordinator processes on one Postgres, each with its own data dir (so whatever they share, they share through
// the database: blobs, batch ownership, drain, run changes). A scripted worker (real gRPC client) claims and
// completes runs, so every run of a batch can be counted per item.

const INSECURE = clientCredentials({ tls: false, caPath: "" });
/** Scripted workers: "wb" works through replica B, "wa" through A (a session belongs to one registration). */
const keys = { wa: generateSigningKey(), wb: generateSigningKey() };
type WorkerId = keyof typeof keys;

let pg: PostgresServer;
let env: Record<string, string>;
const dirs: string[] = [];
const replicas: ChildProcess[] = [];

interface Replica {
  child: ChildProcess;
  address: string;
  /** The web console's URL when the replica was started with PANCODE_CONSOLE_LISTEN. */
  consoleUrl: string;
  client: ClientApi;
  worker: WorkerApi;
}

/** Starts a coordinator replica process on the shared database, with a data dir of its own. */
async function startReplica(extra: Record<string, string> = {}): Promise<Replica> {
  const dataDir = await mkdtemp(join(tmpdir(), "pancode-replica-"));
  dirs.push(dataDir);
  const { child, match } = await spawnService(
    "coordinator",
    { ...env, PANCODE_DATA_DIR: dataDir, ...extra },
    extra.PANCODE_CONSOLE_LISTEN ? /listening on (\S+)\n(?:.*\n)*?pancode console: (\S+)/ : /listening on (\S+)/,
  );
  replicas.push(child);
  const address = match[1] as string;
  return {
    child,
    address,
    consoleUrl: match[2] ?? "",
    client: createClientApi({ address, token: env.PANCODE_TOKEN ?? "", credentials: INSECURE }),
    worker: createWorkerApi({ address, token: env.PANCODE_WORKER_TOKEN ?? "", credentials: INSECURE }),
  };
}

beforeAll(async () => {
  pg = await startPostgres();
  env = {
    DATABASE_URL: await freshDatabaseUrl(pg.url),
    PANCODE_LISTEN: "127.0.0.1:0",
    // Replicas share their secrets: a token or a run token minted by one is good on all.
    PANCODE_TOKEN: randomBytes(16).toString("hex"),
    PANCODE_WORKER_TOKEN: randomBytes(16).toString("hex"),
    PANCODE_RUN_TOKEN_SECRET: randomBytes(32).toString("hex"),
    PANCODE_HEARTBEAT_MS: "5000",
    PANCODE_GROUP_LEASE_MS: "3000",
    PANCODE_LOG_LEVEL: "warn",
  };
});

afterAll(async () => {
  for (const child of replicas) await stopProcess(child, 5000);
  await pg?.stop();
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function register(worker: WorkerApi, workerId: WorkerId): Promise<void> {
  const workerKey = keys[workerId];
  await worker.register(
    {
      workerId,
      pool: "default",
      sandbox: "docker",
      capacity: 4,
      version: "test",
      runtimes: ["command"],
      providers: [],
      publicKeyPem: workerKey.publicKeyPem,
    },
    workerKey.privateKey,
  );
}

async function submission(client: ClientApi) {
  const bundle = await client.uploadBlob("bundle", Buffer.from(`bundle ${randomUUID()}`));
  return {
    isolate: false,
    workspace: {
      repoId: randomUUID(),
      baseCommit: "a".repeat(40),
      bundleDigest: bundle.digest,
      stateDigest: EMPTY_DIGEST,
      stateTree: "a".repeat(40),
    },
    mode: "build",
    safety: "full-auto",
    model: "",
    submitter: "tester@host",
    agentFiles: [],
    maxCostUsd: 0,
  };
}

/** Claims and completes a run `done` as `workerId` through `worker`. */
async function runToEnd(worker: WorkerApi, runId: string, workerId: WorkerId = "wb"): Promise<void> {
  const claim = await worker.claimRun({ runId, workerId, deliveryCount: 1 });
  if (!claim.spec) throw new Error(`run ${runId} not claimed: ${claim.skipReason}`);
  await complete(worker, claim.spec, workerId);
}

async function complete(worker: WorkerApi, spec: ClaimRunResponse["spec"], workerId: WorkerId): Promise<void> {
  const done = doneCompletion(spec, workerId, keys[workerId]);
  expect(await worker.completeRun(done)).toMatchObject({ accepted: true });
}

/** A loopback port nothing listens on. */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  return typeof address === "object" && address ? address.port : 0;
}

describe("two coordinator replicas on one Postgres", () => {
  let a: Replica;
  let b: Replica;

  beforeAll(async () => {
    a = await startReplica();
    b = await startReplica();
    await register(b.worker, "wb");
  });

  it("share drain: a drain asked of A refuses dispatches on B, and undrain on B admits on A again", async () => {
    const base = await submission(a.client);
    expect(await a.client.drain("ops@host")).toMatchObject({ draining: true, alreadyDraining: false });
    await expect(b.client.dispatch({ ...base, task: "echo no", agent: "shell" })).rejects.toThrow(/draining/);
    // Persisted: a replica started while the cluster is drained refuses too.
    const late = await startReplica();
    await expect(late.client.dispatch({ ...base, task: "echo no", agent: "shell" })).rejects.toThrow(/draining/);
    late.client.close();
    late.worker.close();
    expect(await b.client.drain("ops@host")).toMatchObject({ alreadyDraining: true });
    expect(await b.client.undrain("ops@host")).toMatchObject({ draining: false, alreadyDraining: false });
    const { run } = await a.client.dispatch({ ...base, task: "echo yes", agent: "shell" });
    expect(run?.status).toBe("pending");
    await runToEnd(b.worker, run?.id ?? "");
  });

  it("follows from B a run dispatched on A and completed through A (blobs uploaded to A serve B's admission)", async () => {
    await register(a.worker, "wa");
    const base = await submission(a.client);
    const { run } = await a.client.dispatch({ ...base, task: "echo followed", agent: "shell" });
    const runId = run?.id ?? "";
    // B admits a run on the workspace A received: the bundle is in the shared store.
    const onB = await b.client.dispatch({ ...base, task: "echo on b", agent: "shell" });
    expect(onB.run?.status).toBe("pending");
    const seen: string[] = [];
    const follow = (async () => {
      for await (const update of b.client.watchRun({ runId, afterSeq: 0, follow: true })) {
        if (update.run?.status) seen.push(update.run.status);
        if (update.run && ["done", "error", "interrupted", "timeout"].includes(update.run.status)) return;
      }
    })();
    await runToEnd(a.worker, runId, "wa");
    await follow;
    expect(seen.at(-1)).toBe("done");
    await runToEnd(b.worker, onB.run?.id ?? "");
  });

  it("keeps a console login made on one replica good on the other, and a logout on either ends it on both", async () => {
    const consoleOf = () => startReplica({ PANCODE_CONSOLE_LISTEN: "127.0.0.1:0" });
    const [left, right] = await Promise.all([consoleOf(), consoleOf()]);
    const call = (replica: Replica, method: string, headers: Record<string, string> = {}, body?: string) =>
      fetch(new URL("/api/v1/session", replica.consoleUrl), { method, headers, ...(body ? { body } : {}) });
    try {
      const login = await call(left, "POST", {}, JSON.stringify({ token: env.PANCODE_TOKEN }));
      expect(login.status).toBe(200);
      const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0] as string;
      expect(cookie).toMatch(/^pancode_session=/);
      // What a load balancer without sticky sessions does: the next request goes to the other replica.
      const onRight = await call(right, "GET", { Cookie: cookie });
      expect(onRight.status).toBe(200);
      expect(await onRight.json()).toMatchObject({ role: "admin" });
      const logout = await call(right, "DELETE", { Cookie: cookie, "X-PanCode-CSRF": "1" });
      expect(logout.status).toBe(200);
      expect((await call(left, "GET", { Cookie: cookie })).status).toBe(401);
    } finally {
      for (const replica of [left, right]) {
        replica.client.close();
        replica.worker.close();
        await stopProcess(replica.child, 5000);
      }
    }
  });

  it("a client given `dead,alive` in its coordinator list works", async () => {
    const client = createClientApi({
      address: `127.0.0.1:${await deadPort()},${b.address}`,
      token: env.PANCODE_TOKEN ?? "",
      credentials: INSECURE,
    });
    try {
      expect((await client.clusterInfo()).version).toBeTruthy();
    } finally {
      client.close();
    }
  });

  it("finishes a batch of 10 and a chain of 3 whose owner replica was killed mid-way, with one run per item and step", async () => {
    // A client of both replicas, A first: it must carry on through B once A is dead.
    const both = createClientApi({
      address: `${a.address},${b.address}`,
      token: env.PANCODE_TOKEN ?? "",
      credentials: INSECURE,
    });
    const base = await submission(both);
    const batch = await both.createBatch({
      ...base,
      items: Array.from({ length: 10 }, (_, i) => ({
        task: `echo item ${i + 1}`,
        agent: "shell",
        runId: "",
        error: "",
      })),
      concurrency: 2,
      staggerMs: 0,
      team: "",
    });
    const chain = await both.createChain({
      ...base,
      steps: [1, 2, 3].map((n) => ({ agent: "shell", task: `echo step ${n}` })),
      originalTask: "",
      refine: undefined,
    });
    // Step 1 ends before the kill; A starts step 2, which is running when A dies.
    await runToEnd(b.worker, chain.runs[0]?.id ?? "");
    await expect.poll(async () => (await b.client.getChain(chain.id)).runs.length, { timeout: 20_000 }).toBe(2);
    // Owned by A (it created it); its first items run.
    await expect.poll(async () => (await b.client.getBatch(batch.id)).runs.length, { timeout: 20_000 }).toBe(2);
    const first = (await b.client.getBatch(batch.id)).runs[0]?.id ?? "";
    await runToEnd(b.worker, first);
    await expect.poll(async () => (await b.client.getBatch(batch.id)).runs.length, { timeout: 20_000 }).toBe(3);

    const beforeKill = new Set(
      [...(await b.client.getBatch(batch.id)).runs, ...(await b.client.getChain(chain.id)).runs].map((r) => r.id),
    );
    a.child.kill("SIGKILL");
    const killedAt = Date.now();
    let takeoverMs = 0;
    const completed = new Set([first, chain.runs[0]?.id ?? ""]);
    // B takes the batch over once A's lease runs out; everything is completed through B.
    await expect
      .poll(
        async () => {
          const now = await both.getBatch(batch.id);
          const chainNow = await both.getChain(chain.id);
          for (const run of [...now.runs, ...chainNow.runs]) {
            if (completed.has(run.id) || run.status !== "pending") continue;
            if (!beforeKill.has(run.id) && takeoverMs === 0) takeoverMs = Date.now() - killedAt;
            await runToEnd(b.worker, run.id);
            completed.add(run.id);
          }
          return `${now.status}/${chainNow.status}`;
        },
        { timeout: 90_000, interval: 300 },
      )
      .toBe("done/done");
    const chainRuns = (await both.getChain(chain.id)).runs;
    expect(chainRuns.map((r) => `${r.task}:${r.status}`)).toEqual([
      "echo step 1:done",
      "echo step 2:done",
      "echo step 3:done",
    ]);
    const final = await both.getBatch(batch.id);
    const perItem = new Map<number, number>();
    for (const run of final.runs) {
      const item = Number(run.task.replace("echo item ", ""));
      perItem.set(item, (perItem.get(item) ?? 0) + 1);
    }
    expect([...perItem.keys()].sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect([...perItem.values()].every((n) => n === 1)).toBe(true);
    expect(final.runs.every((r) => r.status === "done")).toBe(true);
    process.stderr.write(`replicas: takeover of a dead owner's batch after ${takeoverMs} ms (lease 3000 ms)\n`);
    both.close();
  });
});
