import { PanCodeError } from "@pancode/core/errors";

/**
 * `-c` settings every git command of this package runs with: a fixed identity, so the commit objects we create
 * (state refs, merge inputs) never depend on the machine.
 *
 * Never `safe.directory=*`: a checkout owned by another user must stay refused, or its `core.fsmonitor` (and other
 * repository config) would run as us (CVE-2022-24765). The worker trusts only its own directories, one by one
 * ({@link safeDirectoryConfig}); worktree commands carry an explicit `GIT_DIR`, which git does not ownership-check.
 */
export const GIT_CONFIG: readonly string[] = [
  "user.name=pancode",
  "user.email=pancode@localhost",
  "core.quotePath=false",
];

/** `-c` settings that trust exactly `dir` (a directory this process created), whoever owns it. */
export function safeDirectoryConfig(dir: string | undefined): string[] {
  return dir ? ["-c", `safe.directory=${dir}`] : [];
}

/** A fixed timestamp for every commit object we create, so identical inputs give identical commit ids. */
const FIXED_DATE = "946684800 +0000";

/**
 * Variables we never pass on to git. Inherited `GIT_*` (e.g. `GIT_DIR` or `GIT_INDEX_FILE` when the CLI runs from
 * inside a git hook) would silently redirect our commands, possibly at the user's real index; editor, pager and
 * askpass variables are rejected by simple-git's unsafe-operation guard and are useless to non-interactive git.
 */
const DROPPED_ENV = /^(GIT_.*|EDITOR|VISUAL|PAGER|SSH_ASKPASS|PREFIX)$/i;

/**
 * The environment for one git child process: the parent's environment (git needs PATH and HOME, which is why this
 * package reads `process.env` at all) without the variables above, plus a fixed identity and date and `extra`.
 */
export function gitEnv(extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !DROPPED_ENV.test(key)) env[key] = value;
  }
  return {
    ...env,
    GIT_AUTHOR_NAME: "pancode",
    GIT_AUTHOR_EMAIL: "pancode@localhost",
    GIT_AUTHOR_DATE: FIXED_DATE,
    GIT_COMMITTER_NAME: "pancode",
    GIT_COMMITTER_EMAIL: "pancode@localhost",
    GIT_COMMITTER_DATE: FIXED_DATE,
    GIT_TERMINAL_PROMPT: "0",
    LC_ALL: "C",
    ...extra,
  };
}

/** The `GIT_FAILED` error for a git command that failed, naming the subcommand and the directory it ran in. */
export function gitFailed(args: readonly string[], cwd: string, detail: string, cause?: unknown): PanCodeError {
  const sub = args.find((arg) => !arg.startsWith("-")) ?? "git";
  const text = detail.trim().split("\n").slice(0, 20).join("\n");
  return new PanCodeError("GIT_FAILED", `git ${sub} failed in ${cwd}: ${text || "no output"}`, { cause });
}
