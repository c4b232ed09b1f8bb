import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createWorkerApi, type RegisterRequest, type WorkerApi } from "@pancode/proto";
import { generateSigningKey, type SigningKey } from "@pancode/receipts";
import { freshDatabaseUrl, type PostgresServer, startPostgres } from "@pancode/testing/postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type CoordinatorNode,
  INSECURE,
  startCoordinatorNode,
  uploadedWorkspace,
} from "./fixtures/coordinator-node.js";

// Worker identity: an id is bound to the key of its first registration; every later call proves it.

let pg: PostgresServer;
let node: CoordinatorNode;
let dataDir: string;
const apis: WorkerApi[] = [];

beforeAll(async () => {
  pg = await startPostgres();
  dataDir = await mkdtemp(join(tmpdir(), "pancode-identity-"));
  node = await startCoordinatorNode({ PANCODE_DATA_DIR: dataDir, DATABASE_URL: await freshDatabaseUrl(pg.url) });
});

afterAll(async () => {
  for (const api of apis) api.close();
  await node?.close();
  await pg?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/** A fresh worker connection (with the shared worker token, and no session until it registers). */
function workerApi(): WorkerApi {
  const api = createWorkerApi({
    address: node.coordinator.address,
    token: node.coordinator.workerToken,
    credentials: INSECURE,
  });
  apis.push(api);
  return api;
}

function registration(workerId: string, key: SigningKey): Omit<RegisterRequest, "challenge" | "signature" | "offers"> {
  return {
    workerId,
    pool: "default",
    sandbox: "docker",
    capacity: 1,
    version: "test",
    runtimes: ["command"],
    providers: [],
    publicKeyPem: key.publicKeyPem,
  };
}

async function refusals(workerId: string) {
  const entries = await node.client.listAudit({ category: "worker", limit: 200 });
  return entries.filter((e) => e.action === "register_refused" && e.actor === workerId);
}

describe("worker identity", () => {
  it("binds an id to its first key and refuses another key for it, audited", async () => {
    const key = generateSigningKey();
    await workerApi().register(registration("bound", key), key.privateKey);
    const intruder = generateSigningKey();
    await expect(workerApi().register(registration("bound", intruder), intruder.privateKey)).rejects.toMatchObject({
      code: "UNAUTHENTICATED",
      message: expect.stringContaining("bound to another key"),
    });
    expect(await refusals("bound")).toEqual([expect.objectContaining({ message: expect.stringContaining(key.keyId) })]);
    expect((await node.client.getKeys()).map((k) => k.keyId)).not.toContain(intruder.keyId);
  });

  it("refuses a registration that presents a key without proving it", async () => {
    const victim = generateSigningKey();
    const mine = generateSigningKey();
    // The victim's public key, signed with another private key.
    await expect(workerApi().register(registration("unproven", victim), mine.privateKey)).rejects.toMatchObject({
      code: "UNAUTHENTICATED",
      message: expect.stringContaining("signature"),
    });
    await expect(workerApi().register(registration("unsigned", victim), undefined)).rejects.toMatchObject({
      code: "UNAUTHENTICATED",
    });
    expect(await refusals("unproven")).toHaveLength(1);
  });

  it("refuses worker calls without the worker's current session", async () => {
    const key = generateSigningKey();
    const first = workerApi();
    await first.register(registration("sessions", key), key.privateKey);
    expect(await first.heartbeat("sessions", [])).toEqual({ cancelRunIds: [] });
    // The worker token alone (a stolen worker id) is not enough.
    const thief = workerApi();
    await expect(thief.heartbeat("sessions", [])).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
    await expect(thief.claimRun({ runId: "r", workerId: "sessions", deliveryCount: 1 })).rejects.toMatchObject({
      code: "UNAUTHENTICATED",
    });
    // A session speaks for its own worker only.
    const other = generateSigningKey();
    const neighbour = workerApi();
    await neighbour.register(registration("neighbour", other), other.privateKey);
    await expect(neighbour.heartbeat("sessions", [])).rejects.toMatchObject({
      code: "UNAUTHENTICATED",
      message: expect.stringContaining("may not act as worker sessions"),
    });
    // A new registration replaces the previous session.
    const restarted = workerApi();
    await restarted.register(registration("sessions", key), key.privateKey);
    expect(await restarted.heartbeat("sessions", [])).toEqual({ cancelRunIds: [] });
    await expect(first.heartbeat("sessions", [])).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
  });

  it("lets only the worker holding an attempt use its lease, even with the lease token", async () => {
    const holderKey = generateSigningKey();
    const holder = workerApi();
    await holder.register(registration("holder", holderKey), holderKey.privateKey);
    const { run } = await node.client.dispatch({
      task: "true",
      agent: "shell",
      isolate: false,
      mode: "build",
      model: "",
      submitter: "t",
      safety: "",
      workspace: await uploadedWorkspace(node.client),
    });
    const runId = run?.id ?? "";
    const claim = await holder.claimRun({ runId, workerId: "holder", deliveryCount: 1 });
    const lease = claim.spec?.lease ?? { runId, attempt: 1, leaseToken: "" };
    // Another registered worker with its own valid session, and the lease token (leaked, say).
    const thiefKey = generateSigningKey();
    const thief = workerApi();
    await thief.register(registration("thief", thiefKey), thiefKey.privateKey);
    const refused = { code: "UNAUTHENTICATED", message: expect.stringContaining("held by another worker") };
    const at = new Date().toISOString();
    await expect(thief.reportEvents(lease, [{ at, kind: "stdout", text: "forged" }])).rejects.toMatchObject(refused);
    await expect(thief.fetchBlob(lease, `sha256:${"0".repeat(64)}`)).rejects.toMatchObject(refused);
    await expect(
      thief.completeRun({
        lease,
        status: "done",
        hasExitCode: true,
        exitCode: 0,
        error: "",
        outputTail: "forged",
        startedAt: "",
        finishedAt: at,
        costUsd: 0,
        patch: undefined,
        imageDigest: "",
        inputTokens: 0,
        outputTokens: 0,
        receiptEnvelope: "",
      }),
    ).rejects.toMatchObject(refused);
    // The holder's own calls go through, and the run is still its own.
    expect(await holder.reportEvents(lease, [{ at, kind: "stdout", text: "real" }])).toBe(false);
    expect(await node.client.getRun(runId)).toMatchObject({ status: "running", workerId: "holder" });
  });

  it("keeps a revoked worker id out, with any key, until an admin readmits it", async () => {
    const key = generateSigningKey();
    const api = workerApi();
    await api.register(registration("revoked", key), key.privateKey);
    await node.client.revokeKey(key.keyId, "admin");
    // Its session ends with the key.
    await expect(api.heartbeat("revoked", [])).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
    await expect(workerApi().register(registration("revoked", key), key.privateKey)).rejects.toMatchObject({
      code: "UNAUTHENTICATED",
      message: expect.stringContaining("was revoked"),
    });
    const fresh = generateSigningKey();
    await expect(workerApi().register(registration("revoked", fresh), fresh.privateKey)).rejects.toMatchObject({
      code: "UNAUTHENTICATED",
      message: expect.stringContaining("pancode keys readmit revoked"),
    });

    expect(await node.client.readmitWorker("revoked", "admin")).toEqual({
      workerId: "revoked",
      revokedKeyId: key.keyId,
    });
    const readmitted = (await node.client.listAudit({ category: "worker" })).find((e) => e.action === "readmitted");
    expect(readmitted).toMatchObject({ actor: "admin", message: expect.stringContaining(key.keyId) });
    // The revoked key stays refused; a new key binds.
    await expect(workerApi().register(registration("revoked", key), key.privateKey)).rejects.toMatchObject({
      code: "UNAUTHENTICATED",
    });
    const back = workerApi();
    await back.register(registration("revoked", fresh), fresh.privateKey);
    expect(await back.heartbeat("revoked", [])).toEqual({ cancelRunIds: [] });
  });
});
