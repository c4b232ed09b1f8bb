import { describe, expect, it } from "vitest";
import { budgetGate } from "./budget-gate.js";
import { context, fakeDeps } from "./fixtures/gate-fixtures.js";

describe("budget gate", () => {
  it("records the estimate when the budget holds it", async () => {
    const ctx = context();
    await budgetGate.check(ctx, fakeDeps());
    expect(ctx.estimateUsd).toBe(1);
  });

  it("refuses when the estimate would pass the ceiling", async () => {
    await expect(budgetGate.check(context(), fakeDeps({ budgetLeftUsd: 0.5 }))).rejects.toMatchObject({
      code: "BUDGET_EXCEEDED",
    });
  });

  it("checks a sub-run against its parent's team, not the one its request names", async () => {
    const deps = fakeDeps();
    const teams: (string | null)[] = [];
    const ctx = context({ team: "mine" });
    ctx.parent = { team: "parents" } as never;
    await budgetGate.check(ctx, {
      ...deps,
      budget: { ...deps.budget, check: async (_e, team) => void teams.push(team ?? null) },
    });
    await budgetGate.check(context({ team: "mine" }), {
      ...deps,
      budget: { ...deps.budget, check: async (_e, team) => void teams.push(team ?? null) },
    });
    expect(teams).toEqual(["parents", "mine"]);
  });
});
