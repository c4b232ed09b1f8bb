import { describe, expect, it } from "vitest";
import { context, fakeDeps } from "./fixtures/gate-fixtures.js";
import { mutationGate } from "./mutation-gate.js";

describe("mutation gate", () => {
  it("refuses a file-editing agent in Review mode", () => {
    const deps = fakeDeps();
    expect(() => mutationGate.check(context({ mode: "review", agent: "dev" }, deps), deps)).toThrow(
      expect.objectContaining({ code: "READONLY_REQUIRED" }),
    );
  });

  it("admits a read-only agent in Review mode and leaves an unknown agent to gate 9", () => {
    const deps = fakeDeps();
    const scout = context({ mode: "review", agent: "scout" }, deps);
    mutationGate.check(scout, deps);
    expect(scout.known?.name).toBe("scout");
    const unknown = context({ mode: "review", agent: "nobody" }, deps);
    mutationGate.check(unknown, deps);
    expect(unknown.known).toBeUndefined();
  });
});
