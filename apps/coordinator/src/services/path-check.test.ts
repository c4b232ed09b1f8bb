import { PanCodeError } from "@pancode/core";
import { describe, expect, it } from "vitest";
import { checkPaths, MAX_LISTED_MISSING, resolveInTree, type TreeLookup } from "./path-check.js";

/** An in-memory tree: files, and symlinks with their targets. */
function tree(files: string[], links: Record<string, string> = {}): TreeLookup {
  const map = new Map<string, { mode: string; oid: string }>();
  for (const f of files) map.set(f, { mode: "100644", oid: "0" });
  for (const l of Object.keys(links)) map.set(l, { mode: "120000", oid: "0" });
  const dirs = new Set([""]);
  for (const p of map.keys()) for (let i = p.indexOf("/"); i >= 0; i = p.indexOf("/", i + 1)) dirs.add(p.slice(0, i));
  return { files: map, isDirectory: (p) => dirs.has(p), readLink: async (p) => links[p] ?? "" };
}

const t = tree(["src/a.ts", "README.md"], {
  docs: "src",
  "src/self": ".",
  out: "/etc",
  "src/up": "../..",
  abs: "/workspace/src",
  loop: "loop",
});

describe("resolveInTree", () => {
  it("finds files and directories, also through symlinks that stay inside", async () => {
    for (const p of ["src/a.ts", "src", "docs/a.ts", "src/self/self/a.ts", "abs/a.ts", "/workspace/README.md"]) {
      expect(await resolveInTree(p, t)).toEqual({ outside: false, exists: true });
    }
    expect(await resolveInTree("docs/missing.ts", t)).toEqual({ outside: false, exists: false });
    expect(await resolveInTree("nothing/here/a.ts", t)).toEqual({ outside: false, exists: false });
    expect(await resolveInTree("nothing/../src/a.ts", t)).toEqual({ outside: false, exists: true });
  });

  it("climbs back out of a missing directory into a symlink that points out", async () => {
    expect(await resolveInTree("nothing/../out/passwd", t)).toEqual({ outside: true, via: "out -> /etc" });
    expect(await resolveInTree("nothing/deeper/../../src/up/x", t)).toMatchObject({ outside: true });
  });

  it("catches escapes through symlinks, absolute and relative, and symlink loops", async () => {
    expect(await resolveInTree("out/passwd", t)).toEqual({ outside: true, via: "out -> /etc" });
    expect(await resolveInTree("src/up/x", t)).toEqual({ outside: true, via: "src/up -> ../.." });
    expect(await resolveInTree("docs/up/x", t)).toMatchObject({ outside: true });
    expect(await resolveInTree("loop/x", t)).toMatchObject({ outside: true, via: "loop (symlink loop)" });
  });
});

