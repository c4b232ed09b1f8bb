import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { sha256Digest } from "@pancode/core";
// s3rver: an in-process S3-compatible server (no types shipped).
// @ts-expect-error -- untyped CommonJS module
import S3rver from "s3rver";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FileBlobStore } from "./blob-store.js";
import { S3_COMPATIBLE, S3BlobStore } from "./s3-blob-store.js";

// The S3 blob store against a real S3 protocol server on loopback (s3rver), two stores with their own local caches
// standing for two coordinator replicas.

let server: { run(): Promise<AddressInfo>; close(): Promise<void> };
let dirs: string[];
let s3: S3Client;
let a: S3BlobStore;
let b: S3BlobStore;
const at = { bucket: "pancode", prefix: "blobs/test" };
const limits = { limitSetting: "PANCODE_MAX_WORKSPACE_BYTES" };

beforeAll(async () => {
  dirs = await Promise.all(["s3", "a", "b"].map((n) => mkdtemp(join(tmpdir(), `pancode-s3-${n}-`))));
  server = new S3rver({
    address: "127.0.0.1",
    port: 0,
    silent: true,
    directory: dirs[0],
    configureBuckets: [{ name: at.bucket }],
  });
  const { port } = await server.run();
  s3 = new S3Client({
    ...S3_COMPATIBLE,
    region: "us-east-1",
    endpoint: `http://127.0.0.1:${port}`,
    credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
  });
  a = new S3BlobStore(s3, at, new FileBlobStore(dirs[1] ?? ""));
  b = new S3BlobStore(s3, at, new FileBlobStore(dirs[2] ?? ""));
});

afterAll(async () => {
  s3?.destroy();
  await server?.close();
  for (const dir of dirs ?? []) await rm(dir, { recursive: true, force: true });
});

async function keys(): Promise<string[]> {
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: at.bucket, Prefix: at.prefix }));
  return (listed.Contents ?? []).map((o) => o.Key ?? "");
}

describe("S3BlobStore", () => {
  it("streams a 12 MiB upload in multipart parts; another replica streams it back and gets a checked file", async () => {
    const parts = Array.from({ length: 12 }, () => randomBytes(1024 * 1024));
    const hash = createHash("sha256");
    for (const p of parts) hash.update(p);
    const digest = `sha256:${hash.digest("hex")}`;
    const size = 12 * 1024 * 1024;
    await a.write(
      { digest, size, maxBytes: size, ...limits },
      (async function* () {
        yield* parts;
      })(),
    );
    expect(await keys()).toEqual([`${at.prefix}/sha256/${digest.slice(7)}`]);
    const source = await b.source(digest);
    expect(source.size).toBe(size);
    const back = createHash("sha256");
    for await (const chunk of source.chunks()) back.update(chunk);
    expect(`sha256:${back.digest("hex")}`).toBe(digest);
    expect(sha256Digest(await readFile(await b.file(digest)))).toBe(digest);
  });

  it("keeps nothing of an upload whose digest is wrong or whose sender goes away", async () => {
    const before = await keys();
    const wrong = sha256Digest("not this");
    await expect(
      a.write(
        { digest: wrong, size: 5, maxBytes: 5, ...limits },
        (async function* () {
          yield Buffer.from("hello");
        })(),
      ),
    ).rejects.toThrow();
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield randomBytes(6 * 1024 * 1024);
      throw new Error("sender went away");
    }
    const half = sha256Digest("half");
    await expect(a.write({ digest: half, size: 8 * 1024 * 1024, maxBytes: 9e6, ...limits }, failing())).rejects.toThrow(
      /sender went away/,
    );
    expect(await b.has(wrong)).toBe(false);
    expect(await b.has(half)).toBe(false);
    expect(await keys()).toEqual(before);
  });

  it("answers NOT_FOUND for a blob nobody stored", async () => {
    await expect(b.source(sha256Digest("never"))).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});
