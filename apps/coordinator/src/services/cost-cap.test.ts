import { describe, expect, it } from "vitest";
import { effectiveCostCap } from "./dispatch-service.js";

describe("effectiveCostCap", () => {
  it("prefers the dispatch's cap, else PANCODE_PER_RUN_BUDGET, else none", () => {
    expect(effectiveCostCap(0.5, 2)).toBe(0.5);
    expect(effectiveCostCap(0, 2)).toBe(2);
    expect(effectiveCostCap(undefined, 2)).toBe(2);
    expect(effectiveCostCap(0, 0)).toBe(0);
    expect(effectiveCostCap(undefined, undefined)).toBe(0);
  });
});
