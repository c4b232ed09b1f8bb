import { describe, expect, it } from "vitest";
import { failureReason, isOverCap, statusOf } from "./stop-reason.js";

const spec = {
  agent: { timeoutMs: 3000, limits: { memoryMb: 512, cpus: 1, pids: 256 } },
  maxCostUsd: 0.01,
} as Parameters<typeof failureReason>[0]["spec"];
const result = { exitCode: 137, oomKilled: false };

describe("stop reasons", () => {
  it("maps each reason to its terminal status", () => {
    expect(statusOf(0, undefined, "")).toBe("done");
    expect(statusOf(0, undefined, "boom")).toBe("error");
    expect(statusOf(137, "timeout", "")).toBe("timeout");
    expect(statusOf(137, "budget", "")).toBe("budget_exceeded");
    expect(statusOf(137, "cancelled", "")).toBe("interrupted");
    expect(statusOf(137, "stale", "")).toBe("interrupted");
  });

  it("says by how much a budget-stopped run passed its cap", () => {
    const reason = failureReason({ reason: "budget", result, spec, agentFailure: "", costUsd: 0.0123 });
    expect(reason).toBe("cost $0.0123 passed the per-run cap of $0.0100");
    expect(failureReason({ reason: "timeout", result, spec, agentFailure: "", costUsd: 0 })).toBe(
      "timed out after 3000 ms",
    );
  });

  it("counts a run over its cap only when it has one and its cost is known", () => {
    expect(isOverCap(0.02, 0.01)).toBe(true);
    expect(isOverCap(0.01, 0.01)).toBe(false);
    expect(isOverCap(5, 0)).toBe(false);
    expect(isOverCap(null, 0.01)).toBe(false);
  });
});
