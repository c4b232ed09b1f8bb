import { simpleGit } from "simple-git";
import { GIT_CONFIG, gitEnv, gitFailed } from "./git-env.js";
import { type GitProcessResult, runGitProcess } from "./git-process.js";

/** Where one git command runs: a working directory plus the variables that select repository, worktree and index. */
export interface GitTarget {
  /** Working directory of the git process: a checkout root, a worktree root or a bare mirror. */
  cwd: string;
  /** Extra environment, typically `GIT_DIR`, `GIT_WORK_TREE` and `GIT_INDEX_FILE`. */
  env?: Readonly<Record<string, string>>;
}

/**
 * Runs a text-producing git command through simple-git and returns its stdout, trimmed. Failures (or a missing
 * directory) become `GIT_FAILED` errors naming the subcommand and the directory.
 */
export async function git(target: GitTarget, args: readonly string[]): Promise<string> {
  try {
    const client = simpleGit({ baseDir: target.cwd, config: [...GIT_CONFIG], errors: failOnAnyExitCode }).env(
      gitEnv(target.env),
    );
    const out = await client.raw([...args]);
    return out.trim();
  } catch (err) {
    throw gitFailed(args, target.cwd, err instanceof Error ? err.message : String(err), err);
  }
}

/**
 * simple-git only fails a command that exits non-zero AND wrote to stderr; we want every non-zero exit to fail, so
 * a silent failure can never pass for an empty result.
 */
function failOnAnyExitCode(
  error: Buffer | Error | undefined,
  result: { exitCode: number; stdOut: Buffer[]; stdErr: Buffer[] },
): Buffer | Error | undefined {
  if (error !== undefined || result.exitCode === 0) return error;
  const detail = Buffer.concat(result.stdErr).toString("utf8").trim() || `exit code ${result.exitCode}`;
  return new Error(detail);
}

/** Runs a git command whose stdin or stdout is raw bytes, or whose exit code the caller inspects. */
export function gitBytes(
  target: GitTarget,
  args: readonly string[],
  options: { input?: Buffer; okExitCodes?: readonly number[] } = {},
): Promise<GitProcessResult> {
  return runGitProcess({ cwd: target.cwd, args, env: target.env, ...options });
}

/** A copy of `target` whose environment also carries `env` (later keys win). */
export function withEnv(target: GitTarget, env: Readonly<Record<string, string>>): GitTarget {
  return { cwd: target.cwd, env: { ...target.env, ...env } };
}

/** True when `rev` names an existing object of the given type (exit code based, so nothing is printed or thrown). */
export async function objectExists(target: GitTarget, rev: string, type: "commit" | "tree"): Promise<boolean> {
  const res = await gitBytes(target, ["rev-parse", "--verify", "--quiet", `${rev}^{${type}}`], {
    okExitCodes: [0, 1, 128],
  });
  return res.exitCode === 0;
}
