import { randomUUID } from "node:crypto";
import { describe, expect, test } from "vitest";
import type { Database } from "./database.js";
import { dbTargets, newRun, openPerTest } from "./fixtures/targets.js";
import type { AdmissionOutcome, RunAdmission } from "./queries/admit-batch.js";
import type { NewRun } from "./rows.js";

// Group commit (admitRuns): batches of admissions in one transaction must keep every guarantee of admitting them
// one by one. The PGlite target shares one database across the file: every test uses its own team names.

describe.each(dbTargets())("admitRuns on $name", (target) => {
  let db: Database;
  openPerTest(
    target,
    (opened) => {
      db = opened;
    },
    { budgetUsd: 10 },
  );

  const cents = (usd: number) => Math.round(usd * 100);
  const admission = (row: NewRun, estimateUsd = 0.1): RunAdmission => ({
    row,
    estimateUsd,
    audit: (r) => [
      { category: "dispatch", action: "admitted", runId: r.id },
      { category: "safety", action: "path_warning", runId: r.id, message: "x" },
    ],
  });
  const admitted = (outcomes: AdmissionOutcome[]) =>
    outcomes.flatMap((o) => (o.status === "fulfilled" && o.value.ok ? [o.value.run] : []));

  test("concurrent batches of several teams never pass a team's or the cluster's ceiling, and fill both exactly", async () => {
    const capped = `capped-${randomUUID()}`;
    const open = `open-${randomUUID()}`;
    const start = await db.getBudget();
    // Cluster room for 20 runs of 0.10; the capped team's ceiling admits 7 of them.
    await db.setBudgetCeiling((cents(start.spentUsd + start.reservedUsd) + 200) / 100);
    await db.setTeamBudgetCeiling(capped, 0.7);
    const auditBefore = await db.verifyAudit();
    let sampling = true;
    const samples: number[] = [];
    const sampler = (async () => {
      while (sampling) {
        const t = await db.getTeam(capped);
        const b = await db.getBudget();
        if (t?.budgetCeilingUsd) samples.push(cents(t.spentUsd + t.reservedUsd) - cents(t.budgetCeilingUsd));
        samples.push(cents(b.spentUsd + b.reservedUsd) - cents(b.ceilingUsd));
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    })();
    const teamOf = (i: number) => [capped, open, null][i % 3] ?? null;
    const batches = Array.from({ length: 8 }, (_, b) =>
      db.admitRuns(Array.from({ length: 12 }, (_, i) => admission(newRun({ team: teamOf(b + i) })))),
    );
    const outcomes = (await Promise.all(batches)).flat();
    sampling = false;
    await sampler;
    expect(samples.length).toBeGreaterThan(0);
    expect(samples.every((over) => over <= 0)).toBe(true);
    const runs = admitted(outcomes);
    expect(runs).toHaveLength(20);
    expect(runs.filter((r) => r.team === capped).length).toBeLessThanOrEqual(7);
    expect(cents((await db.getBudget()).reservedUsd) - cents(start.reservedUsd)).toBe(200);
    const team = await db.getTeam(capped);
    expect(cents(team?.reservedUsd ?? -1)).toBe(10 * runs.filter((r) => r.team === capped).length);
    // Every refusal is its own, as admitting alone gives it: the capped team's or the cluster's.
    for (const o of outcomes) {
      expect(o.status).toBe("fulfilled");
      if (o.status === "fulfilled" && !o.value.ok) expect("team" in o.value || "budget" in o.value).toBe(true);
    }
    // One admitted entry and one warning per admitted run, nothing for the refused, on a chain that verifies.
    const audit = await db.verifyAudit();
    expect(audit).toMatchObject({ ok: true, entries: auditBefore.entries + 2 * runs.length });
    for (const run of runs.slice(0, 5)) {
      expect((await db.listAudit({ runId: run.id })).map((e) => e.action)).toEqual(["path_warning", "admitted"]);
    }
    const refused = outcomes.length - runs.length;
    expect(refused).toBe(96 - 20);
  });

  test("a batch's runs are stored with every field given and the defaults of the rest, and returned as stored", async () => {
    // The batch inserts by column (one array per column); a batch whose rows give different columns (one states its
    // status) takes drizzle's VALUES instead. Both must store exactly what admitting alone stores.
    const team = `fields-${randomUUID()}`;
    // Every optional field given, as the dispatch service gives them (so the rows give the same columns).
    const rows = (tag: string) =>
      [
        {
          team,
          userName: "ann",
          taskHash: "h1",
          batchId: `b-${tag}`,
          chainId: null,
          step: 2,
          parentRunId: "",
          depth: 0,
        },
        { team: null, userName: null, taskHash: "", batchId: null, chainId: null, step: 0, parentRunId: "p", depth: 1 },
        {
          team: null,
          userName: "bo",
          taskHash: "h3",
          batchId: null,
          chainId: `c-${tag}`,
          step: 0,
          parentRunId: "",
          depth: 0,
        },
      ].map((fields, i) =>
        newRun({
          ...fields,
          task: i === 0 ? 'quote " comma , {brace} \\ ünï' : "fix the bug",
          isolate: i === 1,
          spec: { ...newRun().spec, maxCostUsd: 0.25 * i } as NewRun["spec"],
        }),
      );
    // Room for them whatever earlier tests reserved (PGlite shares its database across the file).
    const start = await db.getBudget();
    await db.setBudgetCeiling((cents(start.spentUsd + start.reservedUsd) + 100) / 100);
    for (const mixed of [false, true]) {
      const batch = rows(String(mixed)).map((r, i) => ({
        ...r,
        id: randomUUID(),
        ...(mixed && i === 0 ? { status: "pending" as const } : {}),
      }));
      const runs = admitted(await db.admitRuns(batch.map((r, i) => admission(r, 0.01 * (i + 1)))));
      expect(runs.map((r) => r.id)).toEqual(batch.map((r) => r.id));
      for (const [i, run] of runs.entries()) {
        expect(await db.getRun(run.id)).toEqual(run);
        const { status: _status, ...given } = batch[i] as NewRun;
        expect(run).toMatchObject({ ...given, status: "pending", attempt: 0, publishCount: 0, busSeq: null });
        expect(cents(run.reservedUsd)).toBe(i + 1);
        expect(run.createdAt.getTime()).toBeGreaterThan(Date.now() - 60_000);
      }
    }
  });

  test("a run the batch cannot take (a duplicate id) fails alone; the others are admitted", async () => {
    const start = await db.getBudget();
    await db.setBudgetCeiling((cents(start.spentUsd + start.reservedUsd) + 100) / 100);
    const taken = newRun();
    expect((await db.insertRunWithReservation(taken, 0)).ok).toBe(true);
    const others = [newRun(), newRun()];
    const outcomes = await db.admitRuns([
      admission(others[0] as NewRun),
      admission(taken),
      admission(others[1] as NewRun),
    ]);
    expect(outcomes[1]).toMatchObject({ status: "rejected", reason: { code: "ALREADY_EXISTS" } });
    expect(admitted(outcomes).map((r) => r.id)).toEqual(others.map((r) => r.id));
    expect(await db.verifyAudit()).toMatchObject({ ok: true });
  });

  test("a new team whose runs the cluster's budget refuses is not left behind", async () => {
    const start = await db.getBudget();
    await db.setBudgetCeiling((cents(start.spentUsd + start.reservedUsd) + 1) / 100);
    const team = `new-${randomUUID()}`;
    const outcomes = await db.admitRuns([admission(newRun({ team }), 0.5), admission(newRun({ team }), 0.5)]);
    expect(outcomes.every((o) => o.status === "fulfilled" && !o.value.ok && "budget" in o.value)).toBe(true);
    expect(await db.getTeam(team)).toBeUndefined();
  });
});
