import { describe, expect, it } from "vitest";
import { context } from "./fixtures/gate-fixtures.js";
import { modeGate } from "./mode-gate.js";

describe("mode gate", () => {
  it("refuses Plan mode", () => {
    expect(() => modeGate.check(context({ mode: "plan" }), {} as never)).toThrow(/disabled in Plan mode/);
  });

  it("refuses an unknown mode as a malformed request and admits build, review and the default", () => {
    expect(() => modeGate.check(context({ mode: "yolo" }), {} as never)).toThrow(/unknown mode "yolo"/);
    for (const mode of ["build", "review", ""])
      expect(() => modeGate.check(context({ mode }), {} as never)).not.toThrow();
  });
});
