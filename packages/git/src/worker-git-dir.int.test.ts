import { mkdir, readdir, readFile, rm } from "node:fs/promises";
import { join, relative } from "node:path";
import { makeTempDir } from "@pancode/testing/git";
import { afterEach, describe, expect, it } from "vitest";
import { git } from "./git-runner.js";
import { initWorkerGitDir } from "./worker-git-dir.js";

const roots: string[] = [];
afterEach(async () => {
  for (const root of roots.splice(0)) await rm(root, { recursive: true, force: true });
});

/** Every file and directory of `dir` with the content of each file. */
async function listing(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name);
    out[relative(dir, path)] = entry.isDirectory() ? "<dir>" : await readFile(path, "utf8");
  }
  return out;
}

async function initRun(root: string, runId: string): Promise<{ gitDir: string; workTree: string }> {
  const workTree = join(root, runId, "workspace");
  const gitDir = join(root, runId, "worker.git");
  await mkdir(workTree, { recursive: true });
  const target = { cwd: workTree, env: { GIT_DIR: gitDir, GIT_WORK_TREE: workTree } };
  await initWorkerGitDir(target, { gitDir, workTree, sharedObjects: "/mirror/objects" });
  return { gitDir, workTree };
}

describe("initWorkerGitDir", () => {
  it("writes, without git, exactly what git init and the alternates entry give", async () => {
    const root = await makeTempDir("worker-git-dir");
    roots.push(root);
    await initRun(root, "run-first");
    const { gitDir, workTree } = await initRun(root, "run-second");
    const written = await listing(gitDir);

    const reference = join(root, "reference.git");
    await git({ cwd: workTree, env: { GIT_DIR: reference, GIT_WORK_TREE: workTree } }, [
      "init",
      "--quiet",
      "--template=",
    ]);
    const expected = await listing(reference);
    expected[join("objects", "info", "alternates")] = "/mirror/objects\n";
    expect(written).toEqual(expected);
    expect(written.config).toContain(`\tworktree = ${workTree}\n`);
  });
});
