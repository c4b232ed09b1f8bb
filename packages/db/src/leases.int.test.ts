import { randomUUID } from "node:crypto";
import type { PatchSummary } from "@pancode/core";
import { describe, expect, test } from "vitest";
import type { Database } from "./database.js";
import { dbTargets, newRun, openPerTest } from "./fixtures/targets.js";

const LEASE_MS = 30_000;

/** A clock just past every lease granted now. */
const afterLease = () => new Date(Date.now() + LEASE_MS + 1000);

describe.each(dbTargets())("run lifecycle on $name", (target) => {
  let db: Database;
  openPerTest(target, (opened) => {
    db = opened;
  });

  const claim = (runId: string, workerId: string, now?: Date) =>
    db.claimRun({ runId, workerId, leaseToken: `tok-${randomUUID()}`, leaseMs: LEASE_MS, now });

  const result = (runId: string, attempt: number, leaseToken: string, patch: PatchSummary | null = null) => ({
    runId,
    attempt,
    leaseToken,
    status: "done" as const,
    exitCode: 0,
    error: "",
    outputTail: `attempt ${attempt}`,
    finishedAt: new Date(),
    costUsd: 0.012345,
    patch,
  });

  test("claimRun twice supersedes attempt 1: its token is stale and changes nothing, attempt 2 completes", async () => {
    const run = await db.insertRun(newRun());
    expect(run).toMatchObject({ status: "pending", attempt: 0, workerId: "", leaseExpiresAt: null });

    const first = await claim(run.id, "w1");
    if (!first.ok) throw new Error("first claim failed");
    expect(first.run).toMatchObject({ status: "running", attempt: 1, workerId: "w1" });
    // While attempt 1's lease is alive, a duplicate delivery cannot take the run over.
    expect(await claim(run.id, "w2")).toEqual({ ok: false, reason: "busy" });
    // Once the lease expired (worker lost), the next claim supersedes attempt 1.
    const second = await claim(run.id, "w2", afterLease());
    if (!second.ok) throw new Error("second claim failed");
    expect(second.run).toMatchObject({ status: "running", attempt: 2, workerId: "w2" });
    expect(second.run.startedAt).toEqual(first.run.startedAt);

    expect(await db.checkLease(run.id, 1, first.run.leaseToken)).toBe("stale");
    expect(await db.checkLease(run.id, 2, second.run.leaseToken)).toBe("ok");
    const stale = await db.completeRun(result(run.id, 1, first.run.leaseToken));
    expect(stale).toEqual({ ok: false, reason: "stale" });
    // The attempt number alone is not enough: the token is the secret.
    expect(await db.checkLease(run.id, 2, "guessed")).toBe("stale");
    expect(await db.completeRun(result(run.id, 2, "guessed"))).toEqual({ ok: false, reason: "stale" });
    expect(await db.getRun(run.id)).toEqual(second.run);

    const patch = {
      digest: `sha256:${"d".repeat(64)}`,
      bytes: 123,
      files: [{ path: "a.txt", status: "added" as const, binary: false }],
    };
    const done = await db.completeRun(result(run.id, 2, second.run.leaseToken, patch));
    if (!done.ok) throw new Error(`attempt 2 did not complete: ${done.reason}`);
    expect(done.run).toMatchObject({
      status: "done",
      attempt: 2,
      exitCode: 0,
      outputTail: "attempt 2",
      costUsd: 0.012345,
      patchDigest: patch.digest,
      patchBytes: 123,
      patchFiles: patch.files,
      leaseExpiresAt: null,
      leaseToken: "",
    });
    expect(done.run.finishedAt).toBeInstanceOf(Date);
    expect(await db.getRun(run.id)).toEqual(done.run);
  });

  test("claimRun refuses a run whose attempts are used up ('exhausted')", async () => {
    const run = await db.insertRun(newRun());
    const first = await db.claimRun({
      runId: run.id,
      workerId: "w1",
      leaseToken: "t1",
      leaseMs: LEASE_MS,
      maxAttempts: 1,
    });
    expect(first.ok).toBe(true);
    const again = await db.claimRun({
      runId: run.id,
      workerId: "w2",
      leaseToken: "t2",
      leaseMs: LEASE_MS,
      maxAttempts: 1,
      now: afterLease(),
    });
    expect(again).toEqual({ ok: false, reason: "exhausted" });
  });

  test("completeRun twice: the second report is 'finished'; claims and leases of a finished run are refused", async () => {
    const run = await db.insertRun(newRun());
    const claimed = await claim(run.id, "w1");
    if (!claimed.ok) throw new Error("claim failed");
    const report = result(run.id, 1, claimed.run.leaseToken);
    expect((await db.completeRun(report)).ok).toBe(true);
    expect(await db.completeRun(report)).toEqual({ ok: false, reason: "finished" });
    expect(await claim(run.id, "w2")).toEqual({ ok: false, reason: "finished" });
    expect(await db.checkLease(run.id, 1, claimed.run.leaseToken)).toBe("finished");
  });

  test("claimRun appends the new attempt's status event in its transaction; a refused claim appends none", async () => {
    const run = await db.insertRun(newRun());
    const event = (r: { attempt: number; workerId: string }) => ({
      at: new Date(),
      kind: "status",
      text: `running: attempt ${r.attempt} on ${r.workerId}`,
    });
    const claimWith = (workerId: string, now?: Date) =>
      db.claimRun({ runId: run.id, workerId, leaseToken: `tok-${randomUUID()}`, leaseMs: LEASE_MS, now, event });
    const first = await claimWith("w1");
    expect(first.ok && first.run).toMatchObject({ attempt: 1, eventSeq: 1 });
    expect(await claimWith("w2")).toEqual({ ok: false, reason: "busy" });
    expect((await claimWith("w2", afterLease())).ok).toBe(true);
    const events = await db.listEvents(run.id, 0, 10);
    expect(events.map((e) => [e.seq, e.attempt, e.text])).toEqual([
      [1, 1, "running: attempt 1 on w1"],
      [2, 2, "running: attempt 2 on w2"],
    ]);
  });

  test("completeRun stores the status event and the receipt in its transaction; a stale report stores neither", async () => {
    const run = await db.insertRun(newRun());
    const first = await claim(run.id, "w1");
    if (!first.ok) throw new Error("claim failed");
    await db.appendEvents(run.id, 1, [{ at: new Date(), kind: "log", text: "working" }]);
    const second = await claim(run.id, "w2", afterLease());
    if (!second.ok) throw new Error("second claim failed");
    const receipt = (attempt: number) => ({
      id: `rcpt-${run.id}-${attempt}`,
      contentHash: `sha256:${attempt}`,
      body: "{}",
    });
    const ended = (attempt: number) => [{ at: new Date(), kind: "status", text: `done (exit 0) of ${attempt}` }];
    const stale = { ...result(run.id, 1, first.run.leaseToken), events: ended(1), receipt: receipt(1) };
    expect(await db.completeRun(stale)).toEqual({ ok: false, reason: "stale" });
    expect(await db.getReceipt(run.id)).toBeUndefined();

    const live = { ...result(run.id, 2, second.run.leaseToken), events: ended(2), receipt: receipt(2) };
    const done = await db.completeRun(live);
    expect(done.ok && done.run).toMatchObject({ status: "done", receiptId: `rcpt-${run.id}-2`, eventSeq: 2 });
    expect(await db.getReceipt(run.id)).toMatchObject({
      id: `rcpt-${run.id}-2`,
      runId: run.id,
      contentHash: "sha256:2",
    });
    const events = await db.listEvents(run.id, 0, 10);
    expect(events.map((e) => [e.seq, e.attempt, e.kind, e.text])).toEqual([
      [1, 1, "log", "working"],
      [2, 2, "status", "done (exit 0) of 2"],
    ]);
    // Events appended later keep counting from there.
    expect(await db.appendEvents(run.id, 2, [{ at: new Date(), kind: "log", text: "late" }])).toBe(3);
  });

  test("completeRun with a receipt the run cannot take (one is stored already) commits nothing", async () => {
    const run = await db.insertRun(newRun());
    const claimed = await claim(run.id, "w1");
    if (!claimed.ok) throw new Error("claim failed");
    await db.setReceipt(run.id, { id: `rcpt-${run.id}`, contentHash: "sha256:first", body: "{}" });
    const report = {
      ...result(run.id, 1, claimed.run.leaseToken),
      events: [{ at: new Date(), kind: "status", text: "done (exit 0)" }],
      receipt: { id: `rcpt-${run.id}-other`, contentHash: "sha256:other", body: "{}" },
    };
    await expect(db.completeRun(report)).rejects.toThrow();
    expect(await db.getRun(run.id)).toMatchObject({ status: "running", receiptId: `rcpt-${run.id}`, eventSeq: 0 });
    expect(await db.listEvents(run.id, 0, 10)).toEqual([]);
    expect(await db.getReceipt(run.id)).toMatchObject({ contentHash: "sha256:first" });
  });

  test("unknown runs: claim, complete and checkLease say not_found", async () => {
    const id = randomUUID();
    expect(await claim(id, "w1")).toEqual({ ok: false, reason: "not_found" });
    expect(await db.completeRun(result(id, 1, "t"))).toEqual({ ok: false, reason: "not_found" });
    expect(await db.checkLease(id, 1, "t")).toBe("not_found");
  });

  test("completeRun rejects a non-terminal status", async () => {
    const run = await db.insertRun(newRun());
    await expect(db.completeRun({ ...result(run.id, 1, "t"), status: "running" })).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
    });
  });

  test("concurrent completeRun: of two attempts only the live one wins; of duplicate reports exactly one", async () => {
    const run = await db.insertRun(newRun());
    const a1 = await claim(run.id, "w1");
    const a2 = await claim(run.id, "w2", afterLease());
    if (!a1.ok || !a2.ok) throw new Error("claims failed");
    const outcomes = await Promise.all([
      db.completeRun(result(run.id, 1, a1.run.leaseToken)),
      db.completeRun(result(run.id, 2, a2.run.leaseToken)),
    ]);
    expect(outcomes.filter((o) => o.ok)).toHaveLength(1);
    expect(outcomes[1]?.ok).toBe(true);

    const other = await db.insertRun(newRun());
    const c = await claim(other.id, "w1");
    if (!c.ok) throw new Error("claim failed");
    const dupes = await Promise.all(
      Array.from({ length: 5 }, () => db.completeRun(result(other.id, 1, c.run.leaseToken))),
    );
    expect(dupes.filter((o) => o.ok)).toHaveLength(1);
    expect(dupes.filter((o) => !o.ok && o.reason === "finished")).toHaveLength(4);
  });

  test("finishRun changes the status only when the current status is in onlyIf", async () => {
    const run = await db.insertRun(newRun());
    const refused = await db.finishRun({ runId: run.id, status: "interrupted", error: "lost", onlyIf: ["running"] });
    expect(refused).toBeUndefined();
    expect((await db.getRun(run.id))?.status).toBe("pending");

    const cancelled = await db.finishRun({
      runId: run.id,
      status: "interrupted",
      error: "cancelled",
      onlyIf: ["pending"],
    });
    expect(cancelled).toMatchObject({ status: "interrupted", error: "cancelled" });
    expect(cancelled?.finishedAt).toBeInstanceOf(Date);
    await expect(
      db.finishRun({ runId: run.id, status: "error", error: "x", onlyIf: ["interrupted"] }),
    ).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    expect(
      await db.finishRun({ runId: randomUUID(), status: "error", error: "x", onlyIf: ["pending"] }),
    ).toBeUndefined();
  });

  test("findExpiredLeases finds lost runs; requeueRun only while the attempt is current; renewLeases extends", async () => {
    const t0 = new Date("2030-01-01T00:00:00Z");
    const lost = await db.insertRun(newRun());
    const kept = await db.insertRun(newRun());
    const c1 = await claim(lost.id, "w1", t0);
    const c2 = await claim(kept.id, "w1", t0);
    if (!c1.ok || !c2.ok) throw new Error("claims failed");
    expect(c1.run.leaseExpiresAt).toEqual(new Date(t0.getTime() + LEASE_MS));

    const later = new Date(t0.getTime() + 20_000);
    expect(await db.renewLeases({ workerId: "w1", runIds: [kept.id], leaseMs: LEASE_MS, now: later })).toBe(1);
    expect(await db.renewLeases({ workerId: "other", runIds: [lost.id], leaseMs: LEASE_MS, now: later })).toBe(0);
    expect(await db.renewLeases({ workerId: "w1", runIds: [], leaseMs: LEASE_MS })).toBe(0);

    const ids = async (now: Date) =>
      (await db.findExpiredLeases(now)).map((r) => r.id).filter((id) => id === lost.id || id === kept.id);
    expect(await ids(new Date(t0.getTime() + LEASE_MS - 1))).toEqual([]);
    expect(await ids(new Date(t0.getTime() + LEASE_MS + 1))).toEqual([lost.id]);

    expect(await db.requeueRun(lost.id, 0)).toBe(false);
    expect(await db.requeueRun(lost.id, 1)).toBe(true);
    expect(await db.requeueRun(lost.id, 1)).toBe(false);
    const requeued = await db.getRun(lost.id);
    // The worker and token stay, so that worker may still deliver attempt 1's result until someone claims again.
    expect(requeued).toMatchObject({
      status: "pending",
      workerId: "w1",
      leaseToken: c1.run.leaseToken,
      leaseExpiresAt: null,
      attempt: 1,
    });
    expect(requeued?.startedAt).toEqual(c1.run.startedAt);
    expect(await db.checkLease(lost.id, 1, c1.run.leaseToken)).toBe("stale");

    const again = await claim(lost.id, "w2");
    expect(again.ok && again.run.attempt).toBe(2);
    // Once claimed again, the first worker's heartbeat no longer revives or extends anything.
    expect(await db.renewLeases({ workerId: "w1", runIds: [lost.id], leaseMs: LEASE_MS })).toBe(0);
  });

  test("a requeued attempt not claimed again: its worker's heartbeat revives it, and its result is accepted late", async () => {
    const revived = await db.insertRun(newRun());
    const late = await db.insertRun(newRun());
    const fresh = await db.insertRun(newRun());
    const r1 = await claim(revived.id, "w1");
    const l1 = await claim(late.id, "w1");
    if (!r1.ok || !l1.ok) throw new Error("claims failed");
    expect(await db.requeueRun(revived.id, 1)).toBe(true);
    expect(await db.requeueRun(late.id, 1)).toBe(true);

    // A never-claimed pending run is nobody's: a heartbeat naming it changes nothing.
    const ids = [revived.id, fresh.id];
    expect(await db.renewLeases({ workerId: "w1", runIds: ids, leaseMs: LEASE_MS })).toBe(1);
    expect(await db.getRun(revived.id)).toMatchObject({ status: "running", attempt: 1, workerId: "w1" });
    expect(await db.getRun(fresh.id)).toMatchObject({ status: "pending", workerId: "" });
    expect(await claim(revived.id, "w2")).toEqual({ ok: false, reason: "busy" });

    expect(await db.completeRun(result(late.id, 1, "guessed"))).toEqual({ ok: false, reason: "stale" });
    const done = await db.completeRun(result(late.id, 1, l1.run.leaseToken));
    expect(done.ok && done.run).toMatchObject({ status: "done", attempt: 1, workerId: "w1" });
    // The requeue is over: a redelivery of its message finds the run finished.
    expect(await claim(late.id, "w2")).toEqual({ ok: false, reason: "finished" });
  });
});
