import { PanCodeError } from "@pancode/core";
import { describe, expect, it } from "vitest";
import { checkPaths, resolveInTree, type TreeLookup } from "./path-check.js";

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

  it("warns about likely paths that are missing, never about possible ones", async () => {
    expect(await checkPaths("edit src/b.ts and/or src/a.ts", async () => t)).toEqual([
      'path "src/b.ts" named in the task does not exist in the workspace',
    ]);
  });

  it("refuses with a message naming the path, the link and what to do", async () => {
    const err = await checkPaths("cat out/passwd", async () => t).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PanCodeError);
    expect((err as Error).message).toBe(
      'Dispatch blocked: path "out/passwd" resolves outside the workspace (through out -> /etc). Name files relative to the repository root; agents only see the workspace.',
    );
  });
});
