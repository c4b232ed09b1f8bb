import { randomUUID } from "node:crypto";
import { describe, expect, test } from "vitest";
import type { Database } from "./database.js";
import { dbTargets, newRun, openPerTest } from "./fixtures/targets.js";

describe.each(dbTargets())("store on $name", (target) => {
  let db: Database;
  openPerTest(target, (opened) => {
    db = opened;
  });

  test("insertRun, getRun, listRuns newest first, duplicate id is ALREADY_EXISTS", async () => {
    // Far-future creation times make these the newest rows even when other tests share the database.
    const base = Date.parse("2100-01-01T00:00:00Z") + Math.floor(Math.random() * 1e9);
    const inserted = [];
    for (let i = 0; i < 3; i++) inserted.push(await db.insertRun(newRun({ createdAt: new Date(base + i * 1000) })));
    const [oldest, , newest] = inserted;
    if (!oldest || !newest) throw new Error("inserts failed");
    expect(oldest).toMatchObject({
      status: "pending",
      attempt: 0,
      costUsd: 0,
      patchBytes: 0,
      patchFiles: [],
      busSeq: null,
    });
    expect(oldest.spec.agent.name).toBe("pi");
    expect(await db.getRun(oldest.id)).toEqual(oldest);
    expect(await db.getRun(randomUUID())).toBeUndefined();

    const listed = await db.listRuns({ limit: 3 });
    expect(listed.map((r) => r.id)).toEqual(inserted.map((r) => r.id).reverse());
    await expect(db.insertRun(newRun({ id: oldest.id }))).rejects.toMatchObject({ code: "ALREADY_EXISTS" });
  });

  test("listActiveRuns returns pending and running runs, not ended ones", async () => {
    const pending = await db.insertRun(newRun());
    const running = await db.insertRun(newRun());
    const ended = await db.insertRun(newRun());
    await db.claimRun({ runId: running.id, workerId: "w1", leaseToken: "t", leaseMs: 30_000 });
    await db.finishRun({ runId: ended.id, status: "interrupted", error: "stopped", onlyIf: ["pending"] });
    const active = new Map((await db.listActiveRuns()).map((r) => [r.id, r.status]));
    expect(active.get(pending.id)).toBe("pending");
    expect(active.get(running.id)).toBe("running");
    expect(active.has(ended.id)).toBe(false);
  });

  test("findRunsByPrefix matches id prefixes literally", async () => {
    const stem = randomUUID().slice(0, 8);
    const a = await db.insertRun(newRun({ id: `${stem}-aaaa` }));
    const b = await db.insertRun(newRun({ id: `${stem}-aabb` }));
    expect((await db.findRunsByPrefix(`${stem}-aa`)).map((r) => r.id).sort()).toEqual([a.id, b.id].sort());
    expect((await db.findRunsByPrefix(`${stem}-aab`)).map((r) => r.id)).toEqual([b.id]);
    expect(await db.findRunsByPrefix(`${stem}-a`, 1)).toHaveLength(1);
    // "_" and "%" are LIKE wildcards; a typed prefix must not treat them so.
    expect(await db.findRunsByPrefix(`${stem}_`)).toEqual([]);
    expect(await db.findRunsByPrefix(`${stem}%`)).toEqual([]);
    expect(await db.findRunsByPrefix("")).toEqual([]);
  });

  test("a new run is the publisher's until markPublished records its message, once per generation", async () => {
    const run = await db.insertRun(newRun());
    expect(run).toMatchObject({ busSeq: null, publishedAt: null, publishCount: 0 });
    expect(run.unpublishedSince).toBeInstanceOf(Date);
    expect(await db.markPublished(run.id, 1, 9_007_199_254)).toBe(true);
    // The fast path and the reconciler racing on one generation: the second one records nothing.
    expect(await db.markPublished(run.id, 1, 12)).toBe(false);
    const published = await db.getRun(run.id);
    expect(published).toMatchObject({ busSeq: 9_007_199_254, publishCount: 1, unpublishedSince: null });
    expect(published?.publishedAt).toBeInstanceOf(Date);
    expect((await db.listPendingRuns(10_000)).some((r) => r.id === run.id)).toBe(true);
  });

  test("markPublishedMany records a burst of publishes in one statement, each run by the same generation rule", async () => {
    const [a, b, c] = [await db.insertRun(newRun()), await db.insertRun(newRun()), await db.insertRun(newRun())];
    if (!a || !b || !c) throw new Error("inserts failed");
    await db.markPublished(c.id, 2, 3);
    const recorded = await db.markPublishedMany([
      { runId: a.id, generation: 1, seq: 9_007_199_254 },
      { runId: b.id, generation: 1, seq: 41 },
      // Two publishes of one run in the burst: the newest generation is the one recorded.
      { runId: b.id, generation: 2, seq: 42 },
      // An older generation than the one recorded: nothing changes.
      { runId: c.id, generation: 1, seq: 99 },
    ]);
    expect([...recorded].sort()).toEqual([a.id, b.id].sort());
    expect(await db.getRun(a.id)).toMatchObject({ busSeq: 9_007_199_254, publishCount: 1, unpublishedSince: null });
    expect(await db.getRun(b.id)).toMatchObject({ busSeq: 42, publishCount: 2 });
    expect(await db.getRun(c.id)).toMatchObject({ busSeq: 3, publishCount: 2 });
    expect(await db.markPublishedMany([])).toEqual(new Set());
  });

  test("markUnpublished hands back only a pending run whose found generation is still current", async () => {
    const pending = await db.insertRun(newRun());
    await db.markPublished(pending.id, 1, 5);
    expect(await db.markUnpublished(pending.id, 0)).toBe(false);
    expect(await db.markUnpublished(pending.id, 1)).toBe(true);
    expect(await db.getRun(pending.id)).toMatchObject({ publishedAt: null, publishCount: 1 });
    // Already handed back: a second pass finding the same message gone changes nothing.
    expect(await db.markUnpublished(pending.id, 1)).toBe(false);

    const claimed = await db.insertRun(newRun());
    await db.markPublished(claimed.id, 1, 6);
    await db.claimRun({ runId: claimed.id, workerId: "w1", leaseToken: "t", leaseMs: 30_000 });
    expect(await db.markUnpublished(claimed.id, 1)).toBe(false);
    expect((await db.listPendingRuns(10_000)).some((r) => r.id === claimed.id)).toBe(false);
  });
  test("appendEvents assigns gap-free increasing seqs under concurrent appends", async () => {
    const run = await db.insertRun(newRun());
    const at = new Date();
    const batches = Array.from({ length: 20 }, (_, b) =>
      Array.from({ length: 5 }, (_, i) => ({ at, kind: "stdout", text: `b${b}-${i}` })),
    );
    const lastSeqs = await Promise.all(batches.map((events) => db.appendEvents(run.id, 1, events)));
    expect(Math.max(...lastSeqs)).toBe(100);
    expect(new Set(lastSeqs).size).toBe(20);

    const events = await db.listEvents(run.id, 0, 1000);
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    // Each batch got a contiguous block of seqs, in order.
    for (const e of events) {
      const [batch, index] = e.text.slice(1).split("-").map(Number);
      expect(e.seq).toBe((lastSeqs[batch ?? -1] ?? 0) - 4 + (index ?? 0));
    }
    expect(events[0]).toMatchObject({ runId: run.id, attempt: 1, kind: "stdout", at });

    expect((await db.listEvents(run.id, 95, 3)).map((e) => e.seq)).toEqual([96, 97, 98]);
    expect(await db.appendEvents(run.id, 1, [])).toBe(100);
    expect(await db.appendEvents(run.id, 2, [{ at, kind: "status", text: "running" }])).toBe(101);
    expect((await db.getRun(run.id))?.eventSeq).toBe(101);
    await expect(db.appendEvents(randomUUID(), 1, [{ at, kind: "log", text: "" }])).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
  });

  test("setReceipt stores the receipt and links the run in one step; it is found by id and by run id", async () => {
    const run = await db.insertRun(newRun());
    const receipt = { id: `rcpt-${randomUUID()}`, contentHash: `sha256:${"e".repeat(64)}`, body: '{"a":1}' };
    await db.setReceipt(run.id, receipt);
    await db.setReceipt(run.id, receipt);
    expect((await db.getRun(run.id))?.receiptId).toBe(receipt.id);
    const byId = await db.getReceipt(receipt.id);
    expect(byId).toMatchObject({ ...receipt, runId: run.id });
    expect(byId?.createdAt).toBeInstanceOf(Date);
    expect(await db.getReceipt(run.id)).toEqual(byId);
    expect(await db.getReceipt(randomUUID())).toBeUndefined();

    await expect(db.setReceipt(run.id, { ...receipt, id: "other" })).rejects.toMatchObject({ code: "ALREADY_EXISTS" });
    await expect(db.setReceipt(randomUUID(), { ...receipt, id: "x" })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  test("blobs and commits are idempotent: the first record wins", async () => {
    const digest = `sha256:${randomUUID().replace(/-/g, "").padEnd(64, "0")}`;
    expect(await db.hasBlob(digest)).toBe(false);
    await db.putBlob(digest, 5_000_000_000, "bundle");
    await db.putBlob(digest, 5_000_000_000, "bundle");
    expect(await db.hasBlob(digest)).toBe(true);

    const repoId = randomUUID();
    expect(await db.findCommit(repoId, "f".repeat(40))).toBeUndefined();
    await db.recordCommit(repoId, "f".repeat(40), digest);
    await db.recordCommit(repoId, "f".repeat(40), "sha256:other");
    expect(await db.findCommit(repoId, "f".repeat(40))).toEqual({ bundleDigest: digest });
  });

  test("workers: register, heartbeat, mark gone, refuse heartbeats until registered again", async () => {
    const id = `w-${randomUUID()}`;
    const t0 = new Date("2030-01-01T00:00:00Z");
    const mine = async () => (await db.listWorkers()).find((w) => w.id === id);
    expect(await db.heartbeatWorker(id, 0, t0)).toBe(false);

    await db.upsertWorker({ id, pool: "default", sandbox: "docker", capacity: 4, version: "0.1.0", at: t0 });
    expect(await mine()).toEqual({
      id,
      pool: "default",
      sandbox: "docker",
      capacity: 4,
      active: 0,
      version: "0.1.0",
      registeredAt: t0,
      lastHeartbeatAt: t0,
      status: "up",
    });
    const t1 = new Date(t0.getTime() + 5_000);
    expect(await db.heartbeatWorker(id, 2, t1)).toBe(true);
    expect(await mine()).toMatchObject({ active: 2, lastHeartbeatAt: t1 });

    expect((await db.markWorkersGone(t1)).map((w) => w.id)).not.toContain(id);
    const gone = await db.markWorkersGone(new Date(t1.getTime() + 1));
    expect(gone.find((w) => w.id === id)).toMatchObject({ status: "gone", active: 2 });
    expect(await db.heartbeatWorker(id, 1, new Date())).toBe(false);

    const t2 = new Date(t1.getTime() + 60_000);
    await db.upsertWorker({ id, pool: "gpu", sandbox: "process", capacity: 1, version: "0.2.0", at: t2 });
    expect(await mine()).toMatchObject({ pool: "gpu", sandbox: "process", status: "up", registeredAt: t2 });
    expect(await db.heartbeatWorker(id, 1, new Date(t2.getTime() + 1))).toBe(true);
  });
});
