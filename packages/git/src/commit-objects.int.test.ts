import { mkdir, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { createRepo, type FixtureRepo } from "@pancode/testing/git";
import { afterEach, expect, it } from "vitest";
import { commitTree, updateRef } from "./commit-objects.js";
import { git } from "./git-runner.js";

let repo: FixtureRepo | undefined;
afterEach(async () => {
  await repo?.cleanup();
  repo = undefined;
});

it("a state ref another dispatch from the same checkout is writing is waited for, not an error", async () => {
  repo = await createRepo({ files: { "a.txt": "a\n" } });
  const target = { cwd: repo.dir };
  const tree = (await git(target, ["rev-parse", "HEAD^{tree}"])).trim();
  const commit = (await commitTree(target, tree, [], "state")).trim();
  const ref = `refs/pancode/state/${tree}`;
  // The other writer holds git's lock on the ref for longer than git itself waits (100 ms), then writes the same
  // commit and lets go: a loaded machine with 50 CLIs in one checkout does this.
  const lock = join(repo.dir, ".git", `${ref}.lock`);
  await mkdir(dirname(lock), { recursive: true });
  await writeFile(lock, `${commit}\n`);
  const otherWriterDone = new Promise<void>((resolve) =>
    setTimeout(async () => {
      await writeFile(join(repo?.dir ?? "", ".git", ref), `${commit}\n`);
      await rm(lock);
      resolve();
    }, 400),
  );
  await expect(updateRef(target, ref, commit)).resolves.toBeUndefined();
  await otherWriterDone;
  expect((await git(target, ["rev-parse", ref])).trim()).toBe(commit);
});
