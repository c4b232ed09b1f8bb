import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sha256Digest } from "@pancode/core";
import { type ClaimRunResponse, createWorkerApi, type WorkerApi } from "@pancode/proto";
import { generateSigningKey } from "@pancode/receipts";
import { freshDatabaseUrl, type PostgresServer, startPostgres } from "@pancode/testing/postgres";
import { signedStatement } from "@pancode/testing/worker-receipts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type CoordinatorNode,
  INSECURE,
  registerTestWorker,
  startCoordinatorNode,
  uploadedWorkspace,
} from "./fixtures/coordinator-node.js";

// Late acceptance (issue 14): a worker whose result could not reach the coordinator before its lease ran out still
// delivers it, unless a newer attempt started; nobody else can deliver it for that worker. Real Postgres, real gRPC.

const waKey = generateSigningKey();
const wbKey = generateSigningKey();
const keeperKey = generateSigningKey();

let pg: PostgresServer;
let dataDir: string;
let node: CoordinatorNode;

beforeAll(async () => {
  pg = await startPostgres();
  dataDir = await mkdtemp(join(tmpdir(), "pancode-late-"));
  node = await startCoordinatorNode({
    PANCODE_DATA_DIR: dataDir,
    DATABASE_URL: await freshDatabaseUrl(pg.url),
    // Long enough that a lease renewed by a heartbeat outlives the next few calls of a test, short enough to expire.
    PANCODE_LEASE_MS: "2000",
    PANCODE_HEARTBEAT_MS: "5000",
    PANCODE_MAX_ATTEMPTS: "3",
  });
});

