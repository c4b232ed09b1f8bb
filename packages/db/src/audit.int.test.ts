import { freshDatabaseUrl, type PostgresServer, startPostgres } from "@pancode/testing/postgres";
import pg from "pg";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "vitest";
import type { Database } from "./database.js";
import { openDatabase } from "./open-database.js";

// Tampering is done the way an attacker with database access would: plain SQL on the table, outside the store.

describe("audit trail on postgres", () => {
  let server: PostgresServer;
  let url: string;
  let db: Database;
  let raw: pg.Client;
  beforeAll(async () => {
    server = await startPostgres();
  });
  afterAll(() => server.stop());
  beforeEach(async () => {
    url = await freshDatabaseUrl(server.url);
    db = await openDatabase({ url });
    raw = new pg.Client({ connectionString: url });
    await raw.connect();
  });
  afterEach(async () => {
    await raw.end();
    await db.close();
  });

  async function appendSome(n: number): Promise<void> {
    for (let i = 0; i < n; i++) {
      await db.appendAudit({
        category: i % 2 === 0 ? "dispatch" : "budget",
        action: i % 2 === 0 ? "admitted" : "ceiling_set",
        runId: i % 2 === 0 ? `run-${i}` : null,
        actor: "tester",
        message: `entry ${i}`,
        data: { i, nested: { b: 2, a: [1, "x", null] }, cost: 0.75 },
      });
    }
  }

  test("an untouched chain verifies; entries link and filters apply", async () => {
    expect(await db.verifyAudit()).toEqual({ ok: true, entries: 0, headHash: "" });
    await appendSome(6);
    const verdict = await db.verifyAudit();
    expect(verdict).toMatchObject({ ok: true, entries: 6 });
    const all = await db.listAudit({});
    expect(all.map((e) => e.seq)).toEqual([6, 5, 4, 3, 2, 1]);
    expect(all[5]?.prevHash).toBe("");
    expect(all[0]?.prevHash).toBe(all[1]?.hash);
    expect(all[0]?.hash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect((await db.listAudit({ category: "budget" })).map((e) => e.seq)).toEqual([6, 4, 2]);
    expect((await db.listAudit({ runId: "run-2" })).map((e) => e.seq)).toEqual([3]);
    expect((await db.listAudit({ limit: 2 })).map((e) => e.seq)).toEqual([6, 5]);
  });

  test("an edited entry is reported as edited, at its seq", async () => {
    await appendSome(5);
    await raw.query("update audit_log set message = 'nothing to see' where seq = 3");
    expect(await db.verifyAudit()).toMatchObject({ ok: false, seq: 3, reason: "edited", entries: 2 });
  });

  test("an edited entry whose hash was recomputed breaks the link of the next one", async () => {
    await appendSome(5);
    await raw.query("update audit_log set data = '{}'::jsonb, hash = 'sha256:' || repeat('0', 64) where seq = 2");
    const verdict = await db.verifyAudit();
    expect(verdict.ok).toBe(false);
    // Entry 2 no longer matches its content whichever hash it carries.
    expect(verdict).toMatchObject({ seq: 2, reason: "edited" });
  });

  test("a deleted entry is reported at the entry after the gap", async () => {
    await appendSome(5);
    await raw.query("delete from audit_log where seq = 3");
    const verdict = await db.verifyAudit();
    expect(verdict).toMatchObject({ ok: false, seq: 4, reason: "deleted", entries: 2 });
    if (!verdict.ok) expect(verdict.message).toContain("entry 3 is missing");
  });

  test("a deleted entry with the later seqs renumbered is reported as unlinked", async () => {
    await appendSome(4);
    await raw.query("delete from audit_log where seq = 2");
    await raw.query("update audit_log set seq = seq - 1 where seq > 2");
    expect(await db.verifyAudit()).toMatchObject({ ok: false, seq: 2, reason: "unlinked" });
  });

  test("50 concurrent appends from two connections pools form one gap-free valid chain", async () => {
    const other = await openDatabase({ url });
    try {
      await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          (i % 2 === 0 ? db : other).appendAudit({ category: "run", action: "started", runId: `r${i}`, data: { i } }),
        ),
      );
    } finally {
      await other.close();
    }
    expect(await db.verifyAudit()).toMatchObject({ ok: true, entries: 50 });
    const seqs = (await db.listAudit({ limit: 100 })).map((e) => e.seq).sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
  });
});

describe("audit trail on pglite", () => {
  test("concurrent appends form a valid chain and an unknown category is refused", async () => {
    const db = await openDatabase({});
    try {
      await Promise.all(
        Array.from({ length: 20 }, (_, i) => db.appendAudit({ category: "worker", action: "joined", actor: `w${i}` })),
      );
      expect(await db.verifyAudit()).toMatchObject({ ok: true, entries: 20 });
      await expect(db.appendAudit({ category: "nonsense" as "run", action: "x" })).rejects.toMatchObject({
        code: "INVALID_ARGUMENT",
      });
    } finally {
      await db.close();
    }
  });
});
