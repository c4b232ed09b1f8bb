import type { AdmissionGate } from "./context.js";

/**
 * Gate 8, budget: estimates from the agent's name (and the model, when known) and refuses early when the team's or
 * the cluster's ceiling would be passed. The authoritative check is the reservation made with the run's insert.
 */
export const budgetGate: AdmissionGate = {
  name: "budget",
  async check(ctx, deps) {
    const estimateUsd = await deps.budget.estimate(ctx.agentName, ctx.input.model, ctx.agents);
    await deps.budget.check(estimateUsd, ctx.parent ? ctx.parent.team : (ctx.input.team ?? null));
    ctx.estimateUsd = estimateUsd;
  },
};
