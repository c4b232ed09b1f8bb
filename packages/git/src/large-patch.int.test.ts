import { createHash, randomBytes } from "node:crypto";
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createRepo } from "@pancode/testing/git";
import { afterEach, expect, it } from "vitest";
import { createTestWorker, dispatchTo } from "./fixtures/workspace.js";
import { mergePatch } from "./merge-patch.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

const sha = (data: Buffer) => createHash("sha256").update(data).digest("hex");

it("round-trips a 50 MB random binary file through computePatch and mergePatch", async () => {
  const repo = await createRepo({ files: { "README.md": "big file test\n" } });
  const w = await createTestWorker();
  cleanups.push(repo.cleanup, w.cleanup);
  const { snapshot, worktree } = await dispatchTo(w, repo.dir, "run-large");
  let big: Buffer | undefined = randomBytes(50 * 1024 * 1024);
  const expected = sha(big);
  await writeFile(join(worktree.path, "big.bin"), big);
  big = undefined;

  const { patch, files } = await w.cache.computePatch(worktree);
  expect(files).toEqual([{ path: "big.bin", status: "added", binary: true }]);
  expect(patch.length).toBeGreaterThan(50 * 1024 * 1024);
  await rm(worktree.path, { recursive: true, force: true });

  const report = await mergePatch({ repoRoot: repo.dir, baseTree: snapshot.stateTree, patch });
  expect(report).toEqual({ outcome: "clean", files: [{ path: "big.bin", status: "added" }] });
  expect(sha(await readFile(join(repo.dir, "big.bin")))).toBe(expected);
});
