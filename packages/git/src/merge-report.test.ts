import { describe, expect, it } from "vitest";
import { buildMergeReport } from "./merge-report.js";

const patchFiles = [
  { path: "a.txt", status: "modified" as const, binary: false },
  { path: "b.txt", status: "modified" as const, binary: false },
  { path: "new.txt", status: "added" as const, binary: false },
  { path: "old.txt", status: "deleted" as const, binary: false },
  { path: "moved.txt", status: "renamed" as const, oldPath: "orig.txt", binary: false },
];

describe("buildMergeReport", () => {
  it("names files the user also changed merged, the rest applied/added/deleted", () => {
    const report = buildMergeReport({ patchFiles, userChanged: new Set(["b.txt", "orig.txt"]), conflicts: new Map() });
    expect(report).toEqual({
      outcome: "clean",
      files: [
        { path: "a.txt", status: "applied" },
        { path: "b.txt", status: "merged" },
        { path: "new.txt", status: "added" },
        { path: "old.txt", status: "deleted" },
        { path: "moved.txt", status: "merged", detail: "renamed from orig.txt" },
      ],
    });
  });

  it("on conflict, marks conflicted files and says what would have happened to the others", () => {
    const conflicts = new Map([
      ["b.txt", "CONFLICT (content): Merge conflict in b.txt"],
      ["elsewhere.txt", "CONFLICT (rename/rename)"],
    ]);
    const report = buildMergeReport({ patchFiles, userChanged: new Set(["b.txt"]), conflicts });
    expect(report.outcome).toBe("conflict");
    expect(report.files[0]).toEqual({
      path: "a.txt",
      status: "applied",
      detail: "not written because other files conflict; would be applied",
    });
    expect(report.files[1]).toEqual({ path: "b.txt", status: "conflict", detail: conflicts.get("b.txt") });
    expect(report.files.at(-1)).toEqual({
      path: "elsewhere.txt",
      status: "conflict",
      detail: "CONFLICT (rename/rename)",
    });
    expect(report.files).toHaveLength(6);
  });
});
