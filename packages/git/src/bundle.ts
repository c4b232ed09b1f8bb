import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PanCodeError } from "@pancode/core/errors";
import { updateRef } from "./commit-objects.js";
import { type GitTarget, git, objectExists } from "./git-runner.js";
import { assertObjectId } from "./ids.js";

/** Ref namespace naming bundled commits; a bundle must be created from a ref, and the worker imports by commit. */
export const BUNDLE_REF_PREFIX = "refs/pancode/bundles/";

/**
 * A git bundle holding `commit` and its whole history, self-contained (no prerequisites), so a worker with an
 * empty cache can import it. The bundle's single ref is `refs/pancode/bundles/<commit>`, which is also left in
 * the checkout: it is harmless and keeps the commit reachable.
 *
 * Throws `NOT_FOUND` when `commit` is not a commit of the repository.
 */
export async function createBundle(repoRoot: string, commit: string): Promise<Buffer> {
  return withBundleFile(repoRoot, commit, (file) => readFile(file));
}

/**
 * Like {@link createBundle}, but hands `use` the bundle's temp file instead of its bytes (removed afterwards), so a
 * large history can be streamed from disk rather than held in memory.
 */
export async function withBundleFile<T>(
  repoRoot: string,
  commit: string,
  use: (file: string) => Promise<T>,
): Promise<T> {
  assertObjectId(commit, "bundle commit");
  const target: GitTarget = { cwd: repoRoot };
  if (!(await objectExists(target, commit, "commit"))) {
    throw new PanCodeError("NOT_FOUND", `commit ${commit} not found in repository ${repoRoot}`);
  }
  const ref = `${BUNDLE_REF_PREFIX}${commit}`;
  await updateRef(target, ref, commit);
  const dir = await mkdtemp(join(tmpdir(), "pancode-bundle-"));
  try {
    const file = join(dir, "state.bundle");
    await git(target, ["bundle", "create", "--quiet", file, ref]);
    return await use(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
