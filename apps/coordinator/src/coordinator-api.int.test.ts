import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client, credentials, Metadata, type ServiceError, status } from "@grpc/grpc-js";
import { EMPTY_DIGEST, sha256Digest } from "@pancode/core";
import { type ClientApi, createClientApi, createWorkerApi, type WorkerApi } from "@pancode/proto";
import {
  countersignRunReceipt,
  generateSigningKey,
  parseEnvelope,
  type RunReceiptPredicate,
  signRunReceipt,
  type TrustedKey,
  verifyReceipt,
} from "@pancode/receipts";
import { freshDatabaseUrl, type PostgresServer, startPostgres } from "@pancode/testing/postgres";
import { signedStatement, workerPredicate } from "@pancode/testing/worker-receipts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Coordinator } from "./coordinator.js";
import {
  type CoordinatorNode,
  INSECURE,
  registerTestWorker,
  startCoordinatorNode,
  TEST_COMMIT,
  uploadedWorkspace,
} from "./fixtures/coordinator-node.js";

const waKey = generateSigningKey();

// The coordinator's gRPC API against real Postgres, driven by real gRPC clients (the same ones the CLI and workers
// use), plus a raw client for bytes no well-behaved client would send.

let pg: PostgresServer;
let dataDir: string;
let node: CoordinatorNode;
let coordinator: Coordinator;
let client: ClientApi;
let worker: WorkerApi;

const insecure = INSECURE;
const COMMIT = TEST_COMMIT;

beforeAll(async () => {
  pg = await startPostgres();
  dataDir = await mkdtemp(join(tmpdir(), "pancode-coord-"));
  node = await startCoordinatorNode({
    PANCODE_DATA_DIR: dataDir,
    DATABASE_URL: await freshDatabaseUrl(pg.url),
    PANCODE_LEASE_MS: "600",
    PANCODE_HEARTBEAT_MS: "5000",
    PANCODE_MAX_ATTEMPTS: "2",
    PANCODE_MAX_WORKSPACE_BYTES: String(2 * 1024 * 1024),
  });
  ({ coordinator, client, worker } = node);
  await registerTestWorker(worker, { workerId: "wa", capacity: 2 }, waKey);
});

afterAll(async () => {
  await node?.close();
  await pg?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/** Uploads an empty-state workspace with a bundle blob so dispatches pass the workspace checks. */
const workspace = () => uploadedWorkspace(client);

function rawCall(method: string, body: Buffer, token = coordinator.clientToken): Promise<ServiceError | null> {
  const raw = new Client(coordinator.address, credentials.createInsecure(), {
    "grpc.max_send_message_length": 64 * 1024 * 1024,
  });
  const metadata = new Metadata();
  metadata.set("authorization", `Bearer ${token}`);
  return new Promise((resolve) => {
    raw.makeUnaryRequest(
      method,
      (b: Buffer) => b,
      (b: Buffer) => b,
      body,
      metadata,
      (err) => {
        raw.close();
        resolve(err);
      },
    );
  });
}

describe("authentication", () => {
  it("refuses calls without a token, and the client token on the worker service", async () => {
    const anonymous = createClientApi({ address: coordinator.address, token: "", credentials: insecure });
    await expect(anonymous.listRuns(1)).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
    anonymous.close();
    const wrong = createWorkerApi({
      address: coordinator.address,
      token: coordinator.clientToken,
      credentials: insecure,
    });
    await expect(wrong.heartbeat("wa", [])).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
    wrong.close();
  });
});

describe("bad requests", () => {
  it("answers INVALID_ARGUMENT to undecodable bytes and stays up", async () => {
    const err = await rawCall("/pancode.v1.ClientService/Dispatch", Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]));
    expect(err?.code).toBe(status.INVALID_ARGUMENT);
    expect(err?.details).toMatch(/malformed request/);
    expect(await client.listRuns(1)).toBeInstanceOf(Array);
  });

  it("answers INVALID_ARGUMENT to an oversized message and stays up", async () => {
    // Field 1 (task), length-delimited, 5 MiB of text: over the 4 MiB per-message limit.
    const task = Buffer.alloc(5 * 1024 * 1024, 0x61);
    const header = Buffer.from([0x0a, 0x80, 0x80, 0xc0, 0x02]);
    const err = await rawCall("/pancode.v1.ClientService/Dispatch", Buffer.concat([header, task]));
    expect(err?.code).toBe(status.INVALID_ARGUMENT);
    expect(err?.details).toMatch(/exceeds the limit/);
    expect(await client.listRuns(1)).toBeInstanceOf(Array);
  });

  it("refuses a blob whose bytes do not match its digest, and keeps nothing", async () => {
    const claimed = sha256Digest("what I claim");
    const raw = createClientApi({
      address: coordinator.address,
      token: coordinator.clientToken,
      credentials: insecure,
    });
    // uploadBlob computes the digest itself; send a forged header through the raw stream instead.
    const err = await new Promise<ServiceError | null>((resolve) => {
      const c = new Client(coordinator.address, credentials.createInsecure());
      const md = new Metadata();
      md.set("authorization", `Bearer ${coordinator.clientToken}`);
      const call = c.makeClientStreamRequest(
        "/pancode.v1.ClientService/UploadBlob",
        (m: Buffer) => m,
        (b: Buffer) => b,
        md,
        (e) => {
          c.close();
          resolve(e);
        },
      );
      // header {digest, size 12, kind "state"} then data "what I sent!"
      const digest = Buffer.from(claimed);
      const kind = Buffer.from("state");
      const headerMsg = Buffer.concat([
        Buffer.from([0x0a, digest.length + kind.length + 6, 0x0a, digest.length]),
        digest,
        Buffer.from([0x10, 12, 0x1a, kind.length]),
        kind,
      ]);
      call.write(headerMsg);
      call.write(Buffer.concat([Buffer.from([0x12, 12]), Buffer.from("what I sent!")]));
      call.end();
    });
    raw.close();
    expect(err?.code).toBe(status.DATA_LOSS);
    expect(err?.details).toMatch(/does not match its digest/);
    expect(await client.hasCommit("r", COMMIT)).toBe(false);
    await expect(
      client.dispatch({
        task: "true",
        agent: "shell",
        isolate: false,
        mode: "build",
        model: "",
        submitter: "t",
        safety: "full-auto",
        workspace: { repoId: "r", baseCommit: COMMIT, bundleDigest: "", stateDigest: claimed, stateTree: COMMIT },
      }),
    ).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
  });

  it("refuses a workspace over the configured size limit", async () => {
    await expect(client.uploadBlob("state", Buffer.alloc(3 * 1024 * 1024, 1))).rejects.toMatchObject({
      code: "WORKSPACE_TOO_LARGE",
    });
  });

  it("names the available agents when the agent is unknown, and refuses an empty task", async () => {
    const ws = await workspace();
    const base = { isolate: false, mode: "build", model: "", submitter: "t", safety: "full-auto", workspace: ws };
    await expect(client.dispatch({ ...base, task: "true", agent: "nope" })).rejects.toThrow(
      /unknown agent "nope"; available agents: builder, dev, .*, shell/,
    );
    await expect(client.dispatch({ ...base, task: "   ", agent: "shell" })).rejects.toMatchObject({
      code: "EMPTY_TASK",
    });
  });
});

