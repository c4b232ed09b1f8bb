import { ERROR_CODES, PanCodeError } from "@pancode/core";
import { describe, expect, test } from "vitest";
import { GATE_FOR_CODE, GATES, gateOf } from "./admission.js";

describe("gateOf", () => {
  test("names the gate of every refusal code, in the seed's order", () => {
    const codes = [
      "MODE_BLOCKED",
      "READONLY_REQUIRED",
      "DRAINING",
      "DEPTH_EXCEEDED",
      "EMPTY_TASK",
      "PATH_OUTSIDE_WORKSPACE",
      "SAFETY_BLOCKED",
      "BUDGET_EXCEEDED",
      "UNKNOWN_AGENT",
      "NO_WORKER",
    ] as const;
    expect(codes.map((c) => gateOf(new PanCodeError(c, "x")))).toEqual([...GATES]);
    expect(gateOf(new PanCodeError("LOOP_DETECTED", "x"))).toBe("safety");
    expect(gateOf(new PanCodeError("INVALID_ARGUMENT", "x"))).toBe("request");
  });

  test("is undefined for failures that are no refusal", () => {
    expect(gateOf(new PanCodeError("UNAVAILABLE", "db down"))).toBeUndefined();
    expect(gateOf(new PanCodeError("INTERNAL", "bug"))).toBeUndefined();
    expect(gateOf(new Error("plain"))).toBeUndefined();
    for (const code of Object.keys(GATE_FOR_CODE)) expect(ERROR_CODES).toContain(code);
  });
});
