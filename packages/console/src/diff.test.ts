import { describe, expect, it } from "vitest";
import { parsePatch } from "../web/diff.js";

// The console's patch reader (web/diff.ts): files named, binary sections never dumped, markup kept as plain text.

const TEXT = [
  "diff --git a/src/a.ts b/src/a.ts",
  "index 1111111..2222222 100644",
  "--- a/src/a.ts",
  "+++ b/src/a.ts",
  "@@ -1,2 +1,2 @@",
  " keep",
  "-old <b>",
  "+new <script>alert(1)</script>",
].join("\n");

const BINARY = [
  "diff --git a/logo.png b/logo.png",
  "new file mode 100644",
  "index 0000000..3333333",
  "GIT binary patch",
  "literal 5",
  "McmZQzWMXCj0000200RI3",
  "",
  "literal 0",
  "HcmV?d00001",
].join("\n");

const RENAME = [
  "diff --git a/old.txt b/new.txt",
  "similarity index 100%",
  "rename from old.txt",
  "rename to new.txt",
].join("\n");

describe("parsePatch", () => {
  it("reads text hunks with line numbers and keeps markup as text", () => {
    const [file] = parsePatch(`${TEXT}\n`);
    expect(file).toMatchObject({ path: "src/a.ts", status: "modified", binary: false, additions: 1, deletions: 1 });
    expect(file?.rows).toEqual([
      { type: "hunk", text: "@@ -1,2 +1,2 @@" },
      { type: "normal", oldLine: 1, newLine: 1, text: "keep" },
      { type: "del", oldLine: 2, newLine: null, text: "old <b>" },
      { type: "add", oldLine: null, newLine: 2, text: "new <script>alert(1)</script>" },
    ]);
  });

  it("names a binary file without its data, and keeps the files around it", () => {
    const files = parsePatch(`${TEXT}\n${BINARY}\n${RENAME}\n`);
    expect(files.map((f) => [f.path, f.status, f.binary])).toEqual([
      ["src/a.ts", "modified", false],
      ["logo.png", "added", true],
      ["new.txt", "renamed", false],
    ]);
    expect(files[1]?.rows).toEqual([]);
    expect(files[2]?.oldPath).toBe("old.txt");
  });

  it("reads a patch of many thousand lines", () => {
    const lines = Array.from({ length: 20_000 }, (_, i) => `+line ${i}`);
    const big = ["diff --git a/big.txt b/big.txt", "new file mode 100644", "--- /dev/null", "+++ b/big.txt"];
    const [file] = parsePatch([...big, "@@ -0,0 +1,20000 @@", ...lines, ""].join("\n"));
    expect(file?.additions).toBe(20_000);
    expect(file?.rows).toHaveLength(20_001);
  });

  it("reads an empty patch as no files", () => {
    expect(parsePatch("")).toEqual([]);
  });
});
