import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sha256Digest } from "@pancode/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FileBlobStore } from "./blob-store.js";

let root: string;
let store: FileBlobStore;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "pancode-blob-store-"));
  store = new FileBlobStore(root);
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function files(): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => e.name);
}

const limits = { maxBytes: 1024, limitSetting: "PANCODE_MAX_WORKSPACE_BYTES" };

describe("BlobStore.write", () => {
  it("refuses a blob announced over the limit before creating any file, naming the limit and its setting", async () => {
    const write = store.write({ digest: sha256Digest("x"), size: 1025, ...limits }, (async function* () {})());
    await expect(write).rejects.toThrow(
      /is 1025 bytes, over the limit of 1024 bytes \(raise PANCODE_MAX_WORKSPACE_BYTES to allow it\)/,
    );
    expect(await files()).toEqual([]);
  });

  it("removes the temp file when the source fails halfway", async () => {
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield Buffer.from("half");
      throw new Error("sender went away");
    }
    await expect(store.write({ digest: sha256Digest("half of it"), size: 10, ...limits }, failing())).rejects.toThrow(
      /sender went away/,
    );
    expect(await files()).toEqual([]);
    expect(await store.has(sha256Digest("half of it"))).toBe(false);
  });

  it("keeps a blob whose bytes check out, and streams it back", async () => {
    await store.put(sha256Digest("hello"), Buffer.from("hello"));
    const source = await store.source(sha256Digest("hello"));
    const parts: Uint8Array[] = [];
    for await (const c of source.chunks()) parts.push(c);
    expect({ size: source.size, text: Buffer.concat(parts).toString() }).toEqual({ size: 5, text: "hello" });
  });
});

describe("BlobStore.removeLeftovers", () => {
  it("removes temp files a crashed coordinator left, and keeps those of uploads that may still be running", async () => {
    const incoming = join(root, "incoming");
    await mkdir(incoming, { recursive: true });
    await writeFile(join(incoming, "old.part"), "x");
    await writeFile(join(incoming, "fresh.part"), "x");
    const twoHoursAgo = new Date(Date.now() - 2 * 3_600_000);
    await utimes(join(incoming, "old.part"), twoHoursAgo, twoHoursAgo);
    expect(await store.removeLeftovers()).toBe(1);
    expect(await readdir(incoming)).toEqual(["fresh.part"]);
  });
});
