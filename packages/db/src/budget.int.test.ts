import { randomUUID } from "node:crypto";
import { describe, expect, test } from "vitest";
import type { Database } from "./database.js";
import { dbTargets, newRun, openPerTest } from "./fixtures/targets.js";

// The PGlite target shares one database across the file, so every test works relative to the budget it finds.

describe.each(dbTargets())("budget on $name", (target) => {
  let db: Database;
  openPerTest(
    target,
    (opened) => {
      db = opened;
    },
    { budgetUsd: 10 },
  );

  /** Cents, so float sums in assertions cannot drift. */
  const cents = (usd: number) => Math.round(usd * 100);

  test("initBudget creates the row once; a ceiling set later survives another init", async () => {
    const before = await db.getBudget();
    expect(before.ceilingUsd).toBeGreaterThan(0);
    const set = await db.setBudgetCeiling(before.ceilingUsd + 15.25);
    expect(set.ceilingUsd).toBe(before.ceilingUsd + 15.25);
    expect((await db.initBudget(10)).ceilingUsd).toBe(before.ceilingUsd + 15.25);
    await expect(db.setBudgetCeiling(0)).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    await expect(db.setBudgetCeiling(-1)).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
  });

  test("100 concurrent reservations at a ceiling that admits 13 of 0.75: exactly 13 run, never over the ceiling", async () => {
    const start = await db.getBudget();
    // Room for 10.00 more: floor(10 / 0.75) = 13 reservations fit.
    const ceiling = (cents(start.spentUsd + start.reservedUsd) + 1000) / 100;
    await db.setBudgetCeiling(ceiling);
    const agent = `agent-${randomUUID()}`;
    let sampling = true;
    const samples: number[] = [];
    const sampler = (async () => {
      while (sampling) {
        const b = await db.getBudget();
        samples.push(cents(b.spentUsd + b.reservedUsd) - cents(b.ceilingUsd));
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    })();
    const results = await Promise.all(
      Array.from({ length: 100 }, () => db.insertRunWithReservation(newRun({ agent }), 0.75)),
    );
    sampling = false;
    await sampler;

    const admitted = results.filter((r) => r.ok);
    expect(admitted).toHaveLength(13);
    for (const r of admitted) expect(r.ok && r.run.reservedUsd).toBe(0.75);
    for (const r of results) if (!r.ok && "budget" in r) expect(r.budget.ceilingUsd).toBe(ceiling);
    const after = await db.getBudget();
    expect(cents(after.reservedUsd) - cents(start.reservedUsd)).toBe(13 * 75);
    expect(after.spentUsd + after.reservedUsd).toBeLessThanOrEqual(ceiling);
    expect(samples.every((over) => over <= 0)).toBe(true);
    // Refused dispatches left no run behind.
    const mine = (await db.listRuns({ limit: 1000 })).filter((r) => r.agent === agent);
    expect(mine).toHaveLength(13);
    // Release them so later tests start from a clean reservation.
    for (const r of mine)
      await db.finishRun({ runId: r.id, status: "interrupted", error: "test", onlyIf: ["pending"] });
    expect(cents((await db.getBudget()).reservedUsd)).toBe(cents(start.reservedUsd));
  });

  test("settlement moves the reservation to the actual cost exactly once, on completion and on finish", async () => {
    const start = await db.getBudget();
    await db.setBudgetCeiling(start.spentUsd + start.reservedUsd + 100);
    const agent = `agent-${randomUUID()}`;
    const reserved = await db.insertRunWithReservation(newRun({ agent, model: "m1" }), 0.75);
    if (!reserved.ok) throw new Error("reservation refused");
    expect(cents((await db.getBudget()).reservedUsd) - cents(start.reservedUsd)).toBe(75);

    const claim = await db.claimRun({ runId: reserved.run.id, workerId: "w1", leaseToken: "tok", leaseMs: 30_000 });
    if (!claim.ok) throw new Error("claim failed");
    const report = {
      runId: reserved.run.id,
      attempt: 1,
      leaseToken: "tok",
      status: "error" as const,
      exitCode: 1,
      error: "failed after spending",
      outputTail: "",
      finishedAt: new Date(),
      costUsd: 0.5,
      patch: null,
    };
    const done = await db.completeRun(report);
    expect(done.ok && done.run.reservedUsd).toBe(0);
    expect((await db.getRun(reserved.run.id))?.reservedUsd).toBe(0);
    const settled = await db.getBudget();
    expect(cents(settled.spentUsd) - cents(start.spentUsd)).toBe(50);
    expect(cents(settled.reservedUsd)).toBe(cents(start.reservedUsd));

    // A repeated completion and a late coordinator-side finish change nothing.
    expect(await db.completeRun(report)).toEqual({ ok: false, reason: "finished" });
    expect(
      await db.finishRun({ runId: reserved.run.id, status: "interrupted", error: "x", onlyIf: ["pending", "running"] }),
    ).toBeUndefined();
    expect(await db.getBudget()).toEqual(settled);

    // A pending run interrupted by the coordinator spent nothing: its reservation is released.
    const pending = await db.insertRunWithReservation(newRun({ agent, model: "m2" }), 0.25);
    if (!pending.ok) throw new Error("reservation refused");
    const ended = await db.finishRun({
      runId: pending.run.id,
      status: "interrupted",
      error: "stop",
      onlyIf: ["pending"],
    });
    expect(ended?.reservedUsd).toBe(0);
    expect(await db.getBudget()).toEqual(settled);

    // Estimates: same agent and model, else the agent's average; never-run agents have none.
    expect(await db.estimateRunCost(agent, "m1")).toBe(0.5);
    expect(await db.estimateRunCost(agent, "m3")).toBe(0.25);
    expect(await db.estimateRunCost(`agent-${randomUUID()}`, "m1")).toBeNull();
  });

  test("a refused reservation leaves nothing, and a taken id is ALREADY_EXISTS with the budget unchanged", async () => {
    const start = await db.getBudget();
    const ceiling = (cents(start.spentUsd + start.reservedUsd) + 100) / 100;
    await db.setBudgetCeiling(ceiling);
    const run = newRun();
    const refused = await db.insertRunWithReservation(run, 1.01);
    expect(refused).toMatchObject({ ok: false, budget: { ceilingUsd: ceiling } });
    expect(await db.getRun(run.id)).toBeUndefined();
    const ok = await db.insertRunWithReservation(run, 1);
    expect(ok.ok).toBe(true);
    const before = await db.getBudget();
    await expect(db.insertRunWithReservation(run, 0)).rejects.toMatchObject({ code: "ALREADY_EXISTS" });
    expect(await db.getBudget()).toEqual(before);
    await db.finishRun({ runId: run.id, status: "interrupted", error: "test", onlyIf: ["pending"] });
  });
});
