import { describe, expect, it } from "vitest";
import { BUNDLE, context, fakeDeps, HEX40, STATE } from "./fixtures/gate-fixtures.js";
import { workspaceGate } from "./workspace-gate.js";

describe("workspace gate", () => {
  it("finds the bundle of a known commit", async () => {
    const ctx = context();
    await workspaceGate.check(ctx, fakeDeps());
    expect(ctx.bundleDigest).toBe(BUNDLE);
  });

  it("records a new bundle's commit once the bundle is uploaded", async () => {
    const deps = fakeDeps({ commits: new Map() });
    const ctx = context({
      workspace: { repoId: "r", baseCommit: HEX40, bundleDigest: BUNDLE, stateDigest: STATE, stateTree: HEX40 },
    });
    await workspaceGate.check(ctx, deps);
    expect(deps.state.recorded).toEqual([`r@${HEX40}=${BUNDLE}`]);
  });

  it("refuses a state or bundle that was not uploaded, and an unknown commit without a bundle", async () => {
    await expect(workspaceGate.check(context(), fakeDeps({ blobs: new Set([BUNDLE]) }))).rejects.toThrow(
      /uncommitted state .* was not uploaded/,
    );
    const ws = { repoId: "r", baseCommit: HEX40, bundleDigest: BUNDLE, stateDigest: STATE, stateTree: HEX40 };
    await expect(
      workspaceGate.check(context({ workspace: ws }), fakeDeps({ blobs: new Set([STATE]) })),
    ).rejects.toThrow(/bundle .* was not uploaded/);
    await expect(workspaceGate.check(context(), fakeDeps({ commits: new Map() }))).rejects.toThrow(
      /does not have commit/,
    );
  });
});
