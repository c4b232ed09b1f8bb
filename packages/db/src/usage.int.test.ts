import { describe, expect, test } from "vitest";
import type { Database } from "./database.js";
import { dbTargets, newRun, openPerTest } from "./fixtures/targets.js";

const ev = (e: unknown) => JSON.stringify(e);
const usage = (input: number, output: number, costUsd: number | null) =>
  ev({ type: "usage", usage: { input, output, cacheRead: 0, cacheWrite: 0, costUsd } });

describe.each(dbTargets())("run usage on $name", (target) => {
  let db: Database;
  openPerTest(target, (opened) => {
    db = opened;
  });

  test("folds agent events per attempt: turns, current tool, tokens, cost; a new attempt starts from zero", async () => {
    const run = await db.insertRun(newRun());
    await db.recordProgress(run.id, 1, [
      ev({ type: "turn_start", turn: 1 }),
      ev({ type: "tool_call", id: "a", tool: "bash", args: "{}" }),
      usage(100, 10, 0.001),
      "not json",
    ]);
    const second = await db.recordProgress(run.id, 1, [usage(200, 20, 0.002), ev({ type: "turn_start", turn: 2 })]);
    expect(second).toMatchObject({ attempt: 1, turns: 2, currentTool: "bash" });
    expect(second.usage).toMatchObject({ input: 300, output: 30 });
    expect(second.usage.costUsd).toBeCloseTo(0.003, 6);

    // A late report of a superseded attempt changes nothing; the next attempt counts from zero.
    await db.recordProgress(run.id, 2, [usage(5, 1, null)]);
    await db.recordProgress(run.id, 1, [usage(1000, 1000, 1)]);
    const stored = (await db.getRunUsage([run.id])).get(run.id);
    expect(stored).toMatchObject({ attempt: 2, turns: 0, currentTool: "" });
    expect(stored?.usage).toEqual({ input: 5, output: 1, cacheRead: 0, cacheWrite: 0, costUsd: null });

    const costs = await db.listRunCosts(1000);
    expect(costs.find((c) => c.runId === run.id)).toMatchObject({ inputTokens: 5, outputTokens: 1, durationMs: -1 });
  });

  test("concurrent reports of one attempt add up (the row is locked for the fold)", async () => {
    const run = await db.insertRun(newRun());
    await Promise.all(Array.from({ length: 8 }, () => db.recordProgress(run.id, 1, [usage(10, 1, 0.5)])));
    const stored = (await db.getRunUsage([run.id])).get(run.id);
    expect(stored?.usage).toMatchObject({ input: 80, output: 8, costUsd: 4 });
  });
});
