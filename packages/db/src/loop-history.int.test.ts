import { randomUUID } from "node:crypto";
import type { RunStatus } from "@pancode/core";
import { describe, expect, test } from "vitest";
import type { Database } from "./database.js";
import { dbTargets, newRun, openPerTest } from "./fixtures/targets.js";
import type { OutcomeQuery } from "./queries/loop-history.js";

// Loop history of many admissions in one statement (recentOutcomesMany) must answer each question exactly as the
// one-at-a-time read (recentOutcomes) does: same runs, same order, same window and limit.

describe.each(dbTargets())("recentOutcomesMany on $name", (target) => {
  let db: Database;
  openPerTest(
    target,
    (opened) => {
      db = opened;
    },
    { budgetUsd: 10 },
  );

  const base = Date.now() - 60_000;
  async function ended(agent: string, taskHash: string, status: RunStatus, secondsIn: number): Promise<void> {
    const run = await db.insertRun(newRun({ agent, taskHash }));
    await db.finishRun({
      runId: run.id,
      status,
      error: "",
      onlyIf: ["pending"],
      finishedAt: new Date(base + secondsIn * 1000),
    });
  }

  test("answers every pair of a batch as the single read does, in the order asked", async () => {
    const agent = `loop-${randomUUID()}`;
    const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
    // a: an old failure, a success, then three failures; b: two failures, one interrupted (left out), a timeout.
    await ended(agent, a, "error", 1);
    await ended(agent, a, "done", 2);
    for (const s of [3, 4, 5]) await ended(agent, a, "error", s);
    await ended(agent, b, "error", 1);
    await ended(agent, b, "error", 2);
    await ended(agent, b, "interrupted", 3);
    await ended(agent, b, "timeout", 4);
    // The same task of another agent never counts for this one.
    await ended(`${agent}-other`, a, "error", 6);
    const since = new Date(base);
    const queries: OutcomeQuery[] = [
      { agent, taskHash: a, since, limit: 5 },
      { agent, taskHash: b, since, limit: 5 },
      { agent, taskHash: c, since, limit: 5 },
      { agent, taskHash: a, since, limit: 2 },
      { agent, taskHash: b, since: new Date(base + 1500), limit: 5 },
      { agent, taskHash: a, since, limit: 5 },
    ];
    const together = await db.recentOutcomesMany(queries);
    const alone = await Promise.all(queries.map((q) => db.recentOutcomes(q)));
    expect(together).toEqual(alone);
    expect(together.map((outcomes) => outcomes.map((o) => o.status))).toEqual([
      ["error", "error", "error", "done", "error"],
      ["timeout", "error", "error"],
      [],
      ["error", "error"],
      ["timeout", "error"],
      ["error", "error", "error", "done", "error"],
    ]);
    expect(together[0]?.[0]?.finishedAt.getTime()).toBe(base + 5000);
  });

  test("an empty batch costs no statement and answers nothing", async () => {
    expect(await db.recentOutcomesMany([])).toEqual([]);
  });
});
