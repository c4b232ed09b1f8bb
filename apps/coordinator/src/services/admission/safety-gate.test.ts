import { describe, expect, it } from "vitest";
import { context, fakeDeps, runRow } from "./fixtures/gate-fixtures.js";
import { mutationGate } from "./mutation-gate.js";
import { safetyGate } from "./safety-gate.js";

const failures = (n: number) => Array.from({ length: n }, () => ({ status: "error" }));

describe("safety gate", () => {
  it("refuses an agent beyond the session's level", async () => {
    const deps = fakeDeps();
    const ctx = context({ agent: "dev", safety: "suggest" }, deps);
    mutationGate.check(ctx, deps);
    await expect(safetyGate.check(ctx, deps)).rejects.toMatchObject({ code: "SAFETY_BLOCKED" });
  });

  it("keeps a sub-run at its parent's level at most", async () => {
    const deps = fakeDeps();
    const ctx = context({ safety: "full-auto" }, deps);
    ctx.parent = runRow({ spec: { safety: "suggest" } as never });
    await safetyGate.check(ctx, deps);
    expect(ctx.safety).toBe("suggest");
  });

  it("warns at three failures in a row on the same task and refuses at five", async () => {
    const warned = context();
    await safetyGate.check(warned, fakeDeps({ outcomes: failures(3) }));
    expect(warned.safetyWarnings.map((w) => w.action)).toEqual(["loop_warning"]);
    expect(warned.warnings).toHaveLength(1);
    await expect(safetyGate.check(context(), fakeDeps({ outcomes: failures(5) }))).rejects.toMatchObject({
      code: "LOOP_DETECTED",
    });
  });
});
