import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { sha256Digest } from "@pancode/core";
import { type Cluster, startCluster } from "@pancode/testing/cluster";
import { createRepo, type FixtureRepo } from "@pancode/testing/git";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// Signed receipts end to end: the worker that ran the task signs the statement, the coordinator countersigns, and
// an auditor verifies online, then offline with only the exported envelope and the cluster's public keys.

let cluster: Cluster;
let repo: FixtureRepo;

beforeAll(async () => {
  cluster = await startCluster({ workers: 1 });
  repo = await createRepo({ files: { "a.txt": "foo\n" } });
});

afterAll(async () => {
  await repo?.cleanup();
  await cluster?.stop();
});

// No coordinator at all: nothing listens on port 9, so any call would fail.
const OFFLINE = { PANCODE_COORDINATOR: "127.0.0.1:9", PANCODE_TOKEN: "none" };

describe("pancode receipt", () => {
  it("verifies a run's receipt online and offline, and names what was tampered with", async () => {
    const dispatched = await cluster.cli(
      ["dispatch", "sed -i s/foo/bar/ a.txt", "--agent", "shell", "--wait", "--json"],
      {
        cwd: repo.dir,
      },
    );
    expect(dispatched.code).toBe(0);
    const run = JSON.parse(dispatched.stdout);
    expect(run.status).toBe("done");

    const online = await cluster.cli(["receipt", "verify", run.runId], { cwd: repo.dir });
    expect(online.stderr).toBe("");
    expect(online.stdout).toMatch(/^PASS /);
    expect(online.code).toBe(0);

    const list = await cluster.cli(["receipt", "--json"], { cwd: repo.dir });
    expect(JSON.parse(list.stdout).receipts[0]).toMatchObject({
      receiptId: run.receiptId,
      runId: run.runId,
      agent: "shell",
      status: "done",
    });

    const shown = await cluster.cli(["receipt", "show", run.runId, "--json"], { cwd: repo.dir });
    expect(shown.code).toBe(0);
    expect(JSON.stringify(JSON.parse(shown.stdout))).toContain(run.runId);

    const exported = await cluster.cli(["receipt", "export", run.receiptId], { cwd: repo.dir });
    expect(exported.code).toBe(0);
    const envelope = JSON.parse(exported.stdout);
    expect(envelope.payloadType).toBe("application/vnd.in-toto+json");
    expect(envelope.signatures).toHaveLength(2);
    const statement = JSON.parse(Buffer.from(envelope.payload, "base64").toString("utf8"));
    expect(statement.predicate).toMatchObject({ runId: run.runId, workerId: "w1", issuer: "worker", attempt: 1 });
    expect(statement.predicate.results.patchDigest).toBe(run.patch.digest);
    expect(statement.predicate.parameters.taskHash).toBe(sha256Digest("sed -i s/foo/bar/ a.txt"));

    const keys = await cluster.cli(["keys", "--json"], { cwd: repo.dir });
    expect(keys.code).toBe(0);
    const roles = JSON.parse(keys.stdout).keys.map((k: { role: string; ownerId: string }) => `${k.role}:${k.ownerId}`);
    expect(roles.sort()).toEqual(["coordinator:coordinator", "worker:w1"]);

    const receiptFile = join(repo.dir, "r.json");
    const keysFile = join(repo.dir, "keys.json");
    await writeFile(receiptFile, exported.stdout);
    await writeFile(keysFile, keys.stdout);
    const offline = await cluster.cli(["receipt", "verify", "--file", receiptFile, "--keys", keysFile], {
      cwd: repo.dir,
      env: OFFLINE,
    });
    expect(offline.stderr).toBe("");
    expect(offline.stdout).toMatch(/^PASS /);
    expect(offline.code).toBe(0);

    // One field of the payload edited: the statement no longer carries the signatures it claims.
    statement.predicate.results.exitCode = 1;
    const edited = { ...envelope, payload: Buffer.from(JSON.stringify(statement)).toString("base64") };
    await writeFile(receiptFile, JSON.stringify(edited));
    const tampered = await cluster.cli(["receipt", "verify", "--file", receiptFile, "--keys", keysFile], {
      cwd: repo.dir,
      env: OFFLINE,
    });
    expect(tampered.code).toBe(1);
    expect(tampered.stdout).toMatch(/^TAMPERED /);
    expect(tampered.stdout).toContain("worker signature");
    expect(tampered.stdout).toContain("coordinator signature");
    expect(JSON.parse(await readFile(receiptFile, "utf8")).signatures).toEqual(envelope.signatures);
  });

  // Last in this file: it revokes the worker's key, after which that worker's receipts no longer verify.
  it("revokes a worker's key: its receipts turn TAMPERED, and the coordinator's own key cannot be revoked", async () => {
    const [latest] = JSON.parse((await cluster.cli(["receipt", "--json"], { cwd: repo.dir })).stdout).receipts;
    const keys = JSON.parse((await cluster.cli(["keys", "--json"], { cwd: repo.dir })).stdout).keys as {
      keyId: string;
      role: string;
      revoked: boolean;
    }[];
    const workerKey = keys.find((k) => k.role === "worker")?.keyId ?? "";
    const coordinatorKey = keys.find((k) => k.role === "coordinator")?.keyId ?? "";

    const refused = await cluster.cli(["keys", "revoke", coordinatorKey], { cwd: repo.dir });
    expect(refused.code).toBe(4);
    expect(refused.stderr).toContain("the coordinator's signing key in use");
    const bad = await cluster.cli(["keys", "revoke", "abc"], { cwd: repo.dir });
    expect(bad.code).toBe(4);
    expect(bad.stderr).toContain("is not a key id");

    // A unique prefix is enough; revoking twice changes nothing.
    const prefix = workerKey.slice("sha256:".length, "sha256:".length + 12);
    const revoked = await cluster.cli(["keys", "revoke", prefix, "--json"], { cwd: repo.dir });
    expect(revoked.code).toBe(0);
    expect(JSON.parse(revoked.stdout)).toMatchObject({ keyId: workerKey, role: "worker", revoked: true });
    expect((await cluster.cli(["keys", "revoke", workerKey], { cwd: repo.dir })).code).toBe(0);
    const after = JSON.parse((await cluster.cli(["keys", "--json"], { cwd: repo.dir })).stdout).keys;
    expect(after.find((k: { keyId: string }) => k.keyId === workerKey).revoked).toBe(true);

    const audit = await cluster.cli(["audit", "keys", "--json"], { cwd: repo.dir });
    expect(audit.code).toBe(0);
    expect(JSON.stringify(JSON.parse(audit.stdout))).toContain(workerKey);

    const verify = await cluster.cli(["receipt", "verify", latest.receiptId], { cwd: repo.dir });
    expect(verify.code).toBe(1);
    expect(verify.stdout).toMatch(/^TAMPERED /);
    expect(verify.stdout).toContain("revoked");
  });
});
