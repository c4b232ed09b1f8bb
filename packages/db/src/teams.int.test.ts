import { randomUUID } from "node:crypto";
import { describe, expect, test } from "vitest";
import type { Database } from "./database.js";
import { dbTargets, newRun, openPerTest } from "./fixtures/targets.js";

// The PGlite target shares one database across the file: every test uses its own team and token names.

describe.each(dbTargets())("teams and tokens on $name", (target) => {
  let db: Database;
  openPerTest(
    target,
    (opened) => {
      db = opened;
    },
    { budgetUsd: 10 },
  );

  const cents = (usd: number) => Math.round(usd * 100);

  test("50 concurrent reservations of one team stop at its ceiling and the cluster's is never passed", async () => {
    const team = `team-${randomUUID()}`;
    const start = await db.getBudget();
    // Cluster room for 20 runs of 0.10; the team's ceiling admits 7.
    await db.setBudgetCeiling((cents(start.spentUsd + start.reservedUsd) + 200) / 100);
    await db.setTeamBudgetCeiling(team, 0.7);
    let sampling = true;
    const samples: number[] = [];
    const sampler = (async () => {
      while (sampling) {
        const t = await db.getTeam(team);
        const b = await db.getBudget();
        if (t?.budgetCeilingUsd) samples.push(cents(t.spentUsd + t.reservedUsd) - cents(t.budgetCeilingUsd));
        samples.push(cents(b.spentUsd + b.reservedUsd) - cents(b.ceilingUsd));
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    })();
    const results = await Promise.all(
      Array.from({ length: 50 }, () => db.insertRunWithReservation(newRun({ team, userName: "pam" }), 0.1)),
    );
    sampling = false;
    await sampler;
    expect(results.filter((r) => r.ok)).toHaveLength(7);
    for (const r of results) if (!r.ok) expect(r).toMatchObject({ team: { name: team } });
    expect(samples.every((over) => over <= 0)).toBe(true);
    const after = await db.getTeam(team);
    expect(cents(after?.reservedUsd ?? -1)).toBe(70);
    expect(cents((await db.getBudget()).reservedUsd) - cents(start.reservedUsd)).toBe(70);
    const runs = await db.listRuns({ limit: 100, team });
    expect(runs.map((r) => r.userName)).toEqual(Array(7).fill("pam"));

    // Ending a run moves its reservation to the team's spend too (cost 0: nothing spent).
    for (const r of runs)
      await db.finishRun({ runId: r.id, status: "interrupted", error: "test", onlyIf: ["pending"] });
    expect(await db.getTeam(team)).toMatchObject({ reservedUsd: 0, spentUsd: 0 });
    expect(cents((await db.getBudget()).reservedUsd)).toBe(cents(start.reservedUsd));
  });

  test("a token is found by hash; revocation sticks; the bootstrap admin keeps a revocation of the same hash", async () => {
    const name = `p-${randomUUID()}`;
    const hash = randomUUID().replaceAll("-", "");
    await db.createApiToken({ name, role: "member", team: null, tokenHash: hash, expiresAt: null });
    expect(await db.findApiTokenByHash(hash)).toMatchObject({ name, role: "member", revokedAt: null });
    await expect(
      db.createApiToken({ name, role: "viewer", team: null, tokenHash: "other", expiresAt: null }),
    ).rejects.toMatchObject({ code: "ALREADY_EXISTS" });
    await db.revokeApiToken(name, new Date());
    expect((await db.findApiTokenByHash(hash))?.revokedAt).toBeInstanceOf(Date);
    await expect(db.revokeApiToken(`none-${name}`, new Date())).rejects.toMatchObject({ code: "NOT_FOUND" });

    const admin = `admin-${randomUUID()}`;
    await db.ensureBootstrapToken(admin, `h1-${admin}`);
    await db.revokeApiToken(admin, new Date());
    expect((await db.ensureBootstrapToken(admin, `h1-${admin}`)).revokedAt).toBeInstanceOf(Date);
    const replaced = await db.ensureBootstrapToken(admin, `h2-${admin}`);
    expect(replaced).toMatchObject({ role: "admin", revokedAt: null, tokenHash: `h2-${admin}` });
    expect(await db.findApiTokenByHash(`h1-${admin}`)).toBeUndefined();
  });
});
