import { DEFAULT_CAPS } from "@pancode/agents";
import type { RunSpec } from "@pancode/core";
import type { WorkspaceCache } from "@pancode/git";
import type { WorkerApi } from "@pancode/proto";
import type { ContainerRuntime, SandboxRunSpec } from "@pancode/sandbox";
import { noopLogger } from "@pancode/telemetry";
import { describe, expect, it } from "vitest";
import type { EventReporter } from "./event-reporter.js";
import { executeRun } from "./run-execution.js";

// Defence in depth: whatever a spec says (a coordinator with higher caps, a spec that never passed admission), a
// worker never hands Docker more than its own caps. A sandbox that records what reached it shows nothing did.

function recordingSandbox(): ContainerRuntime & { started: SandboxRunSpec[] } {
  const started: SandboxRunSpec[] = [];
  return {
    kind: "docker",
    started,
    async run(spec) {
      started.push(spec);
      const now = new Date();
      return { exitCode: 0, oomKilled: false, aborted: false, startedAt: now, finishedAt: now };
    },
    reapOrphans: async () => 0,
    inspectImage: async () => ({ digest: "sha256:x", labels: {} }),
    ping: async () => {},
  };
}

const spec: RunSpec = {
  runId: "r1",
  attempt: 1,
  leaseToken: "l",
  task: "true",
  agent: {
    name: "greedy",
    runtime: "command",
    image: "pancode/agent:dev",
    readonly: false,
    timeoutMs: 60_000,
    limits: { memoryMb: 9 * 1024 * 1024, cpus: 1, pids: 100_000 },
    network: "none",
    model: "",
    tools: [],
    maxTurns: 0,
    prompt: "",
    egress: [],
  },
  workspace: { repoId: "r", baseCommit: "a".repeat(40), bundleDigest: "", stateDigest: "", stateTree: "b".repeat(40) },
  traceparent: "",
  model: null,
  maxCostUsd: 0,
  basePatches: [],
};

describe("a worker's own caps", () => {
  it("refuse a spec over them before anything is prepared or started", async () => {
    const sandbox = recordingSandbox();
    const stop = {
      signal: new AbortController().signal,
      reason: () => undefined,
      request: () => {},
      deferCleanup: () => {},
    };
    const run = executeRun(
      {
        // Never reached: the refusal comes first.
        api: {} as WorkerApi,
        cache: {} as WorkspaceCache,
        sandbox,
        logger: noopLogger,
        workerId: "w1",
        agentNetwork: "",
        secrets: {},
        caps: { ...DEFAULT_CAPS, cpus: 2 },
      },
      spec,
      { note: () => {}, output: () => {}, agent: () => {} } as unknown as EventReporter,
      stop,
    );
    await expect(run).rejects.toThrow(
      'worker w1 refuses the run: agent "greedy" asks limits.memoryMb 9t, over the cluster maximum 8g (raise PANCODE_MAX_MEMORY to allow it); agent "greedy" asks limits.pids 100000, over the cluster maximum 4096 (raise PANCODE_MAX_PIDS to allow it)',
    );
    expect(sandbox.started).toEqual([]);
  });
});
