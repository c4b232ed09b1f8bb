import { stat } from "node:fs/promises";
import { PanCodeError } from "@pancode/core";
import { gitBytes } from "./git-runner.js";

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
  const res = await gitBytes({ cwd }, ["rev-parse", "--show-toplevel"], { okExitCodes: [0, 128] });
  const root = res.stdout.toString("utf8").trim();
  if (res.exitCode !== 0 || root === "") throw notARepo();
  return root;
}
