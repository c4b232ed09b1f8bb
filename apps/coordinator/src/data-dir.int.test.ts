import { chmod, mkdir, mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadOrCreateSigningKey } from "@pancode/receipts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CoordinatorNode, startCoordinatorNode } from "./fixtures/coordinator-node.js";

// The coordinator's data dir holds tokens, its receipt key, workspace and patch blobs and the embedded database:
// nothing of it is for other users of the host. A data dir left world-readable by an older version is tightened.

let root: string;
let dataDir: string;
let node: CoordinatorNode | undefined;

const modeOf = async (path: string) => (await stat(path)).mode & 0o777;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "pancode-datadir-"));
  dataDir = join(root, "data");
  // As an older version (default umask) left it.
  await mkdir(join(dataDir, "blobs"), { recursive: true });
  await chmod(dataDir, 0o755);
  await chmod(join(dataDir, "blobs"), 0o755);
  await loadOrCreateSigningKey(join(dataDir, "keys", "coordinator.pem"));
  await chmod(join(dataDir, "keys"), 0o755);
  await chmod(join(dataDir, "keys", "coordinator.pem"), 0o644);
  await writeFile(join(dataDir, "client.token"), "old-token\n", { mode: 0o644 });
  node = await startCoordinatorNode({ PANCODE_DATA_DIR: dataDir });
});

afterAll(async () => {
  await node?.close();
  await rm(root, { recursive: true, force: true });
});

describe("the coordinator's data dir", () => {
  it("is owner-only: dirs 0700, keys, tokens and blobs 0600, existing ones tightened at start", async () => {
    expect(await modeOf(dataDir)).toBe(0o700);
    expect(await modeOf(join(dataDir, "blobs"))).toBe(0o700);
    expect(await modeOf(join(dataDir, "pglite"))).toBe(0o700);
    expect(await modeOf(join(dataDir, "keys"))).toBe(0o700);
    expect(await modeOf(join(dataDir, "keys", "coordinator.pem"))).toBe(0o600);
    for (const token of ["client.token", "worker.token", "run-token.secret"]) {
      expect(await modeOf(join(dataDir, token)), token).toBe(0o600);
    }
    const ref = await node?.client.uploadBlob("bundle", Buffer.from("the submitter's code"));
    const hex = (ref?.digest ?? "").slice("sha256:".length);
    const shard = join(dataDir, "blobs", "sha256", hex.slice(0, 2));
    expect(await modeOf(shard)).toBe(0o700);
    expect(await modeOf(join(shard, hex))).toBe(0o600);
    expect(await readdir(shard)).toEqual([hex]);
  });
});
