import type { Completion, RunAssignment } from "@pancode/core";
import { describe, expect, it } from "vitest";
import { assignmentFromWire, assignmentToWire, completionFromWire, completionToWire } from "./run-contract.js";

const assignment: RunAssignment = {
  spec: {
    runId: "run-1",
    attempt: 2,
    leaseToken: "lease-1",
    task: "fix the test",
    agent: {
      name: "coder",
      runtime: "command",
      image: "pancode/agent:latest",
      readonly: false,
      timeoutMs: 60_000,
      limits: { memoryMb: 512, cpus: 1, pids: 256 },
      network: "none",
      model: "",
      tools: ["read"],
      maxTurns: 3,
      prompt: "",
      egress: [],
    },
    workspace: {
      repoId: "r".repeat(40),
      baseCommit: "a".repeat(40),
      bundleDigest: "",
      stateDigest: "sha256:0",
      stateTree: "b".repeat(40),
    },
    traceparent: "",
    model: null,
    maxCostUsd: 1.5,
    basePatches: ["sha256:1"],
  },
  grant: { runToken: "tok", depth: 1, safety: "strict", parentRunId: "run-0" },
  facts: { mode: "plan", isolate: true, batchId: "", chainId: "c1", step: 2, previousReceiptDigest: "sha256:2" },
};

const completion: Completion = {
  status: "done",
  exitCode: 0,
  error: "",
  outputTail: "ok",
  startedAt: new Date("2026-01-01T00:00:00.000Z"),
  finishedAt: new Date("2026-01-01T00:01:00.000Z"),
  costUsd: 0.25,
  patch: {
    digest: "sha256:3",
    bytes: 10,
    files: [{ path: "b.txt", status: "renamed", oldPath: "a.txt", binary: false }],
  },
  imageDigest: "sha256:4",
  receiptEnvelope: "{}",
  inputTokens: 100,
  outputTokens: 20,
};

describe("run contract on the wire", () => {
  it("carries an assignment through a ClaimRun answer unchanged", () => {
    expect(assignmentFromWire(assignmentToWire(assignment))).toEqual(assignment);
  });

  it("refuses a claim answer without its lease", () => {
    const { lease: _lease, ...rest } = assignmentToWire(assignment);
    expect(() => assignmentFromWire({ ...rest, lease: undefined })).toThrow(/missing lease, agent or workspace/);
  });

  it("reads an absent network policy as none and an absent mode as build", () => {
    const wire = assignmentToWire(assignment);
    const read = assignmentFromWire({ ...wire, mode: "", agent: { ...assignment.spec.agent, network: "" } });
    expect(read.spec.agent.network).toBe("none");
    expect(read.facts.mode).toBe("build");
  });

  it("carries a completion through a CompleteRun request unchanged", () => {
    expect(completionFromWire(completionToWire(completion))).toEqual(completion);
    const noExit = { ...completion, exitCode: null, patch: null };
    expect(completionFromWire(completionToWire(noExit))).toEqual(noExit);
  });

  it("refuses a finish time that is not a timestamp, naming it", () => {
    expect(() => completionFromWire({ ...completionToWire(completion), finishedAt: "yesterday" })).toThrow(
      'finishedAt is not a timestamp: "yesterday"',
    );
  });

  it("counts negative costs and token counts as 0", () => {
    const read = completionFromWire({ ...completionToWire(completion), costUsd: -1, inputTokens: -5 });
    expect(read.costUsd).toBe(0);
    expect(read.inputTokens).toBe(0);
  });
});
