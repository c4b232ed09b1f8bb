import { stat } from "node:fs/promises";
import { PanCodeError } from "@pancode/core";
import { simpleGit } from "simple-git";
import { GIT_CONFIG, gitEnv } from "./git-env.js";
import { git } from "./git-runner.js";

/**
 * The top-level directory of the git checkout containing `cwd` (symlinks resolved). Throws `NOT_A_GIT_REPO` when
 * `cwd` is not inside a work tree (including a bare repository or a missing directory), and `INVALID_ARGUMENT` when
 * the repository belongs to another user: git refuses it ("dubious ownership") rather than run its configuration
 * (e.g. `core.fsmonitor`) as us, and so do we.
 */
export async function findRepoRoot(cwd: string): Promise<string> {
  const notARepo = () =>
    new PanCodeError("NOT_A_GIT_REPO", `not inside a git repository: ${cwd} (run pancode from a git checkout)`);
  const isDir = await stat(cwd).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!isDir) throw notARepo();
  // Discovery goes through simple-git (the porcelain wrapper); rev-parse prints, so it costs no completion delay.
  let root = "";
  try {
    root = (
      await simpleGit({ baseDir: cwd, config: [...GIT_CONFIG] })
        .env(gitEnv())
        .revparse(["--show-toplevel"])
    ).trim();
  } catch (err) {
    const foreign = await foreignOwner(err instanceof Error ? err.message : String(err));
    if (foreign) throw foreign;
    // Not a work tree (plain directory, bare repository): reported below.
  }
  if (root === "") throw notARepo();
  return root;
}

/** The refusal for git's "detected dubious ownership in repository at '<dir>'", or undefined for other errors. */
async function foreignOwner(gitMessage: string): Promise<PanCodeError | undefined> {
  const match = /dubious ownership in repository at '([^']*)'/.exec(gitMessage);
  if (!match) return undefined;
  const dir = match[1] ?? "";
  const uid = await stat(dir).then(
    (s) => String(s.uid),
    () => "unknown",
  );
  return new PanCodeError(
    "INVALID_ARGUMENT",
    `repository ${dir} is owned by another user (uid ${uid}); run pancode as that user, or if you trust it, ` +
      `add it to your git config: git config --global --add safe.directory ${dir}`,
  );
}

/** The absolute git directory of the checkout at `repoRoot` (`.git`, or a worktree's admin dir): no patch can write there. */
export function gitDirOf(repoRoot: string): Promise<string> {
  return git({ cwd: repoRoot }, ["rev-parse", "--absolute-git-dir"]);
}