describe("exactly-once result commit", () => {
  it("never lets a late result of a superseded attempt overwrite the newer one", async () => {
    const ws = await workspace();
    const { run } = await client.dispatch({
      task: "true",
      agent: "shell",
      isolate: false,
      mode: "build",
      model: "",
      submitter: "t",
      safety: "full-auto",
      workspace: ws,
    });
    const runId = run?.id ?? "";
    const first = await worker.claimRun({ runId, workerId: "wa", deliveryCount: 1 });
    expect(first.spec?.lease?.attempt).toBe(1);
    // Worker A goes silent: its lease expires and the reaper puts the run back to pending.
    await expect.poll(async () => (await client.getRun(runId)).status, { timeout: 10_000 }).toBe("pending");
    const wbKey = generateSigningKey();
    await registerTestWorker(worker, { workerId: "wb" }, wbKey);
    const second = await worker.claimRun({ runId, workerId: "wb", deliveryCount: 2 });
    expect(second.spec?.lease?.attempt).toBe(2);
    const doneFacts = {
      status: "done",
      hasExitCode: true,
      exitCode: 0,
      error: "",
      outputTail: "attempt 2",
      startedAt: "",
      finishedAt: new Date().toISOString(),
      costUsd: 0,
      patch: undefined,
      imageDigest: "",
      inputTokens: 0,
      outputTokens: 0,
    };
    const done = { ...doneFacts, receiptEnvelope: signedStatement(second.spec, doneFacts, "wb", wbKey) };
    expect(await worker.completeRun({ ...done, lease: second.spec?.lease })).toMatchObject({ accepted: true });
    // A's late report and completion are refused and change nothing.
    expect(
      await worker.reportEvents(first.spec?.lease ?? { runId, attempt: 1, leaseToken: "x" }, [
        { at: new Date().toISOString(), kind: "stdout", text: "late" },
      ]),
    ).toBe(true);
    const late = await worker.completeRun({
      ...done,
      status: "error",
      exitCode: 9,
      outputTail: "attempt 1",
      lease: first.spec?.lease,
    });
    expect(late.accepted).toBe(false);
    expect(late.reason).toMatch(/^(stale|finished)$/);
    const final = await client.getRun(runId);
    expect(final).toMatchObject({ status: "done", attempt: 2, workerId: "wb", outputTail: "attempt 2", exitCode: 0 });
    expect(final.receiptId).not.toBe("");
  });

  it("ends a run `error` with the reason once every attempt was lost, never leaving it running", async () => {
    const ws = await workspace();
    const { run } = await client.dispatch({
      task: "true",
      agent: "shell",
      isolate: false,
      mode: "build",
      model: "",
      submitter: "t",
      safety: "full-auto",
      workspace: ws,
    });
    const runId = run?.id ?? "";
    await worker.claimRun({ runId, workerId: "wa", deliveryCount: 1 });
    await expect.poll(async () => (await client.getRun(runId)).status, { timeout: 10_000 }).toBe("pending");
    await worker.claimRun({ runId, workerId: "wb", deliveryCount: 2 });
    await expect.poll(async () => (await client.getRun(runId)).status, { timeout: 10_000 }).toBe("error");
    expect((await client.getRun(runId)).error).toMatch(/was lost .* all 2 attempts are used/);
    // No worker reported: the coordinator alone signs the receipt, and says so in it.
    const result = verifyReceipt(parseEnvelope((await client.getReceipt(runId)).body), { keys: await trusted() });
    expect(result).toMatchObject({ ok: true, failures: [], coordinatorOnly: true });
    expect(result.statement?.predicate).toMatchObject({ issuer: "coordinator", runId });
    expect(result.statement?.predicate.results.status).toBe("error");
  });
});

