import type { ChainRow, RunRow } from "@pancode/db";
import { describe, expect, it } from "vitest";
import { decideNext, totalSteps } from "./chain-plan.js";

const request = {
  isolate: false,
  mode: "build",
  model: "",
  submitter: "t",
  workspace: { repoId: "r", baseCommit: "c", bundleDigest: "", stateDigest: "", stateTree: "t" },
  agentFiles: [],
  maxCostUsd: 0,
  traceparent: "",
};

function chainOf(overrides: Partial<ChainRow>): ChainRow {
  return {
    id: "c1",
    kind: "chain",
    status: "running",
    steps: [],
    originalTask: "fix it",
    refine: null,
    request,
    submitter: "t",
    userName: null,
    team: null,
    failedStep: 0,
    error: "",
    verdict: "",
    rounds: 0,
    createdAt: new Date(),
    finishedAt: null,
    receiptId: "",
    ...overrides,
  };
}

const ran = (step: number, outputTail = "") => ({ step, outputTail, status: "done" }) as RunRow;

describe("decideNext", () => {
  it("walks a chain's steps, then is done", () => {
    const chain = chainOf({
      steps: [
        { agent: "planner", task: "plan" },
        { agent: "builder", task: "build $INPUT" },
      ],
    });
    expect(decideNext(chain, ran(1))).toEqual({ kind: "step", agent: "builder", template: "build $INPUT" });
    expect(decideNext(chain, ran(2))).toMatchObject({ kind: "done" });
    expect(totalSteps(chain)).toBe(2);
  });

  it("alternates builder and reviewer until approval or the last round", () => {
    const refine = { builder: "b", reviewer: "r", maxRounds: 2, reviewTask: "review $INPUT" };
    const chain = chainOf({ kind: "refine", refine });
    expect(decideNext(chain, ran(1, "built"))).toEqual({ kind: "step", agent: "r", template: "review $INPUT" });
    expect(decideNext(chain, ran(2, "VERDICT: CHANGES_REQUESTED add tests"))).toEqual({
      kind: "step",
      agent: "b",
      template: "fix it",
    });
    expect(decideNext(chain, ran(2, "fine\nVERDICT: APPROVED"))).toEqual({
      kind: "done",
      verdict: "approved",
      rounds: 1,
    });
    expect(decideNext(chain, ran(4, "no verdict at all"))).toEqual({
      kind: "failed",
      error: "not approved after 2 round(s)",
      verdict: "changes_requested",
      rounds: 2,
    });
    expect(totalSteps(chain)).toBe(4);
  });
});