afterAll(async () => {
  await node?.close();
  await pg?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/** A worker process of its own (own gRPC client and session), as after a restart. */
async function workerProcess(workerId: string, key: typeof waKey): Promise<WorkerApi> {
  const api = createWorkerApi({
    address: node.coordinator.address,
    token: node.coordinator.workerToken,
    credentials: INSECURE,
  });
  await registerTestWorker(api, { workerId }, key);
  return api;
}

/** Dispatches a shell run and claims its first attempt as `wa`; returns once the reaper put it back to pending. */
async function requeuedRun(): Promise<{ runId: string; claim: ClaimRunResponse }> {
  // Admission wants a live worker of the pool; a fresh registration is one.
  await registerTestWorker(node.worker, { workerId: "keeper" }, keeperKey);
  const { run } = await node.client.dispatch({
    task: "true",
    agent: "shell",
    isolate: false,
    mode: "build",
    model: "",
    submitter: "t",
    safety: "full-auto",
    workspace: await uploadedWorkspace(node.client),
  });
  const runId = run?.id ?? "";
  const original = await workerProcess("wa", waKey);
  const claim = await original.claimRun({ runId, workerId: "wa", deliveryCount: 1 });
  original.close();
  expect(claim.spec?.lease?.attempt).toBe(1);
  // wa goes silent (coordinator or database out of its reach): the lease expires, the reaper requeues the run.
  await expect.poll(async () => (await node.client.getRun(runId)).status, { timeout: 10_000 }).toBe("pending");
  return { runId, claim };
}

function completionFor(claim: ClaimRunResponse, workerId: string, key: typeof waKey, patch?: Buffer) {
  const facts = {
    status: "done",
    hasExitCode: true,
    exitCode: 0,
    error: "",
    outputTail: `finished on ${workerId}`,
    startedAt: "",
    finishedAt: new Date().toISOString(),
    costUsd: 0,
    patch: patch
      ? {
          digest: sha256Digest(patch),
          bytes: patch.length,
          files: [{ path: "a.txt", status: "modified", oldPath: "", binary: false }],
        }
      : undefined,
    imageDigest: "",
    inputTokens: 0,
    outputTokens: 0,
  };
  return { ...facts, lease: claim.spec?.lease, receiptEnvelope: signedStatement(claim.spec, facts, workerId, key) };
}

describe("late completion", () => {
  it("accepts the result of a requeued attempt from its worker restarted with a new session, ending the requeue", async () => {
    const { runId, claim } = await requeuedRun();
    const lease = claim.spec?.lease ?? { runId, attempt: 1, leaseToken: "" };
    const restarted = await workerProcess("wa", waKey);
    // Events, patch and completion of the late attempt are all taken.
    const stale = await restarted.reportEvents(lease, [{ at: new Date().toISOString(), kind: "stdout", text: "late" }]);
    expect(stale).toBe(false);
    const patch = Buffer.from("diff --git a/a.txt b/a.txt\n");
    expect((await restarted.uploadPatch(lease, patch)).digest).toBe(sha256Digest(patch));
    const answer = await restarted.completeRun(completionFor(claim, "wa", waKey, patch));
    expect(answer).toMatchObject({ accepted: true });
    expect(await node.client.getRun(runId)).toMatchObject({
      status: "done",
      attempt: 1,
      workerId: "wa",
      patch: { digest: sha256Digest(patch), bytes: patch.length },
    });
    // A redelivery of the run's message no longer starts an attempt; a repeated completion changes nothing.
    const other = await workerProcess("wb", wbKey);
    expect(await other.claimRun({ runId, workerId: "wb", deliveryCount: 2 })).toMatchObject({
      spec: undefined,
      skipReason: expect.stringMatching(/finished/),
    });
    expect(await restarted.completeRun(completionFor(claim, "wa", waKey, patch))).toMatchObject({
      accepted: false,
      reason: "finished",
    });
    restarted.close();
    other.close();
  });

  it("keeps a requeued attempt its worker's heartbeat still names: running again, a redelivery finds it busy", async () => {
    const { runId } = await requeuedRun();
    const back = await workerProcess("wa", waKey);
    expect(await back.heartbeat("wa", [runId])).toMatchObject({ cancelRunIds: [] });
    expect(await node.client.getRun(runId)).toMatchObject({ status: "running", attempt: 1, workerId: "wa" });
    const other = await workerProcess("wb", wbKey);
    expect(await other.claimRun({ runId, workerId: "wb", deliveryCount: 2 })).toMatchObject({
      spec: undefined,
      skipReason: expect.stringMatching(/busy/),
    });
    // wb's heartbeat naming the run changes nothing: it is not wb's attempt.
    expect(await other.heartbeat("wb", [runId])).toMatchObject({ cancelRunIds: [runId] });
    back.close();
    other.close();
  });

  it("refuses another worker presenting the requeued attempt's lease (stolen token), changing nothing", async () => {
    const { runId, claim } = await requeuedRun();
    const lease = claim.spec?.lease ?? { runId, attempt: 1, leaseToken: "" };
    const thief = await workerProcess("wb", wbKey);
    await expect(thief.completeRun(completionFor(claim, "wb", wbKey))).rejects.toMatchObject({
      code: "UNAUTHENTICATED",
    });
    await expect(thief.uploadPatch(lease, Buffer.from("x"))).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
    await expect(
      thief.reportEvents(lease, [{ at: new Date().toISOString(), kind: "stdout", text: "forged" }]),
    ).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
    expect(await node.client.getRun(runId)).toMatchObject({ status: "pending", attempt: 1 });
    thief.close();
  });

  it("answers FAILED_PRECONDITION `superseded` once a newer attempt started, and the newer attempt keeps the run", async () => {
    const { runId, claim } = await requeuedRun();
    const lease = claim.spec?.lease ?? { runId, attempt: 1, leaseToken: "" };
    const other = await workerProcess("wb", wbKey);
    const second = await other.claimRun({ runId, workerId: "wb", deliveryCount: 2 });
    expect(second.spec?.lease?.attempt).toBe(2);
    const late = await workerProcess("wa", waKey);
    await expect(late.completeRun(completionFor(claim, "wa", waKey))).rejects.toMatchObject({
      code: "STALE_ATTEMPT",
      message: expect.stringMatching(/^superseded: attempt 1 of run/),
    });
    await expect(late.uploadPatch(lease, Buffer.from("y"))).rejects.toMatchObject({ code: "STALE_ATTEMPT" });
    expect(await late.reportEvents(lease, [{ at: new Date().toISOString(), kind: "stdout", text: "x" }])).toBe(true);
    expect(await node.client.getRun(runId)).toMatchObject({ status: "running", attempt: 2, workerId: "wb" });
    late.close();
    other.close();
  });
});
