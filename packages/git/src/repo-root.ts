import { stat } from "node:fs/promises";
import { PanCodeError } from "@pancode/core";
import { simpleGit } from "simple-git";
import { GIT_CONFIG, gitEnv } from "./git-env.js";

/**
 * The top-level directory of the git checkout containing `cwd` (symlinks resolved). Throws `NOT_A_GIT_REPO` when
 * `cwd` is not inside a work tree (including a bare repository or a missing directory).
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
  } catch (_err) {
    // Not a work tree (plain directory, bare repository): reported below.
  }
  if (root === "") throw notARepo();
  return root;
}
