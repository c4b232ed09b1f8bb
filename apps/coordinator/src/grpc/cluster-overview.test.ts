import { describe, expect, it } from "vitest";
import type { WorkerOverview } from "../services/worker-directory.js";
import { clusterOverview, providerStatuses } from "./cluster-overview.js";

function worker(id: string, providers: string[], live = true, active = 0): WorkerOverview {
  return {
    id,
    pool: "default",
    sandbox: "docker",
    capacity: 4,
    active,
    version: "0.1.0",
    registeredAt: new Date(0),
    lastHeartbeatAt: new Date(1000),
    status: live ? "up" : "gone",
    runtimes: ["command"],
    providers,
    offeredModels: providers.includes("ollama") ? { ollama: ["qwen2.5-coder"] } : {},
    live,
  };
}

describe("the cluster overview (ClusterInfo)", () => {
  it("lists configured providers and those only workers announced, each with the live workers serving it", () => {
    const statuses = providerStatuses(
      [{ name: "openai", models: ["gpt"] }],
      [worker("w1", ["openai", "ollama"]), worker("w2", []), worker("w3", ["openai", "gemini"], false)],
    );
    expect(statuses).toEqual([
      { name: "ollama", models: ["qwen2.5-coder"], workerIds: ["w1"] },
      { name: "openai", models: ["gpt"], workerIds: ["w1"] },
    ]);
  });

  it("counts pending and running runs for the queue depth and carries workers and budget as they are", () => {
    const budget = {
      ceilingUsd: 10,
      spentUsd: 1,
      reservedUsd: 2,
      remainingUsd: 7,
      estimatedNextUsd: 0.5,
      runs: 3,
      tokens: 0,
      inputTokens: 0,
      outputTokens: 0,
      team: "",
    };
    const info = clusterOverview({
      info: { version: "0.1.0", draining: true, bus: "memory", database: "pglite" },
      workers: [worker("w1", [], true, 2)],
      configuredProviders: [],
      activeRunStatuses: ["pending", "running", "pending", "running", "running"],
      budget,
    });
    expect(info).toMatchObject({ version: "0.1.0", draining: true, pendingRuns: 2, runningRuns: 3, budget });
    expect(info.workers[0]).toMatchObject({ id: "w1", active: 2, capacity: 4, live: true, runtimes: ["command"] });
    expect(info.workers[0]?.lastHeartbeatAt).toBe(new Date(1000).toISOString());
  });
});
