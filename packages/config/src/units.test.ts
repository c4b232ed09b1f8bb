import { DurationMsEnv, MibEnv, parseDurationMs, parseMib } from "@pancode/config";
import { describe, expect, it } from "vitest";

describe("sizes and durations from the environment", () => {
  it("reads memory sizes in MiB, as Docker writes them", () => {
    expect(parseMib("8g")).toBe(8192);
    expect(parseMib("512m")).toBe(512);
    expect(parseMib("2GiB")).toBe(2048);
    expect(parseMib("1t")).toBe(1024 * 1024);
    expect(parseMib("4096")).toBe(4096);
    expect(parseMib("-1g")).toBeUndefined();
    expect(parseMib("lots")).toBeUndefined();
    expect(MibEnv.safeParse("0").success).toBe(false);
  });

  it("reads durations in ms", () => {
    expect(parseDurationMs("2h")).toBe(7_200_000);
    expect(parseDurationMs("90m")).toBe(5_400_000);
    expect(parseDurationMs("1500")).toBe(1500);
    expect(parseDurationMs("soon")).toBeUndefined();
    expect(DurationMsEnv.safeParse("0s").success).toBe(false);
  });
});
