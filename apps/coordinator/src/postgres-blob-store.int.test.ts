import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sha256Digest } from "@pancode/core";
import { type Database, openDatabase } from "@pancode/db";
import { CHUNK_BYTES } from "@pancode/proto";
import { freshDatabaseUrl, type PostgresServer, startPostgres } from "@pancode/testing/postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FileBlobStore } from "./blob-store.js";
import { PostgresBlobStore } from "./postgres-blob-store.js";

// Blobs in Postgres, as every coordinator replica shares them: two stores with their own local dirs on one database.

let pg: PostgresServer;
let db: Database;
let dirs: string[];
let a: PostgresBlobStore;
let b: PostgresBlobStore;

beforeAll(async () => {
  pg = await startPostgres();
  db = await openDatabase({ url: await freshDatabaseUrl(pg.url) });
  dirs = [await mkdtemp(join(tmpdir(), "pancode-pgblob-a-")), await mkdtemp(join(tmpdir(), "pancode-pgblob-b-"))];
  a = new PostgresBlobStore(db, new FileBlobStore(dirs[0] ?? ""));
  b = new PostgresBlobStore(db, new FileBlobStore(dirs[1] ?? ""));
});

afterAll(async () => {
  await db?.close();
  await pg?.stop();
  for (const dir of dirs ?? []) await rm(dir, { recursive: true, force: true });
});

const limits = { limitSetting: "PANCODE_MAX_WORKSPACE_BYTES" };

/** `count` chunks of 256 KiB of random bytes, made as they are read (the whole is never built here). */
function streamed(count: number, seed: Buffer): { chunks: () => AsyncGenerator<Uint8Array>; digest: string } {
  const piece = (i: number) => createHash("sha512").update(seed).update(String(i)).digest();
  const chunkOf = (i: number) => Buffer.concat(Array.from({ length: 4096 }, (_, j) => piece(i * 4096 + j)));
  const hash = createHash("sha256");
  for (let i = 0; i < count; i++) hash.update(chunkOf(i));
  return {
    digest: `sha256:${hash.digest("hex")}`,
    async *chunks() {
      for (let i = 0; i < count; i++) yield chunkOf(i);
    },
  };
}

describe("PostgresBlobStore", () => {
  it("stores a 5 MiB upload in 1 MiB rows as it streams, and another replica streams it back in rows", async () => {
    const blob = streamed(20, randomBytes(8));
    const size = 20 * 256 * 1024;
    await a.write({ digest: blob.digest, size, maxBytes: size, ...limits }, blob.chunks());
    const content = await db.getBlobContent(blob.digest);
    expect(content).toMatchObject({ bytes: size, chunks: 5 });
    const source = await b.source(blob.digest);
    const hash = createHash("sha256");
    let largest = 0;
    for await (const chunk of source.chunks()) {
      hash.update(chunk);
      largest = Math.max(largest, chunk.length);
    }
    expect(`sha256:${hash.digest("hex")}`).toBe(blob.digest);
    expect(largest).toBe(CHUNK_BYTES);
    // The other replica's git reads a local copy, checked on the way in.
    const file = await b.file(blob.digest);
    expect(sha256Digest(await readFile(file))).toBe(blob.digest);
  });

  it("keeps nothing of an upload whose digest does not check out or whose sender goes away", async () => {
    const wrong = sha256Digest("something else");
    await expect(
      a.write(
        { digest: wrong, size: 5, maxBytes: 5, ...limits },
        (async function* () {
          yield Buffer.from("hello");
        })(),
      ),
    ).rejects.toThrow();
    expect(await b.has(wrong)).toBe(false);
    const half = sha256Digest("half of it");
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield Buffer.alloc(CHUNK_BYTES + 10);
      throw new Error("sender went away");
    }
    await expect(
      a.write({ digest: half, size: 3 * CHUNK_BYTES, maxBytes: 4 * CHUNK_BYTES, ...limits }, failing()),
    ).rejects.toThrow(/sender went away/);
    expect(await b.has(half)).toBe(false);
    // Its first full row was written while streaming, and removed with the failure.
    expect(await db.removeBlobLeftovers(new Date(Date.now() + 60_000))).toBe(0);
  });

  it("stores the same bytes once when two replicas receive them at once", async () => {
    const data = randomBytes(3000);
    const digest = sha256Digest(data);
    await Promise.all([a.put(digest, data), b.put(digest, data)]);
    expect((await b.get(digest)).equals(data)).toBe(true);
    // The loser's rows were dropped: nothing is left that no blob names.
    expect(await db.removeBlobLeftovers(new Date(Date.now() + 60_000))).toBe(0);
  });

  it("answers NOT_FOUND for a blob nobody stored", async () => {
    await expect(b.source(sha256Digest("never"))).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});
