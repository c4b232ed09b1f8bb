import type { BatchInfo, ChainInfo, RunInfo } from "@pancode/proto";
import { describe, expect, it } from "vitest";
import { batchGroupInfo, chainGroupInfo } from "./watch-group.js";

const runs = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `run${i}-0000000` }) as RunInfo);
const item = (runId: string, error = "") => ({ task: "t", agent: "shell", runId, error });

// Only the fields the progress line reads; the rest of the record does not matter to it.
const batch = (fields: Partial<BatchInfo>) => ({ id: "b1234567-89", status: "running", ...fields }) as BatchInfo;
const chain = (fields: Partial<ChainInfo>) =>
  ({ id: "c1234567-89", kind: "chain", status: "running", rounds: 0, ...fields }) as ChainInfo;

describe("group progress lines", () => {
  it("a batch counts the runs it will have: items refused at admission get none", () => {
    const info = batchGroupInfo(batch({ items: [item("r1"), item(""), item("", "refused")], runs: runs(1) }));
    expect(info).toMatchObject({ title: "batch b1234567 running", total: 2, kind: "batch", id: "b1234567-89" });
  });

  it("a chain shows its current step of all steps; a failed one keeps the steps never run", () => {
    expect(chainGroupInfo(chain({ totalSteps: 3, runs: runs(2) }))).toMatchObject({
      title: "chain c1234567 step 2/3 running",
      total: 3,
      kind: "chain",
      status: "running",
    });
    expect(chainGroupInfo(chain({ status: "failed", totalSteps: 3, runs: runs(2) })).total).toBe(3);
  });

  it("a refine loop approved early ends with a full bar, and shows its round", () => {
    const info = chainGroupInfo(chain({ kind: "refine", status: "done", totalSteps: 6, rounds: 2, runs: runs(4) }));
    expect(info).toMatchObject({ title: "refine c1234567 step 4/4, round 2 done", total: 4, kind: "refine" });
  });
});
