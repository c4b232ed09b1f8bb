/**
 * `npx tsx bench/replicas-bench.ts`: a batch of 50 runs through 1 and then 2 coordinator replicas (processes of the
 * built apps/server on one Postgres), and the time a surviving replica needs to take over a killed owner's batch.
 * Scripted workers (real gRPC clients, one per replica) claim and complete every run the moment it is admitted, so
 * the figures are the coordinators' own cost (admission, scheduling, claims, completions, receipts), not Docker's.
 * With each rate it prints where the time went, so "a second replica adds nothing" comes with its reason: how long a
 * freed slot waits for the next item's admission, the claim and completion round trips, the CPU each process used
 * and how long each replica's event loop was runnable without getting a CPU (a starved machine).
 * A measurement, not a test: it prints the figures and exits 0.
 */
import type { ChildProcess } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { EMPTY_DIGEST } from "@pancode/core";
import { type ClientApi, clientCredentials, createClientApi, createWorkerApi, type WorkerApi } from "@pancode/proto";
import { generateSigningKey, type SigningKey } from "@pancode/receipts";
import { spawnService, stopProcess } from "@pancode/testing/cluster";
import { freshDatabaseUrl, type PostgresServer, startPostgres } from "@pancode/testing/postgres";
import { doneCompletion } from "@pancode/testing/worker-receipts";
import { cpuMsOf, postmasterPid, runQueueWaitMs, treeCpuMs } from "./process-cpu.js";
import { summarize } from "./stats.js";

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

/** Claims and completes a run; returns the two round trips in ms (undefined when the claim was refused). */
async function complete(replica: Replica, runId: string): Promise<{ claimMs: number; completeMs: number } | undefined> {
  const sent = performance.now();
  const claim = await replica.worker.claimRun({ runId, workerId: replica.workerId, deliveryCount: 1 });
  const claimed = performance.now();
  if (!claim.spec) return undefined;
  await replica.worker.completeRun(doneCompletion(claim.spec, replica.workerId, replica.key));
  return { claimMs: claimed - sent, completeMs: performance.now() - claimed };
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

/** What the driver saw of one batch: when each run was admitted and when its completion was accepted. */
interface Trace {
  admittedAt: number[];
  completedAt: number[];
  /** Claim and completion round trips, per run. */
  claimMs: number[];
  completeMs: number[];
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
): Promise<Trace> {
  const taken = new Set<string>();
  const trace: Trace = { admittedAt: [], completedAt: [], claimMs: [], completeMs: [] };
  let next = 0;
  for (;;) {
    const batch = await client.getBatch(batchId);
    if (batch.status !== "running") return trace;
    const fresh = batch.runs.filter((r) => r.status === "pending" && !taken.has(r.id));
    await Promise.all(
      fresh.map(async (run) => {
        taken.add(run.id);
        onRun(run);
        const replicas = live();
        try {
          const times = await complete(replicas[next++ % replicas.length] as Replica, run.id);
          if (!times) return;
          trace.claimMs.push(times.claimMs);
          trace.completeMs.push(times.completeMs);
          trace.admittedAt.push(Date.parse(run.createdAt));
          trace.completedAt.push(Date.now());
        } catch {
          taken.delete(run.id);
        }
      }),
    );
    if (fresh.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * How long a free slot stays empty: item k (in admission order) can start only once k - concurrency runs have
 * completed, so its lag is its admission minus that completion. Near 0: the scheduler starts the next item as a
 * slot frees; near the orchestration tick: it waits for the tick.
 */
function slotLags(trace: Trace): number[] {
  const admitted = [...trace.admittedAt].sort((a, b) => a - b);
  const completed = [...trace.completedAt].sort((a, b) => a - b);
  return admitted.slice(CONCURRENCY).map((at, i) => Math.max(0, at - (completed[i] as number)));
}

async function withCluster<T>(
  count: number,
  body: (replicas: Replica[], client: ClientApi, pg: PostgresServer) => Promise<T>,
): Promise<T> {
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
    return await body(replicas, client, pg);
  } finally {
    client.close();
    for (const r of replicas) r.worker.close();
    for (const r of replicas) await stopProcess(r.child, 5000);
    await pg.stop();
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  }
}

/** One batch of {@link ITEMS}: wall time, the driver's trace and the CPU each process spent meanwhile. */
interface Throughput {
  seconds: number;
  trace: Trace;
  /** CPU ms of each replica, of Postgres (postmaster and backends) and of this process (the scripted workers). */
  cpuMs: { replicas: number[]; postgres: number; bench: number };
  /** Ms each replica's event loop was runnable but had no CPU (a starved machine shows here, not in cpuMs). */
  waitMs: number[];
}

async function throughput(count: number): Promise<Throughput> {
  return withCluster(count, async (replicas, client, pg) => {
    const postgres = postmasterPid(pg.socketUrl);
    const cpuNow = () => ({
      replicas: replicas.map((r) => cpuMsOf(r.child.pid)),
      postgres: treeCpuMs(postgres),
      bench: process.cpuUsage().user / 1000 + process.cpuUsage().system / 1000,
    });
    const waitNow = () => replicas.map((r) => runQueueWaitMs(r.child.pid));
    const before = cpuNow();
    const waitBefore = waitNow();
    const started = performance.now();
    const batchId = await createBatch(client);
    const trace = await drive(client, batchId, () => replicas);
    const seconds = (performance.now() - started) / 1000;
    const after = cpuNow();
    const waitAfter = waitNow();
    return {
      seconds,
      trace,
      waitMs: waitAfter.map((ms, i) => ms - (waitBefore[i] ?? 0)),
      cpuMs: {
        replicas: after.replicas.map((ms, i) => ms - (before.replicas[i] ?? 0)),
        postgres: after.postgres - before.postgres,
        bench: after.bench - before.bench,
      },
    };
  });
}

/** One line per phase: rate, where the wall time went (slot lag, round trips) and each process's share of a core. */
function describe(label: string, t: Throughput): string {
  const wallMs = t.seconds * 1000;
  const share = (ms: number) => `${Math.round((100 * ms) / wallMs)}%`;
  const lag = summarize(slotLags(t.trace));
  const claim = summarize(t.trace.claimMs);
  const done = summarize(t.trace.completeMs);
  return (
    `  ${label}: ${t.seconds.toFixed(2)} s  ${(ITEMS / t.seconds).toFixed(1)} runs/s\n` +
    `    free slot -> next item admitted: p50 ${Math.round(lag.p50)} ms, mean ${Math.round(lag.mean)} ms, max ${Math.round(lag.max)} ms\n` +
    `    round trips: claim p50 ${Math.round(claim.p50)} ms (p95 ${Math.round(claim.p95)}), ` +
    `completion p50 ${Math.round(done.p50)} ms (p95 ${Math.round(done.p95)})\n` +
    `    CPU (share of one core over the batch): replicas ${t.cpuMs.replicas.map(share).join(" + ")}, ` +
    `Postgres ${share(t.cpuMs.postgres)}, scripted workers ${share(t.cpuMs.bench)}\n` +
    `    replicas' event loops runnable but without a CPU: ${t.waitMs.map(share).join(" + ")} of the wall time ` +
    `(load average ${loadavg()[0]?.toFixed(1)} on ${availableParallelism()} cores)\n`
  );
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
process.stdout.write(
  `batch of ${ITEMS} runs (concurrency ${CONCURRENCY}, scripted workers):\n` +
    describe("1 replica ", one) +
    describe("2 replicas", two) +
    `takeover of a killed owner's batch (PANCODE_GROUP_LEASE_MS=${LEASE_MS}): ${Math.round(taken)} ms\n`,
);
