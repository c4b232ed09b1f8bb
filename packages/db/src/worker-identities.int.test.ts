import { randomUUID } from "node:crypto";
import { describe, expect, test } from "vitest";
import type { Database } from "./database.js";
import { dbTargets, openPerTest } from "./fixtures/targets.js";

describe.each(dbTargets())("worker identities on $name", (target) => {
  let db: Database;
  openPerTest(target, (opened) => {
    db = opened;
  });

  const keyOf = () => `sha256:${randomUUID().replaceAll("-", "")}`;
  const recordWorkerKey = (keyId: string, ownerId: string) =>
    db.recordKey({ keyId, role: "worker", ownerId, publicKeyPem: "pem" });

  test("the first registration binds the id; the same key renews the session; another key is refused", async () => {
    const workerId = `w-${randomUUID()}`;
    const key = keyOf();
    expect(await db.bindWorkerIdentity({ workerId, keyId: key, sessionHash: "s1" })).toEqual({
      bound: true,
      firstTime: true,
    });
    expect(await db.bindWorkerIdentity({ workerId, keyId: key, sessionHash: "s2" })).toEqual({
      bound: true,
      firstTime: false,
    });
    expect(await db.getWorkerIdentity(workerId)).toMatchObject({ keyId: key, sessionHash: "s2", revokedAt: null });
    const other = await db.bindWorkerIdentity({ workerId, keyId: keyOf(), sessionHash: "s3" });
    expect(other).toMatchObject({ bound: false, reason: "other_key", identity: { keyId: key, sessionHash: "s2" } });
  });

  test("revoking the bound key revokes the identity until it is readmitted, with the audit entry", async () => {
    const workerId = `w-${randomUUID()}`;
    const key = keyOf();
    await recordWorkerKey(key, workerId);
    await db.bindWorkerIdentity({ workerId, keyId: key, sessionHash: "s1" });
    await db.revokeKey(key);
    expect((await db.getWorkerIdentity(workerId))?.revokedAt).toBeInstanceOf(Date);
    const fresh = keyOf();
    expect(await db.bindWorkerIdentity({ workerId, keyId: fresh, sessionHash: "s2" })).toMatchObject({
      bound: false,
      reason: "revoked",
    });
    const previous = await db.readmitWorker(workerId, (row) => ({
      category: "worker",
      action: "readmitted",
      actor: "admin",
      message: `readmitted ${workerId}`,
      data: { keyId: row?.keyId ?? "" },
    }));
    expect(previous).toMatchObject({ workerId, keyId: key });
    expect(await db.getWorkerIdentity(workerId)).toBeUndefined();
    const [entry] = await db.listAudit({ category: "worker", limit: 1 });
    expect(entry).toMatchObject({ action: "readmitted", message: `readmitted ${workerId}`, data: { keyId: key } });
    expect(await db.bindWorkerIdentity({ workerId, keyId: fresh, sessionHash: "s3" })).toEqual({
      bound: true,
      firstTime: true,
    });
  });
});
