/**
 * `npx tsx bench/replicas-bench.ts`: a batch of 50 runs through 1 and then 2 coordinator replicas (processes of the
 * built apps/server on one Postgres), and the time a surviving replica needs to take over a killed owner's batch.
 * Scripted workers (real gRPC clients, one per replica) claim and complete every run the moment it is admitted, so
 * the figures are the coordinators' own cost (admission, scheduling, claims, completions, receipts), not Docker's.
 * A measurement, not a test: it prints the figures and exits 0.
 */
import type { ChildProcess } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { EMPTY_DIGEST } from "@pancode/core";
import { type ClientApi, clientCredentials, createClientApi, createWorkerApi, type WorkerApi } from "@pancode/proto";
import { generateSigningKey, type SigningKey } from "@pancode/receipts";
import { spawnService, stopProcess } from "@pancode/testing/cluster";
import { freshDatabaseUrl, startPostgres } from "@pancode/testing/postgres";
import { doneCompletion } from "@pancode/testing/worker-receipts";

const ITEMS = 50;
const CONCURRENCY = 8;
const LEASE_MS = 3000;
const INSECURE = clientCredentials({ tls: false, caPath: "" });

interface Replica {
  child: ChildProcess;
  address: string;
  worker: WorkerApi;
  workerId: string;
  key: SigningKey;
}

async function startReplicas(count: number, env: Record<string, string>, dirs: string[]): Promise<Replica[]> {
  const replicas: Replica[] = [];
  for (let i = 0; i < count; i++) {
    const dataDir = await mkdtemp(join(tmpdir(), "pancode-bench-replica-"));
    dirs.push(dataDir);
    const { child, match } = await spawnService(
      "coordinator",
      { ...env, PANCODE_DATA_DIR: dataDir },
      /listening on (\S+)/,
    );
    const address = match[1] as string;
    const worker = createWorkerApi({ address, token: env.PANCODE_WORKER_TOKEN ?? "", credentials: INSECURE });
    const key = generateSigningKey();
    const workerId = `bench-w${i}`;
    await worker.register(
      {
        workerId,
        pool: "default",
        sandbox: "docker",
        capacity: CONCURRENCY,
        version: "bench",
        runtimes: ["command"],
        providers: [],
        publicKeyPem: key.publicKeyPem,
      },
      key.privateKey,
    );
    replicas.push({ child, address, worker, workerId, key });
  }
  return replicas;
}

async function complete(replica: Replica, runId: string): Promise<void> {
  const claim = await replica.worker.claimRun({ runId, workerId: replica.workerId, deliveryCount: 1 });
  if (!claim.spec) return;
  await replica.worker.completeRun(doneCompletion(claim.spec, replica.workerId, replica.key));
}

async function createBatch(client: ClientApi): Promise<string> {
  const bundle = await client.uploadBlob("bundle", Buffer.from(`bundle ${randomUUID()}`));
  const batch = await client.createBatch({
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
    submitter: "bench@host",
    agentFiles: [],
    maxCostUsd: 0,
    items: Array.from({ length: ITEMS }, (_, i) => ({ task: `echo ${i}`, agent: "shell", runId: "", error: "" })),
    concurrency: CONCURRENCY,
    staggerMs: 0,
    team: "",
  });
  return batch.id;
}

/**
 * Completes every run of the batch as it appears, spreading claims and completions over the live replicas, until
 * the batch ends. `onRun` sees each new run id first (the takeover figure watches for one).
 */
async function drive(
  client: ClientApi,
  batchId: string,
  live: () => Replica[],
  onRun = (_run: { id: string; createdAt: string }) => {},
): Promise<void> {
  const taken = new Set<string>();
  let next = 0;
  for (;;) {
    const batch = await client.getBatch(batchId);
    if (batch.status !== "running") return;
    const fresh = batch.runs.filter((r) => r.status === "pending" && !taken.has(r.id));
    await Promise.all(
      fresh.map((run) => {
        taken.add(run.id);
        onRun(run);
        const replicas = live();
        return complete(replicas[next++ % replicas.length] as Replica, run.id).catch(() => taken.delete(run.id));
      }),
    );
    if (fresh.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function withCluster<T>(count: number, body: (replicas: Replica[], client: ClientApi) => Promise<T>): Promise<T> {
  const pg = await startPostgres();
  const dirs: string[] = [];
  const env = {
    DATABASE_URL: await freshDatabaseUrl(pg.url),
    PANCODE_LISTEN: "127.0.0.1:0",
    PANCODE_TOKEN: randomBytes(16).toString("hex"),
    PANCODE_WORKER_TOKEN: randomBytes(16).toString("hex"),
    PANCODE_RUN_TOKEN_SECRET: randomBytes(32).toString("hex"),
    PANCODE_GROUP_LEASE_MS: String(LEASE_MS),
    PANCODE_LOG_LEVEL: "warn",
  };
  const replicas = await startReplicas(count, env, dirs);
  const client = createClientApi({
    address: replicas.map((r) => r.address).join(","),
    token: env.PANCODE_TOKEN,
    credentials: INSECURE,
  });
  try {
    return await body(replicas, client);
  } finally {
    client.close();
    for (const r of replicas) r.worker.close();
    for (const r of replicas) await stopProcess(r.child, 5000);
    await pg.stop();
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  }
}

async function throughput(count: number): Promise<number> {
  return withCluster(count, async (replicas, client) => {
    const started = performance.now();
    const batchId = await createBatch(client);
    await drive(client, batchId, () => replicas);
    return (performance.now() - started) / 1000;
  });
}

async function takeover(): Promise<number> {
  return withCluster(2, async (replicas, client) => {
    const [owner, survivor] = replicas as [Replica, Replica];
    const batchId = await createBatch(client);
    let killedAt = 0;
    let tookOverAt = 0;
    let seen = 0;
    const live = () => (killedAt ? [survivor] : replicas);
    // The first run admitted after the kill is the survivor's: the owner was dead by then.
    await drive(client, batchId, live, (run) => {
      seen++;
      const admitted = Date.parse(run.createdAt);
      if (killedAt && !tookOverAt && admitted > killedAt) tookOverAt = admitted;
      if (seen === 10 && !killedAt) {
        owner.child.kill("SIGKILL");
        killedAt = Date.now();
      }
    });
    return tookOverAt - killedAt;
  });
}

const one = await throughput(1);
const two = await throughput(2);
const taken = await takeover();
const rate = (s: number) => (ITEMS / s).toFixed(1);
process.stdout.write(
  `batch of ${ITEMS} runs (concurrency ${CONCURRENCY}, scripted workers):\n` +
    `  1 replica : ${one.toFixed(2)} s  ${rate(one)} runs/s\n` +
    `  2 replicas: ${two.toFixed(2)} s  ${rate(two)} runs/s\n` +
    `takeover of a killed owner's batch (PANCODE_GROUP_LEASE_MS=${LEASE_MS}): ${Math.round(taken)} ms\n`,
);
