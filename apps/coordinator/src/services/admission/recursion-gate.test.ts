import { describe, expect, it } from "vitest";
import { context, fakeDeps, runRow } from "./fixtures/gate-fixtures.js";
import { recursionGate } from "./recursion-gate.js";

describe("recursion gate", () => {
  it("gives a client submission depth 0 and no quota", async () => {
    const ctx = context();
    await recursionGate.check(ctx, fakeDeps());
    expect(ctx.nesting).toEqual({ parentRunId: "", depth: 0 });
    expect(ctx.subRuns).toBeUndefined();
  });

  it("puts a sub-run one level below its parent, on its parent's workspace, in its root's quota", async () => {
    const root = runRow({ id: "root" });
    const parent = runRow({ id: "parent", parentRunId: "root", depth: 1 });
    const deps = fakeDeps({
      runs: new Map([
        ["root", root],
        ["parent", parent],
      ]),
    });
    const ctx = context(
      {
        parentRunId: "parent",
        workspace: { repoId: "", baseCommit: "", bundleDigest: "", stateDigest: "", stateTree: "" },
      },
      deps,
    );
    await recursionGate.check(ctx, { ...deps, maxDepth: 2, maxSubRuns: 3 });
    expect(ctx.nesting).toEqual({ parentRunId: "parent", depth: 2 });
    expect(ctx.input.workspace.repoId).toBe("r");
    expect(ctx.subRuns).toEqual({ rootRunId: "root", max: 3 });
  });

  it("refuses a sub-run deeper than the maximum", async () => {
    const deps = fakeDeps({ runs: new Map([["parent", runRow({ depth: 2 })]]) });
    await expect(recursionGate.check(context({ parentRunId: "parent" }, deps), deps)).rejects.toMatchObject({
      code: "DEPTH_EXCEEDED",
    });
  });
});