async function trusted(): Promise<Record<string, TrustedKey>> {
  const keys: Record<string, TrustedKey> = {};
  for (const k of await client.getKeys()) {
    keys[k.keyId] = {
      publicKeyPem: k.publicKeyPem,
      role: k.role as TrustedKey["role"],
      ownerId: k.ownerId,
      revoked: k.revoked,
    };
  }
  return keys;
}

describe("signed receipts", () => {
  it("countersigns a worker's statement that matches the run and refuses one that does not", async () => {
    const key = generateSigningKey();
    const stranger = generateSigningKey();
    await registerTestWorker(worker, { workerId: "wk", pool: "other" }, key);
    const ws = await workspace();
    const { run } = await client.dispatch({
      task: "true",
      agent: "shell",
      isolate: false,
      mode: "build",
      model: "",
      submitter: "t",
      safety: "full-auto",
      workspace: ws,
    });
    const runId = run?.id ?? "";
    const claim = await worker.claimRun({ runId, workerId: "wk", deliveryCount: 1 });
    expect(claim.spec?.mode).toBe("build");
    const completion = {
      lease: claim.spec?.lease,
      status: "done",
      hasExitCode: true,
      exitCode: 0,
      error: "",
      outputTail: "",
      startedAt: "",
      finishedAt: new Date().toISOString(),
      costUsd: 0,
      patch: undefined,
      imageDigest: "",
      inputTokens: 0,
      outputTokens: 0,
    };
    const sign = (p: RunReceiptPredicate, k = key) => JSON.stringify(signRunReceipt(p, k.privateKey));
    const honest = () => workerPredicate(claim.spec, completion, "wk");
    // Signed by a key the worker never registered; then a statement claiming another status than the completion.
    await expect(
      worker.completeRun({ ...completion, receiptEnvelope: sign(honest(), stranger) }),
    ).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    const otherStatus = honest();
    otherStatus.results.status = "error";
    await expect(worker.completeRun({ ...completion, receiptEnvelope: sign(otherStatus) })).rejects.toThrow(
      /does not match the run \(predicate\.results\.status\)/,
    );
    expect((await client.getRun(runId)).status).toBe("running");

    // No statement at all: refused, since every worker signs its completions.
    await expect(worker.completeRun({ ...completion, receiptEnvelope: "" })).rejects.toThrow(
      /carries no signed receipt statement/,
    );
    const answer = await worker.completeRun({ ...completion, receiptEnvelope: sign(honest()) });
    expect(answer.accepted).toBe(true);
    const receipt = await client.getReceipt(answer.receiptId);
    const envelope = parseEnvelope(receipt.body);
    expect(envelope.signatures).toHaveLength(2);
    const keys = await trusted();
    expect(
      verifyReceipt(envelope, { keys, expectedPatchDigest: EMPTY_DIGEST, expectedPayloadHash: receipt.contentHash }),
    ).toMatchObject({ ok: true, coordinatorOnly: false });
    expect((await client.listReceipts(50)).map((r) => r.id)).toContain(answer.receiptId);
    // A coordinator countersignature alone cannot turn a stranger's statement into a valid receipt.
    const forged = countersignRunReceipt(signRunReceipt(honest(), stranger.privateKey), stranger.privateKey);
    expect(verifyReceipt(forged, { keys }).ok).toBe(false);

    // Once revoked, the key's receipts fail and its worker cannot come back with it.
    expect(await client.revokeKey(key.keyId)).toMatchObject({ keyId: key.keyId, revoked: true });
    expect(
      verifyReceipt(envelope, { keys: await trusted(), expectedPatchDigest: EMPTY_DIGEST }).failures.join(" "),
    ).toContain("revoked");
    await expect(registerTestWorker(worker, { workerId: "wk", pool: "other" }, key)).rejects.toMatchObject({
      code: "UNAUTHENTICATED",
      message: expect.stringContaining("was revoked"),
    });
  });
});
