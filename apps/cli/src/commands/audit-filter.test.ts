import { describe, expect, test } from "vitest";
import { parseAuditFilter } from "../client/audit.js";
import { UsageError } from "../client/exit-codes.js";
import { sessionMode } from "./mode.js";

describe("parseAuditFilter", () => {
  test("accepts the categories and run:<id>", () => {
    expect(parseAuditFilter(undefined)).toEqual({});
    expect(parseAuditFilter("budget")).toEqual({ category: "budget" });
    expect(parseAuditFilter("safety")).toEqual({ category: "safety" });
    expect(parseAuditFilter("run:0193ab")).toEqual({ runId: "0193ab" });
  });

  test("refuses anything else as a usage error", () => {
    expect(() => parseAuditFilter("nonsense")).toThrow(UsageError);
    expect(() => parseAuditFilter("run:")).toThrow(/needs an id/);
  });
});

describe("sessionMode", () => {
  test("--mode beats PANCODE_MODE beats the default build", () => {
    expect(sessionMode("plan", { mode: "review" })).toEqual({ mode: "plan", source: "flag" });
    expect(sessionMode(undefined, { mode: "review" })).toEqual({ mode: "review", source: "env" });
    expect(sessionMode(undefined, {})).toEqual({ mode: "build", source: "default" });
    expect(() => sessionMode(undefined, { mode: "yolo" })).toThrow(/PANCODE_MODE/);
  });
});
