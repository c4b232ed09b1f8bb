import { describe, expect, it } from "vitest";
import { parseTimeout } from "./submit-flags.js";

describe("--timeout", () => {
  it("takes durations with a unit or plain milliseconds, and refuses the rest", () => {
    expect(parseTimeout(undefined)).toBe(0);
    expect(parseTimeout("90s")).toBe(90_000);
    expect(parseTimeout("5m")).toBe(300_000);
    expect(parseTimeout("1500")).toBe(1500);
    for (const bad of ["0", "-1s", "soon", ""]) expect(() => parseTimeout(bad), bad).toThrow(/--timeout must be/);
  });
});
