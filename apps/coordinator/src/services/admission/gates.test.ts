import { describe, expect, it } from "vitest";
import { GATES } from "../admission.js";
import { context, fakeDeps } from "./fixtures/gate-fixtures.js";
import { ADMISSION_GATES, runGates } from "./gates.js";

describe("ADMISSION_GATES", () => {
  it("runs the seed's ten gates in order, after the repository files and before the workspace's blobs", () => {
    expect(ADMISSION_GATES.map((g) => g.name)).toEqual(["repository files", ...GATES, "workspace"]);
  });

  it("admits a plain request, filling in everything the run's record needs", async () => {
    const deps = fakeDeps();
    const ctx = await runGates(context({}, deps), deps);
    expect(ctx.agent?.name).toBe("shell");
    expect(ctx.model).toBeNull();
    expect(ctx.estimateUsd).toBe(1);
    expect(ctx.safety).toBe("full-auto");
    expect(ctx.nesting).toEqual({ parentRunId: "", depth: 0 });
    expect(ctx.bundleDigest).toMatch(/^sha256:c/);
  });

  it("reports the first gate that refuses: Plan mode before an unknown agent and an empty task", async () => {
    const deps = fakeDeps({ draining: true });
    await expect(runGates(context({ mode: "plan", agent: "nobody", task: " " }, deps), deps)).rejects.toMatchObject({
      code: "MODE_BLOCKED",
    });
    await expect(runGates(context({ agent: "nobody", task: " " }, deps), deps)).rejects.toMatchObject({
      code: "DRAINING",
    });
  });
});
