import { describe, expect, it } from "vitest";
import { parseMergeTree } from "./merge-tree.js";
import { parseBinaryPaths, parseNameStatus } from "./tree-diff.js";

describe("parseNameStatus", () => {
  it("reads plain statuses and rename/copy pairs from -z output, including paths with spaces and tabs", () => {
    const raw = "M\0src/a b.ts\0A\0new\tfile\0D\0gone\0R087\0old.txt\0new.txt\0C100\0x\0y\0T\0link\0";
    expect(parseNameStatus(raw)).toEqual([
      { path: "src/a b.ts", status: "modified" },
      { path: "new\tfile", status: "added" },
      { path: "gone", status: "deleted" },
      { path: "new.txt", status: "renamed", oldPath: "old.txt" },
      { path: "y", status: "copied", oldPath: "x" },
      { path: "link", status: "type-changed" },
    ]);
  });

  it("returns nothing for empty output", () => {
    expect(parseNameStatus("")).toEqual([]);
  });
});

describe("parseBinaryPaths", () => {
  it("marks -\\t- records as binary, for plain and renamed paths", () => {
    const raw = "3\t1\ta.txt\0-\t-\tblob.bin\0-\t-\t\0old.bin\0moved.bin\0" + "0\t0\t\0x\0y\0";
    expect([...parseBinaryPaths(raw)].sort()).toEqual(["blob.bin", "moved.bin"]);
  });
});

describe("parseMergeTree", () => {
  it("parses a clean merge", () => {
    expect(parseMergeTree("abc\0\0")).toEqual({ tree: "abc", conflicts: new Map() });
  });

  it("attaches CONFLICT messages to the conflicted paths and ignores informational ones", () => {
    const raw =
      "t1\0f\0g h\0\0" +
      "1\0f\0Auto-merging\0Auto-merging f\n\0" +
      "1\0f\0CONFLICT (contents)\0CONFLICT (content): Merge conflict in f\n\0" +
      "2\0g h\0other\0CONFLICT (modify/delete)\0CONFLICT (modify/delete): g h deleted in one side\n\0";
    const merge = parseMergeTree(raw);
    expect(merge.tree).toBe("t1");
    expect(merge.conflicts).toEqual(
      new Map([
        ["f", "CONFLICT (content): Merge conflict in f"],
        ["g h", "CONFLICT (modify/delete): g h deleted in one side"],
      ]),
    );
  });
});
