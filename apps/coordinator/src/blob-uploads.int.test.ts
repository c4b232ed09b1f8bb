import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EMPTY_DIGEST } from "@pancode/core";
import { type Database, openDatabase } from "@pancode/db";
import { type BlobSource, CHUNK_BYTES } from "@pancode/proto";
import type { SigningKey } from "@pancode/receipts";
import { freshDatabaseUrl, type PostgresServer, startPostgres } from "@pancode/testing/postgres";
import { signedStatement } from "@pancode/testing/worker-receipts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type CoordinatorNode,
  registerTestWorker,
  startCoordinatorNode,
  TEST_COMMIT,
} from "./fixtures/coordinator-node.js";

// Uploads go to disk as they arrive and come back from disk: against real Postgres and the real gRPC clients,
// with what a client can get wrong (a lying header, too many bytes, a connection dropped halfway) and a blob big
// enough that holding it whole would show.

const MIB = CHUNK_BYTES;
const LIMIT = 80 * MIB;

let pg: PostgresServer;
let dataDir: string;
let node: CoordinatorNode;
let db: Database;
let workerKey: SigningKey;

beforeAll(async () => {
  pg = await startPostgres();
  dataDir = await mkdtemp(join(tmpdir(), "pancode-blobs-"));
  const url = await freshDatabaseUrl(pg.url);
  node = await startCoordinatorNode({
    PANCODE_DATA_DIR: dataDir,
    DATABASE_URL: url,
    // The on-disk store, whose temp files these tests watch (postgres-blob-store.int.test.ts covers the shared one).
    PANCODE_BLOB_STORE: "file",
    PANCODE_MAX_WORKSPACE_BYTES: String(LIMIT),
  });
  db = await openDatabase({ url });
  workerKey = await registerTestWorker(node.worker, { workerId: "wa", capacity: 1 });
});

