import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { createRepo, writeFiles } from "@pancode/testing/git";
import { afterEach, describe, expect, it } from "vitest";
import { createTestWorker, dispatchTo } from "./fixtures/workspace.js";
import { mergePatch } from "./merge-patch.js";

// Chain steps on the worker side: a step's worktree starts from the submitted state plus the earlier steps'
// patches, its own patch is relative to that, and the steps' patches merge back together as one change.

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

describe("chain steps", () => {
  it("start from the earlier patches and merge back together", async () => {
    const repo = await createRepo({ files: { "a.txt": "one\n" } });
    const w = await createTestWorker();
    cleanups.push(repo.cleanup, w.cleanup);
    await writeFiles(repo.dir, { "wip.txt": "uncommitted\n" });

    const first = await dispatchTo(w, repo.dir, "step-1");
    await writeFiles(first.worktree.path, { "a.txt": "one\ntwo\n" });
    const patch1 = (await w.cache.computePatch(first.worktree)).patch;

    const s = first.snapshot;
    const second = await w.cache.createWorktree({
      repoId: s.repoId,
      baseCommit: s.baseCommit,
      statePatch: s.statePatch,
      basePatches: [patch1],
      runId: "step-2",
    });
    expect(await readFile(join(second.path, "a.txt"), "utf8")).toBe("one\ntwo\n");
    expect(await readFile(join(second.path, "wip.txt"), "utf8")).toBe("uncommitted\n");
    await writeFiles(second.path, { "a.txt": "one\ntwo\nthree\n", "b.txt": "new\n" });
    const step2 = await w.cache.computePatch(second);
    // Only this step's own change: a.txt's third line and b.txt.
    expect(step2.files.map((f) => f.path).sort()).toEqual(["a.txt", "b.txt"]);
    expect(step2.patch.toString("utf8")).not.toContain("+two");

    const report = await mergePatch({ repoRoot: repo.dir, baseTree: s.stateTree, patch: [patch1, step2.patch] });
    expect(report.outcome).toBe("clean");
    expect(await readFile(join(repo.dir, "a.txt"), "utf8")).toBe("one\ntwo\nthree\n");
    expect(await readFile(join(repo.dir, "b.txt"), "utf8")).toBe("new\n");
  });
});
