import { describe, expect, it } from "vitest";
import { agentGate } from "./agent-gate.js";
import { context, fakeDeps } from "./fixtures/gate-fixtures.js";
import { routingGate } from "./routing-gate.js";

describe("routing gate", () => {
  it("refuses when no live worker serves the agent's runtime", async () => {
    const deps = fakeDeps({ liveWorkers: [] });
    const ctx = context();
    agentGate.check(ctx, deps);
    await expect(routingGate.check(ctx, deps)).rejects.toThrow(
      /no live worker in pool "default" serves runtime "command"/,
    );
  });

  it("refuses a model run when no live worker holds a key for its provider, saying which variable to set", async () => {
    const deps = fakeDeps();
    const ctx = context({ agent: "dev", model: "m1" });
    agentGate.check(ctx, deps);
    await expect(routingGate.check(ctx, deps)).rejects.toThrow(/API key for provider "p" \(set P_KEY on a worker\)/);
    await expect(
      routingGate.check(ctx, { ...deps, workers: { ...deps.workers, servesModel: () => true } }),
    ).resolves.toBeUndefined();
  });
});
