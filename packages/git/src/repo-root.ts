import { stat } from "node:fs/promises";
import { PanCodeError } from "@pancode/core/errors";
import { git, gitBytes } from "./git-runner.js";

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
  // Spawned directly (not through simple-git): on `pancode dispatch` every module loaded and every millisecond of
  // discovery is start-up the user waits for. Exit 128 is "not a work tree" or a refused foreign owner.
  const res = await gitBytes({ cwd }, ["rev-parse", "--show-toplevel"], { okExitCodes: [0, 128] });
  const foreign = res.exitCode === 0 ? undefined : await foreignOwner(res.stderr);
  if (foreign) throw foreign;
  // Not a work tree (plain directory, bare repository) prints nothing: reported below.
  const root = res.exitCode === 0 ? res.stdout.toString("utf8").trim() : "";
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
