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
    expect(extractPaths("cd .. && cat ../secret ./a /etc/passwd ~/.ssh/id_rsa ~root/.profile")).toEqual([
      { path: "..", kind: "explicit" },
      { path: "../secret", kind: "explicit" },
      { path: "./a", kind: "explicit" },
      { path: "/etc/passwd", kind: "absolute" },
      { path: "~/.ssh/id_rsa", kind: "explicit" },
      { path: "~root/.profile", kind: "explicit" },
    ]);
  });

  it("strips quotes, brackets, trailing punctuation, line numbers and flag names", () => {
    expect(paths('fix "src/a.ts:12:5", (lib/b.js). see `c/d.py`; --out=/etc/x?!')).toEqual([
      "src/a.ts",
      "lib/b.js",
      "c/d.py",
      "/etc/x",
    ]);
  });

  it("keeps dots that make a whole segment: `src/..` and `../..` are paths, not sentences", () => {
    expect(paths("ls src/../.. and ../.., then src/a.ts... and src/..,")).toEqual([
      "src/../..",
      "../..",
      "src/a.ts",
      "src/..",
    ]);
  });

  it("checks absolute paths under /workspace or a system directory, or with a directory and an extension", () => {
    expect(paths("/workspace/src /usr/local/bin/node /srv2/app/main.py /Users/me/x /etc")).toEqual([
      "/workspace/src",
      "/usr/local/bin/node",
      "/srv2/app/main.py",
      "/Users/me/x",
      "/etc",
    ]);
  });

  it.each([
    ["a route pattern", "Make the API return 404 for /api/users/:id"],
    ["a URL path", "Use /v1/chat/completions, not /api/search?q=x"],
    ["an HTML tag", "Fix the </div> tag and the </span>"],
    ["a regex literal", "Replace the regex /^a+$/ and /\\s+/g"],
    ["a sed expression", "sed -i s/foo/bar/ f; s/a\\/b/c/g; y/abc/xyz/"],
    ["dates and ratios", "on 2024/01/02 or 12/31/2023, a 50/50 split, 24/7"],
    ["device files", "head -c 50M /dev/urandom 2>/dev/null; cat /proc/self/environ"],
    ["the sandbox's scratch space", "go build -o /tmp/server && /tmp/server"],
    ["a web root file", "serve /robots.txt and /favicon.ico"],
    ["a URL path after an HTTP method", "GET /users/export.csv and POST /api/v1/upload.json"],
    ["a URL path in an attribute", '<script src="/static/js/app.js"></script> <a href="/dl/app-1.2.dmg">'],
    ["URLs, flags, packages and variables", "see https://x.org/a.md, --out=x @types/node $HOME/.npmrc"],
    ["plain words and version numbers", "bump 1.2.3, use node, run npm test"],
  ])("leaves out %s", (_what, task) => {
    expect(paths(task)).toEqual([]);
  });

  it("marks slash tokens without a leading ./ as relative: checked for escapes, warned about only if in the tree", () => {
    expect(extractPaths("and/or etc-link/passwd src/ package.json .env")).toEqual([
      { path: "and/or", kind: "relative" },
      { path: "etc-link/passwd", kind: "relative" },
      { path: "src/", kind: "relative" },
      { path: "package.json", kind: "bare" },
      { path: ".env", kind: "bare" },
    ]);
  });
});

describe("extractPaths on adversarial input (linear: one pass, no backtracking)", () => {
  const KB64 = 64 * 1024;

  it("strips 64 KB of trailing sentence punctuation", () => {
    expect(paths(`src/a.ts${":!?".repeat(KB64 / 3)}`)).toEqual(["src/a.ts"]);
    expect(paths(`src/a${":?".repeat(KB64 / 2)}x`)).toEqual([`src/a${":?".repeat(KB64 / 2)}x`]);
    expect(paths(`src/a.ts${"!?;".repeat(KB64 / 3)}`)).toEqual(["src/a.ts"]);
    expect(paths(`src/a.ts${".".repeat(KB64)}`)).toEqual(["src/a.ts"]);
  });

  it("reads 64 KB of dots and slashes as what they are", () => {
    // A word followed by dots is a sentence ending, however many there are.
    expect(paths(`see${".".repeat(KB64)}`)).toEqual([]);
    expect(paths(`a${".".repeat(KB64)}b`)).toEqual([`a${".".repeat(KB64)}b`]);
    // A token of dots and slashes only is kept whole: it climbs out.
    expect(paths(`${"../".repeat(KB64 / 3)}`)).toEqual([`${"../".repeat(KB64 / 3)}`]);
    expect(paths("/".repeat(KB64))).toEqual([]);
    expect(paths(`src/${"a/".repeat(KB64 / 2)}`)).toEqual([`src/${"a/".repeat(KB64 / 2)}`]);
  });

  it("keeps every distinct path of a task with thousands of them, once each", () => {
    const many = Array.from({ length: 8000 }, (_, i) => `src/f${i}.ts`);
    expect(paths([...many, ...many].join(" "))).toEqual(many);
  });

  it("finds a line-number suffix after 64 KB of digits", () => {
    expect(paths(`src/a.ts:${"1".repeat(KB64)}`)).toEqual(["src/a.ts"]);
    expect(paths(`x${":1".repeat(KB64 / 2)}`)).toEqual([]);
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
