import { freshDatabaseUrl, type PostgresServer, startPostgres } from "@pancode/testing/postgres";
import pg from "pg";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "vitest";
import type { Database } from "./database.js";
import { newRun } from "./fixtures/targets.js";
import { openDatabase } from "./open-database.js";
import { auditEntryHash } from "./queries/audit-hash.js";

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

  test("entries of awkward text are stored exactly as appended and returned, and the chain verifies", async () => {
    // Entries go in as one array parameter per column: quotes, backslashes, braces, commas, NULL-looking text and
    // non-ASCII must survive the array literal unchanged, a null run id must stay null.
    const awkward = ['say "hi", {now}', 'back\\slash \\" NULL', "NULL", "", "ünïcødé ✓ \n tab\t"];
    const appended = [];
    for (const [i, text] of awkward.entries()) {
      appended.push(
        await db.appendAudit({
          category: "dispatch",
          action: text || "empty",
          runId: i % 2 ? null : text,
          actor: text,
          gate: text,
          message: text,
          data: { text, list: [text, null, { 'k,"': text }] },
        }),
      );
    }
    expect(await db.verifyAudit()).toMatchObject({ ok: true, entries: awkward.length });
    const listed = (await db.listAudit({})).reverse();
    expect(listed).toEqual(appended);
    expect(listed.map((e) => e.message)).toEqual(awkward);
    expect(listed.map((e) => e.runId)).toEqual(awkward.map((text, i) => (i % 2 ? null : text)));
  });

  test("an edited entry is reported as edited, at its seq", async () => {
    await appendSome(5);
    await raw.query("update audit_log set message = 'nothing to see' where seq = 3");
    expect(await db.verifyAudit()).toMatchObject({ ok: false, seq: 3, reason: "edited", entries: 2 });
  });

  test("an edited entry whose hash was recomputed breaks the link of the next one", async () => {
    await appendSome(5);
    const [second] = await db.listAudit({ limit: 1, runId: "run-2" });
    if (!second) throw new Error("entry of run-2 missing");
    // The attacker rewrites entry 3 and gives it a hash that matches its new content.
    const forged = auditEntryHash({ ...second, message: "forged" });
    await raw.query("update audit_log set message = 'forged', hash = $1 where seq = $2", [forged, second.seq]);
    expect(await db.verifyAudit()).toMatchObject({ ok: false, seq: second.seq + 1, reason: "unlinked" });
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

  test("a state change and its audit entry commit together, or neither does", async () => {
    await db.initBudget(10);
    const run = newRun();
    const admitted = await db.insertRunWithReservation(run, 0.5, (r) => ({
      category: "dispatch",
      action: "admitted",
      runId: r.id,
      actor: r.submitter,
    }));
    expect(admitted.ok).toBe(true);
    const claim = await db.claimRun({
      runId: run.id,
      workerId: "w1",
      leaseToken: "t1",
      leaseMs: 60_000,
      audit: (r) => ({ category: "run", action: "started", runId: r.id, actor: r.workerId }),
    });
    expect(claim.ok).toBe(true);
    expect((await db.listAudit({ runId: run.id })).map((e) => e.action)).toEqual(["started", "admitted"]);

    // From here on every audit insert fails, as it would with a broken disk or a revoked grant.
    await raw.query(`create function refuse_audit() returns trigger language plpgsql as $$
      begin raise exception 'audit storage refused'; end $$`);
    await raw.query(
      "create trigger refuse_audit before insert on audit_log for each row execute function refuse_audit()",
    );

    const completion = {
      runId: run.id,
      attempt: 1,
      leaseToken: "t1",
      status: "done" as const,
      exitCode: 0,
      error: "",
      outputTail: "",
      finishedAt: new Date(),
      costUsd: 0.2,
      patch: null,
      audit: () => ({ category: "run" as const, action: "completed", runId: run.id }),
    };
    await expect(db.completeRun(completion)).rejects.toMatchObject({
      message: expect.stringMatching(/^audit trail: could not record run\/completed of run .*audit storage refused/),
    });
    // Nothing of the completion committed: still running, nothing settled.
    expect(await db.getRun(run.id)).toMatchObject({ status: "running", costUsd: 0 });
    expect(await db.getBudget()).toMatchObject({ spentUsd: 0, reservedUsd: 0.5 });

    const other = newRun();
    await expect(
      db.insertRunWithReservation(other, 0.5, (r) => ({ category: "dispatch", action: "admitted", runId: r.id })),
    ).rejects.toMatchObject({ code: "INTERNAL" });
    expect(await db.getRun(other.id)).toBeUndefined();
    expect((await db.getBudget()).reservedUsd).toBe(0.5);

    await expect(
      db.setBudgetCeiling(25, (from, row) => ({
        category: "budget",
        action: "ceiling_set",
        data: { from, to: row.ceilingUsd },
      })),
    ).rejects.toMatchObject({ message: expect.stringContaining("could not record budget/ceiling_set") });
    expect((await db.getBudget()).ceilingUsd).toBe(10);

    await raw.query("drop trigger refuse_audit on audit_log");
    expect(await db.completeRun(completion)).toMatchObject({ ok: true });
    expect((await db.listAudit({ runId: run.id })).map((e) => e.action)).toEqual(["completed", "started", "admitted"]);
    expect(await db.verifyAudit()).toMatchObject({ ok: true, entries: 3 });
  });

  test("several entries of one change, appended concurrently with other admissions, stay in order on a valid chain", async () => {
    await db.initBudget(100);
    const admit = (warnings: number) =>
      db.insertRunWithReservation(newRun(), 0.5, (r) => [
        { category: "dispatch", action: "admitted", runId: r.id, actor: r.submitter, data: { warnings } },
        ...Array.from({ length: warnings }, (_, i) => ({
          category: "safety" as const,
          action: "path_warning",
          runId: r.id,
          message: `warning ${i}`,
        })),
      ]);
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => admit(i % 4)));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(await db.verifyAudit()).toMatchObject({ ok: true, entries: 12 + 3 * (0 + 1 + 2 + 3) });
    for (const result of results) {
      if (!result.ok) continue;
      const entries = (await db.listAudit({ runId: result.run.id })).reverse();
      const warnings = Number((entries[0]?.data as { warnings?: number } | undefined)?.warnings);
      expect(entries.map((e) => e.action)).toEqual(["admitted", ...Array(warnings).fill("path_warning")]);
      expect(entries.map((e) => e.message).slice(1)).toEqual(
        Array.from({ length: warnings }, (_, i) => `warning ${i}`),
      );
      // One change's entries are contiguous: nothing of another admission lands between them.
      expect(entries.map((e) => e.seq - (entries[0]?.seq ?? 0))).toEqual(entries.map((_, i) => i));
    }
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
