import { describe, expect, it } from "vitest";
import { MAX_TASK_BYTES } from "../admission.js";
import { context, HEX40 } from "./fixtures/gate-fixtures.js";
import { taskGate } from "./task-gate.js";

describe("task gate", () => {
  it("refuses an empty task and one over the size limit", () => {
    expect(() => taskGate.check(context({ task: "  " }), {} as never)).toThrow(
      expect.objectContaining({ code: "EMPTY_TASK" }),
    );
    expect(() => taskGate.check(context({ task: "x".repeat(MAX_TASK_BYTES + 1) }), {} as never)).toThrow(
      /over the limit/,
    );
  });

  it("refuses an incomplete workspace reference and a negative cost cap", () => {
    const workspace = { repoId: "r", baseCommit: "abc", bundleDigest: "", stateDigest: "", stateTree: HEX40 };
    expect(() => taskGate.check(context({ workspace }), {} as never)).toThrow(/workspace reference is incomplete/);
    expect(() => taskGate.check(context({ maxCostUsd: -1 }), {} as never)).toThrow(/max cost must be a positive/);
  });

  it("admits a sane task", () => {
    expect(() => taskGate.check(context(), {} as never)).not.toThrow();
  });
});
