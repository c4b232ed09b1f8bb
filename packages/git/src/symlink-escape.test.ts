import { describe, expect, it } from "vitest";
import { findEscapingSymlinks, resolveLink } from "./symlink-escape.js";

const links = (entries: Record<string, string>) => new Map(Object.entries(entries));

describe("resolveLink", () => {
  it.each([
    ["up", "..", true],
    ["a/b/up", "../../..", true],
    ["a/b/sibling", "../c", false],
    ["a/b/root", "../..", false],
    ["abs", "/etc", true],
    ["abs-inside-looking", "/work/repo/src", true],
    ["git", ".git/hooks", true],
    ["a/nested-git", "../.GIT", true],
    ["plain", "src/index.ts", false],
    ["dotdot-in-middle", "src/../../x", true],
  ])("%s -> %s escapes: %s", (path, target, escapes) => {
    expect(resolveLink(path, links({ [path]: target })).escapes).toBe(escapes);
  });

  it("follows links on the way: each of `here -> .` and `out -> here/..` looks inside alone", () => {
    const tree = links({ here: ".", out: "here/.." });
    expect(resolveLink("here", tree).escapes).toBe(false);
    expect(resolveLink("out", tree)).toMatchObject({ escapes: true, through: ["here"] });
  });

  it("stops on a loop", () => {
    expect(resolveLink("a", links({ a: "b", b: "a" }))).toMatchObject({ escapes: true, why: "symlink loop" });
  });
});

describe("findEscapingSymlinks", () => {
  it("names the changed links only: an escaping link of the developer's own is not the patch's doing", () => {
    const tree = links({ mine: "/opt/tools", evil: "/etc", fine: "src" });
    expect(findEscapingSymlinks(tree, new Set(["evil", "fine"]))).toEqual([
      { path: "evil", target: "/etc", reason: "symlink to /etc: absolute target /etc" },
    ]);
  });

  it("blames a new link that an old one passes through on its way out", () => {
    const tree = links({ old: "hop/..", hop: "." });
    const found = findEscapingSymlinks(tree, new Set(["hop"]));
    expect(found.map((f) => f.path)).toEqual(["hop"]);
    expect(found[0]?.reason).toMatch(/lets old escape/);
  });
});
