import { lstat, mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { chownTree, parseNumericUser } from "./workspace-owner.js";

const isRoot = process.getuid?.() === 0;
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

describe("chownTree", () => {
  it.skipIf(!isRoot)("hands the whole tree to the user without following symlinks out of it", async () => {
    const base = await mkdtemp(join(tmpdir(), "pancode-chown-"));
    dirs.push(base);
    const tree = join(base, "tree");
    const outside = join(base, "outside");
    await mkdir(join(tree, "a", "b"), { recursive: true });
    await mkdir(outside);
    await writeFile(join(tree, "a", "b", "f.txt"), "x");
    await writeFile(join(outside, "secret"), "s");
    await symlink(outside, join(tree, "link-dir"));
    await symlink(join(outside, "secret"), join(tree, "a", "link-file"));

    await chownTree(tree, 1000, 1001);

    for (const p of [
      tree,
      join(tree, "a"),
      join(tree, "a", "b", "f.txt"),
      join(tree, "link-dir"),
      join(tree, "a", "link-file"),
    ]) {
      const st = await lstat(p);
      expect([p, st.uid, st.gid]).toEqual([p, 1000, 1001]);
    }
    expect((await lstat(outside)).uid).toBe(0);
    expect((await lstat(join(outside, "secret"))).uid).toBe(0);
  });

  it("names the path when the tree is missing", async () => {
    await expect(chownTree("/nonexistent/pancode-wt", 1000, 1000)).rejects.toMatchObject({
      code: "SANDBOX_FAILED",
      message: expect.stringContaining("/nonexistent/pancode-wt"),
    });
  });
});

describe("parseNumericUser", () => {
  it("parses uid:gid and uid, rejects names", () => {
    expect(parseNumericUser("1000:1001")).toEqual({ uid: 1000, gid: 1001 });
    expect(parseNumericUser("1000")).toEqual({ uid: 1000, gid: 1000 });
    expect(parseNumericUser("agent")).toBeUndefined();
  });
});
