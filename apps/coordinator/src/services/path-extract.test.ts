import { describe, expect, it } from "vitest";
import { extractPaths, normalisePath } from "./path-extract.js";

const paths = (task: string) => extractPaths(task).map((c) => c.path);

describe("extractPaths", () => {
  it("finds paths of any directory, not only src/ lib/ test/", () => {
    expect(paths("update docs/guide.md and packages/x/src/y.ts, then README.md")).toEqual([
      "docs/guide.md",
      "packages/x/src/y.ts",
      "README.md",
    ]);
  });

  it("finds explicit relative, absolute and home paths, and `..` alone", () => {
    expect(paths("cd .. && cat ../secret ./a /etc/passwd ~/.ssh/id_rsa")).toEqual([
      "..",
      "../secret",
      "./a",
      "/etc/passwd",
      "~/.ssh/id_rsa",
    ]);
  });

  it("strips quotes, brackets, trailing punctuation, line numbers and flag names", () => {
    expect(paths('fix "src/a.ts:12:5", (lib/b.js). see `c/d.py`; --out=/tmp/x')).toEqual([
      "src/a.ts",
      "lib/b.js",
      "c/d.py",
      "/tmp/x",
    ]);
  });

  it("leaves out URLs, harmless devices, plain words and version numbers", () => {
    expect(paths("see https://x.org/a.md, run npm test 2>/dev/null, bump 1.2.3, use node")).toEqual([]);
  });

  it("marks slash tokens without an extension as possible paths only", () => {
    expect(extractPaths("and/or etc-link/passwd src/")).toEqual([
      { path: "and/or", likely: false },
      { path: "etc-link/passwd", likely: false },
      { path: "src/", likely: true },
    ]);
  });
});

describe("normalisePath", () => {
  it("keeps paths inside the root and resolves `..` segment-wise", () => {
    expect(normalisePath("src/../lib/./a.ts")).toEqual({
      raw: "src/../lib/./a.ts",
      segments: ["lib", "a.ts"],
      outside: false,
    });
    expect(normalisePath("/workspace/src/a.ts").segments).toEqual(["src", "a.ts"]);
    expect(normalisePath("/workspace").segments).toEqual([]);
  });

  it("puts `..` above the root, other absolute paths and ~ outside", () => {
    for (const raw of ["..", "../x", "src/../../x", "/etc/passwd", "~/x", "/workspace/../etc"]) {
      expect(normalisePath(raw).outside).toBe(true);
    }
  });

  it("compares segments, not string prefixes", () => {
    expect(normalisePath("/workspace-evil/a.ts").outside).toBe(true);
    expect(normalisePath("/workspaces/a.ts").outside).toBe(true);
  });
});
