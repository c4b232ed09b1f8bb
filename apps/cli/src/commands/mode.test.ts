import { describe, expect, it } from "vitest";
import { UsageError } from "../client/exit-codes.js";
import { formatModeReport, modeReport } from "./mode.js";

describe("pancode mode", () => {
  it("shows build and auto-edit by default, with what each allows", () => {
    const report = modeReport({}, {});
    expect(report).toMatchObject({
      mode: "build",
      source: "default",
      safety: {
        level: "auto-edit",
        source: "default",
        allows: { readOnlyAgents: true, fileEditAgents: true, programAgents: true, beyondSandbox: false },
      },
    });
    const text = formatModeReport(report);
    expect(text).toMatch(/^mode: +build \(default\)$/m);
    expect(text).toMatch(/^safety: +auto-edit \(default\)$/m);
    expect(text).toMatch(/^file edits: +yes$/m);
    expect(text).toMatch(/^programs: +yes$/m);
    expect(text).toMatch(/^beyond sandbox: +no$/m);
  });

  it("prints the matrix of levels with examples, marking the session's", () => {
    const report = modeReport({}, {});
    expect(report.levels.map((l) => l.level)).toEqual(["suggest", "auto-edit", "full-auto"]);
    const text = formatModeReport(report);
    expect(text).toMatch(/^\* auto-edit +also agents that edit files and run commands inside their sandbox$/m);
    expect(text).toMatch(/^ +e\.g\. dev, builder, documenter, shell, custom agents with bash/m);
    expect(text).toMatch(/^ {2}suggest +read-only agents only/m);
    expect(text).toMatch(/^ {2}full-auto +also agents that reach beyond the sandbox: host networking/m);
  });

  it("takes the level from --safety before PANCODE_SAFETY", () => {
    const env = { safety: "full-auto", mode: "review" };
    expect(modeReport({}, env).safety).toMatchObject({
      level: "full-auto",
      source: "env",
      allows: { beyondSandbox: true },
    });
    const flagged = modeReport({ safety: "suggest" }, env);
    expect(flagged.mode).toBe("review");
    expect(flagged.safety).toMatchObject({
      level: "suggest",
      source: "flag",
      allows: { readOnlyAgents: true, fileEditAgents: false, programAgents: false, beyondSandbox: false },
    });
    expect(formatModeReport(flagged)).toMatch(/^safety: +suggest \(--safety\)$/m);
  });

  it("refuses an unknown level with a usage error", () => {
    expect(() => modeReport({ safety: "yolo" }, {})).toThrow(UsageError);
    expect(() => modeReport({}, { safety: "max" })).toThrow(/PANCODE_SAFETY must be one of/);
  });
});
