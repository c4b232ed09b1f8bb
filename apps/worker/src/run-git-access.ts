import type { PreparedWorktree } from "@pancode/git";
import { WORKSPACE_DIR } from "@pancode/sandbox";

/** What a sandbox needs so git works on the run's own repository in its workspace. */
export interface RunGitAccess {
  env: Record<string, string>;
  mounts: { hostPath: string; containerPath: string }[];
}

/**
 * Lets git in the sandbox use the run's repository (`<worktree>/.git`):
 * - the mirror's object store, where the repository's `objects/info/alternates` points, mounted read-only at the
 *   same path, so a run reads the developer's history but can never write into the store other runs share;
 * - `safe.directory` for the workspace (as command-line config, which git trusts): a read-only run's worktree
 *   stays owned by the worker, and git refuses a repository owned by another user;
 * - a read-only run's git takes no optional locks: `git status` would otherwise try to refresh the index on a
 *   read-only mount (harmless, but pointless).
 */
export function runGitAccess(
  worktree: PreparedWorktree,
  run: { sandbox: "docker" | "process"; readonly: boolean },
): RunGitAccess {
  const workspace = run.sandbox === "docker" ? WORKSPACE_DIR : worktree.path;
  return {
    env: {
      GIT_CONFIG_COUNT: "1",
      GIT_CONFIG_KEY_0: "safe.directory",
      GIT_CONFIG_VALUE_0: workspace,
      ...(run.readonly ? { GIT_OPTIONAL_LOCKS: "0" } : {}),
    },
    mounts: [{ hostPath: worktree.sharedObjects, containerPath: worktree.sharedObjects }],
  };
}