afterAll(async () => {
  await db?.close();
  await node?.close();
  await pg?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/** Every file under the coordinator's blob directory (stored blobs and uploads in progress). */
async function blobFiles(): Promise<string[]> {
  const entries = await readdir(join(dataDir, "blobs"), { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

/** `mib` MiB of random-looking bytes made chunk by chunk (never whole in this process), with their digest. */
function generated(mib: number): BlobSource {
  const block = randomBytes(MIB);
  const chunk = (i: number): Buffer => {
    const c = Buffer.from(block);
    c.writeUInt32BE(i, 0);
    return c;
  };
  const hash = createHash("sha256");
  for (let i = 0; i < mib; i++) hash.update(chunk(i));
  return {
    digest: `sha256:${hash.digest("hex")}`,
    size: mib * MIB,
    async *chunks() {
      for (let i = 0; i < mib; i++) yield chunk(i);
    },
  };
}

/** The sha256 and size of a stream of chunks. */
async function digestOf(chunks: AsyncIterable<Uint8Array>): Promise<{ digest: string; size: number }> {
  const hash = createHash("sha256");
  let size = 0;
  for await (const c of chunks) {
    hash.update(c);
    size += c.length;
  }
  return { digest: `sha256:${hash.digest("hex")}`, size };
}

describe("uploads that must leave nothing behind", () => {
  it("an upload the client abandons halfway leaves no file in the blob directory and no row", async () => {
    const before = await blobFiles();
    const whole = generated(8);
    const abandoned: BlobSource = {
      ...whole,
      async *chunks() {
        let sent = 0;
        for await (const c of whole.chunks()) {
          if (++sent > 4) {
            // Only once the coordinator holds part of it on disk does the client go away.
            await expect.poll(async () => (await blobFiles()).some((f) => f.includes("incoming"))).toBe(true);
            throw new Error("client went away");
          }
          yield c;
        }
      },
    };
    await expect(node.client.uploadBlobFrom("bundle", abandoned)).rejects.toThrow(/client went away/);
    // The coordinator notices the cancelled stream on its own schedule; the temp file must go when it does.
    await expect.poll(blobFiles, { timeout: 10_000 }).toEqual(before);
    expect(await db.hasBlob(whole.digest)).toBe(false);
  });

  it("refuses an upload announced over the limit before reading it, naming the limit and its setting", async () => {
    const big = { ...generated(1), size: LIMIT + 1 };
    const err = await node.client.uploadBlobFrom("bundle", big).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "WORKSPACE_TOO_LARGE" });
    expect((err as Error).message).toContain(`over the limit of ${LIMIT} bytes (raise PANCODE_MAX_WORKSPACE_BYTES`);
    expect(await db.hasBlob(big.digest)).toBe(false);
  });

  it("stops reading an upload at its announced size when more bytes come, and keeps nothing", async () => {
    const before = await blobFiles();
    const real = generated(6);
    const lying = { ...real, size: 2 * MIB };
    await expect(node.client.uploadBlobFrom("state", lying)).rejects.toThrow(/sent more than its announced 2097152/);
    await expect.poll(blobFiles, { timeout: 10_000 }).toEqual(before);
    expect(await db.hasBlob(real.digest)).toBe(false);
  });

  it("refuses bytes that do not hash to the announced digest, and keeps nothing", async () => {
    const before = await blobFiles();
    const claimed = generated(3);
    const other = generated(3);
    const forged: BlobSource = { ...claimed, chunks: () => other.chunks() };
    await expect(node.client.uploadBlobFrom("state", forged)).rejects.toMatchObject({ code: "DIGEST_MISMATCH" });
    expect(await blobFiles()).toEqual(before);
    expect(await db.hasBlob(claimed.digest)).toBe(false);
    expect(await db.hasBlob(other.digest)).toBe(false);
  });
});

describe("a 64 MiB blob", () => {
  it("round-trips byte-identical: client upload -> worker FetchBlob, worker UploadPatch -> client FetchPatch", async () => {
    const bundle = generated(64);
    expect(await node.client.uploadBlobFrom("bundle", bundle)).toEqual({ digest: bundle.digest, size: bundle.size });
    expect(await db.hasBlob(bundle.digest)).toBe(true);
    const { run } = await node.client.dispatch({
      task: "true",
      agent: "shell",
      isolate: false,
      mode: "build",
      model: "",
      submitter: "t",
      safety: "full-auto",
      workspace: {
        repoId: "big",
        baseCommit: TEST_COMMIT,
        bundleDigest: bundle.digest,
        stateDigest: EMPTY_DIGEST,
        stateTree: TEST_COMMIT,
      },
    });
    const runId = run?.id ?? "";
    const claim = await node.worker.claimRun({ runId, workerId: "wa", deliveryCount: 1 });
    const lease = claim.spec?.lease ?? { runId, attempt: 0, leaseToken: "" };
    expect(await digestOf(node.worker.fetchBlobChunks(lease, bundle.digest))).toEqual({
      digest: bundle.digest,
      size: bundle.size,
    });

    const patch = randomBytes(64 * MIB);
    const ref = await node.worker.uploadPatch(lease, patch);
    const facts = {
      status: "done",
      hasExitCode: true,
      exitCode: 0,
      error: "",
      outputTail: "",
      startedAt: "",
      finishedAt: new Date().toISOString(),
      costUsd: 0,
      patch: {
        digest: ref.digest,
        bytes: ref.size,
        files: [{ path: "big.bin", status: "added", oldPath: "", binary: true }],
      },
      imageDigest: "",
      inputTokens: 0,
      outputTokens: 0,
    };
    // A completion naming a patch that was never uploaded is refused, and ends nothing.
    const missing = { ...facts, patch: { ...facts.patch, digest: `sha256:${"0".repeat(64)}` } };
    const unsent = signedStatement(claim.spec, missing, "wa", workerKey);
    await expect(node.worker.completeRun({ ...missing, lease, receiptEnvelope: unsent })).rejects.toThrow(
      "was not uploaded before completion",
    );
    const envelope = signedStatement(claim.spec, facts, "wa", workerKey);
    expect(await node.worker.completeRun({ ...facts, lease, receiptEnvelope: envelope })).toMatchObject({
      accepted: true,
    });
    const parts: Uint8Array[] = [];
    for await (const c of node.client.fetchPatchChunks(runId)) parts.push(c);
    expect(Buffer.concat(parts).equals(patch)).toBe(true);
  });
});
