import { stat } from "node:fs/promises";
import { gitFailed } from "./git-env.js";
import { type GitProcessResult, runGitProcess } from "./git-process.js";

/** Where one git command runs: a working directory plus the variables that select repository, worktree and index. */
export interface GitTarget {
  /** Working directory of the git process: a checkout root, a worktree root or a bare mirror. */
  cwd: string;
  /** Extra environment, typically `GIT_DIR`, `GIT_WORK_TREE` and `GIT_INDEX_FILE`. */
  env?: Readonly<Record<string, string>>;
  /** A directory of our own that git must trust whoever owns it (e.g. the worker's mirrors); never a wildcard. */
  safeDirectory?: string;
}

/**
 * Runs a text-producing git command and returns its stdout, trimmed. Any non-zero exit (or a missing directory)
 * becomes a `GIT_FAILED` error naming the subcommand and the directory.
 *
 * This hot path spawns git directly rather than through simple-git: simple-git waits a fixed 50 ms after every
 * command that prints nothing (its completion detection), and a run makes about ten such calls (init, read-tree,
 * add, update-ref), which alone was half of the pipeline's latency in `npm run bench`.
 */
export async function git(target: GitTarget, args: readonly string[]): Promise<string> {
  try {
    const { stdout } = await runGitProcess({
      cwd: target.cwd,
      args,
      env: target.env,
      safeDirectory: target.safeDirectory,
    });
    return stdout.toString("utf8").trim();
  } catch (err) {
    const exists = await stat(target.cwd).then(
      () => true,
      () => false,
    );
    if (!exists) throw gitFailed(args, target.cwd, `directory does not exist: ${target.cwd}`, err);
    throw err;
  }
}

/** Runs a git command whose stdin or stdout is raw bytes, or whose exit code the caller inspects. */
export function gitBytes(
  target: GitTarget,
  args: readonly string[],
  options: { input?: Buffer; okExitCodes?: readonly number[] } = {},
): Promise<GitProcessResult> {
  return runGitProcess({ cwd: target.cwd, args, env: target.env, safeDirectory: target.safeDirectory, ...options });
}

/** A copy of `target` whose environment also carries `env` (later keys win). */
export function withEnv(target: GitTarget, env: Readonly<Record<string, string>>): GitTarget {
  return { ...target, env: { ...target.env, ...env } };
}

/** True when `rev` names an existing object of the given type (exit code based, so nothing is printed or thrown). */
export async function objectExists(target: GitTarget, rev: string, type: "commit" | "tree"): Promise<boolean> {
  const res = await gitBytes(target, ["rev-parse", "--verify", "--quiet", `${rev}^{${type}}`], {
    okExitCodes: [0, 1, 128],
  });
  return res.exitCode === 0;
}