describe("checkPaths", () => {
  it("loads no tree when the task names no path, and refuses lexical escapes without one", async () => {
    const never = async (): Promise<TreeLookup> => {
      throw new Error("tree loaded");
    };
    expect(await checkPaths("run the tests", never)).toEqual([]);
    await expect(checkPaths("cat ../x", never)).rejects.toMatchObject({ code: "PATH_OUTSIDE_WORKSPACE" });
  });

  it("warns about missing files in directories of the tree, never about words that only contain a slash", async () => {
    expect(await checkPaths("edit src/b.ts and/or src/a.ts; sed -i s/foo/bar/ README.md", async () => t)).toEqual([
      'path "src/b.ts" named in the task does not exist in the workspace',
    ]);
    // No warning for a directory that is not in the tree, a bare name, a glob, or an import without an extension.
    expect(await checkPaths("write out2/r.json notes.md src/**/*.ts ./Header", async () => t)).toEqual([]);
    expect(await checkPaths("create ./data/users.json", async () => t)).toEqual([
      'path "./data/users.json" named in the task does not exist in the workspace',
    ]);
  });

  it("does not refuse the false alarms of issue 10", async () => {
    for (const task of [
      "Make the API return 404 for /api/users/:id",
      "Fix the </div> tag",
      "Replace the regex /^a+$/",
      "head -c 50M /dev/urandom > big.bin",
      "sed -i s/foo/bar/ f",
    ]) {
      expect([task, await checkPaths(task, async () => t)]).toEqual([task, []]);
    }
  });

  it("lists at most a few missing paths and counts the rest", async () => {
    const task = Array.from({ length: 25 }, (_, i) => `src/missing${i}.ts`).join(" ");
    const warnings = await checkPaths(task, async () => t);
    expect(warnings).toHaveLength(MAX_LISTED_MISSING + 1);
    expect(warnings[0]).toBe('path "src/missing0.ts" named in the task does not exist in the workspace');
    expect(warnings.at(-1)).toBe(
      `${25 - MAX_LISTED_MISSING} more paths named in the task do not exist in the workspace`,
    );
  });

  it("refuses with a message naming the path, the link and what to do", async () => {
    const err = await checkPaths("cat out/passwd", async () => t).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PanCodeError);
    expect((err as Error).message).toBe(
      'Dispatch blocked: path "out/passwd" resolves outside the workspace (through out -> /etc). Name files relative to the repository root; agents only see the workspace.',
    );
  });
});

describe("checkPaths on adversarial 64 KB tasks (linear: answers correct, not timed)", () => {
  const KB64 = 64 * 1024;

  it("admits long runs of punctuation, slashes and segments, and shortens the paths it quotes", async () => {
    expect(await checkPaths(`fix src/a.ts${":!?".repeat(KB64 / 3)}`, async () => t)).toEqual([]);
    expect(await checkPaths(`fix src/a${":!?".repeat(KB64 / 3)}x`, async () => t)).toEqual([]);
    expect(await checkPaths(`a${".".repeat(KB64)}b`, async () => t)).toEqual([]);
    expect(await checkPaths("/".repeat(KB64), async () => t)).toEqual([]);
    expect(await checkPaths(`${"src/../".repeat(KB64 / 7)}README.md`, async () => t)).toEqual([]);
    const [deep] = await checkPaths(`src/${"a/".repeat(KB64 / 2)}`, async () => t);
    expect(deep).toMatch(/^path "src\/a\/a\/.{100,}\.\.\. \(65540 characters\)" named in the task does not exist/);
    expect(deep?.length).toBeLessThan(300);
  });

  it("refuses an escape hidden deep in a long path, or after thousands of other paths", async () => {
    await expect(
      checkPaths(`cat ${"src/".repeat(KB64 / 8)}${"../".repeat(KB64 / 8 + 1)}x`, async () => t),
    ).rejects.toMatchObject({
      code: "PATH_OUTSIDE_WORKSPACE",
    });
    await expect(
      checkPaths(`cat ${"nothing/".repeat(KB64 / 16)}${"../".repeat(KB64 / 16)}out/x`, async () => t),
    ).rejects.toMatchObject({
      code: "PATH_OUTSIDE_WORKSPACE",
      message: expect.stringContaining("(through out -> /etc)"),
    });
    const many = Array.from({ length: 6000 }, (_, i) => `src/f${i}.ts`).join(" ");
    await expect(checkPaths(`${many} src/up/secret`, async () => t)).rejects.toMatchObject({
      code: "PATH_OUTSIDE_WORKSPACE",
      message: expect.stringContaining("(through src/up -> ../..)"),
    });
    expect(await checkPaths(many, async () => t)).toHaveLength(MAX_LISTED_MISSING + 1);
  });

  it("stops a 64 KB chain of symlink hops as a loop", async () => {
    await expect(checkPaths(`cat src/${"self/".repeat(KB64 / 5)}a.ts`, async () => t)).rejects.toMatchObject({
      code: "PATH_OUTSIDE_WORKSPACE",
      message: expect.stringContaining("(symlink loop)"),
    });
  });
});
