import { appendFile, copyFile, mkdir, readdir, readFile, stat, utimes, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { git } from "./git-runner.js";

/** The branch a run's HEAD is on: the developer's branch name does not travel with the snapshot. */
export const RUN_BRANCH = "pancode";

/** Who `git commit` names inside a run unless the agent configures another identity. */
export const RUN_GIT_IDENTITY = { name: "pancode agent", email: "agent@pancode.invalid" } as const;

/**
 * Settings of a run's own repository, appended to the config `git init` wrote.
 * - gc.auto=0: a run lives minutes; repacking its few objects is wasted time.
 * - user: `git commit` works without any setup; the agent may still set its own identity.
 *
 * git's stat checks stay at their defaults, although the sandbox's chown of the worktree (new ctime and owner of
 * every file) makes the first `git status` of a writable run re-hash every file: `core.checkStat=minimal` would
 * avoid that, but it ignores sub-second mtimes, and the submitted changes are applied within the same second as
 * the checkout, so a same-size change could then look clean.
 */
const RUN_CONFIG = [
  "[gc]",
  "\tauto = 0",
  "[user]",
  `\tname = ${RUN_GIT_IDENTITY.name}`,
  `\temail = ${RUN_GIT_IDENTITY.email}`,
  "",
].join("\n");

/** Inputs of {@link createRunGitDir}. */
export interface RunGitDirOptions {
  /** The run's worktree; the repository is created at `<workTree>/.git`, where git finds it by itself. */
  workTree: string;
  /** The shared mirror's `objects` dir, the run's only alternate: history is read from it, never written to it. */
  sharedObjects: string;
  /** The developer's HEAD commit, which the run's HEAD points at. */
  baseCommit: string;
  /**
   * An index of `baseCommit`'s tree with the stat data of the checked-out files (the worker's own index, before
   * the submitted changes were applied). Copied, so the submitted changes show as unstaged modifications.
   */
  headIndex: string;
}

/**
 * Gives a run's worktree a repository of its own, for the agent: HEAD on {@link RUN_BRANCH} at the developer's HEAD
 * commit, history through `objects/info/alternates` onto the shared mirror, and an index of HEAD, so `git status`
 * and `git diff` show the submitted uncommitted state (as unstaged and untracked changes: the snapshot does not
 * keep what was staged). Objects the agent creates land in this repository's own store, which no other run sees.
 *
 * The worker itself never runs git with this directory: the agent controls its config (hooks, fsmonitor), HEAD
 * and index. It is one more directory of the worktree, skipped by the patch because git never adds `.git`.
 */
export async function createRunGitDir(options: RunGitDirOptions): Promise<string> {
  const { workTree, sharedObjects, baseCommit, headIndex } = options;
  const gitDir = join(workTree, ".git");
  await writeSkeleton(gitDir, await skeletonFor(workTree));
  await appendFile(join(gitDir, "config"), RUN_CONFIG);
  await mkdir(join(gitDir, "objects", "info"), { recursive: true });
  // An absolute path: the sandbox mounts the mirror's objects at the same path, so it resolves inside and outside.
  await writeFile(join(gitDir, "objects", "info", "alternates"), `${sharedObjects}\n`);
  await writeBranch(gitDir, baseCommit);
  await copyIndex(headIndex, join(gitDir, "index"));
  return gitDir;
}

/** What `git init` leaves in a `.git`: directories, and files with their content. */
type Skeleton = { dirs: string[]; files: [string, Buffer][] };

/**
 * `git init` once per process, on the first run's worktree (the worker's worktrees share a file system, which is
 * what init probes for its config): later runs write the same files without a git process (about 80 ms each on a
 * loaded 2-core machine, on every run's path).
 */
let skeleton: Promise<Skeleton> | undefined;

function skeletonFor(workTree: string): Promise<Skeleton> {
  skeleton ??= initSkeleton(workTree).catch((err: unknown) => {
    skeleton = undefined;
    throw err;
  });
  return skeleton;
}

async function initSkeleton(workTree: string): Promise<Skeleton> {
  // --template= : no hooks or excludes from the worker host's templates end up in the run.
  await git({ cwd: workTree }, ["init", "--quiet", "--template=", `--initial-branch=${RUN_BRANCH}`, workTree]);
  const gitDir = join(workTree, ".git");
  const entries = await readdir(gitDir, { recursive: true, withFileTypes: true });
  const found: Skeleton = { dirs: [], files: [] };
  for (const entry of entries) {
    const path = join(entry.parentPath, entry.name);
    if (entry.isDirectory()) found.dirs.push(relative(gitDir, path));
    else if (entry.isFile()) found.files.push([relative(gitDir, path), await readFile(path)]);
  }
  return found;
}

async function writeSkeleton(gitDir: string, s: Skeleton): Promise<void> {
  await mkdir(gitDir, { recursive: true });
  for (const dir of s.dirs) await mkdir(join(gitDir, dir), { recursive: true });
  for (const [file, content] of s.files) await writeFile(join(gitDir, file), content, { flag: "w" });
}

/**
 * What `git update-ref -m "pancode: submitted HEAD" refs/heads/pancode <commit>` writes: the loose ref and the
 * reflogs of the branch and of HEAD, which points at it.
 */
async function writeBranch(gitDir: string, commit: string): Promise<void> {
  const ref = join("refs", "heads", RUN_BRANCH);
  await mkdir(join(gitDir, "refs", "heads"), { recursive: true });
  await writeFile(join(gitDir, ref), `${commit}\n`);
  const who = `${RUN_GIT_IDENTITY.name} <${RUN_GIT_IDENTITY.email}>`;
  const entry = `${"0".repeat(commit.length)} ${commit} ${who} ${Math.floor(Date.now() / 1000)} +0000\tpancode: submitted HEAD\n`;
  await mkdir(join(gitDir, "logs", "refs", "heads"), { recursive: true });
  await writeFile(join(gitDir, "logs", ref), entry);
  await writeFile(join(gitDir, "logs", "HEAD"), entry);
}

/**
 * Copies an index file keeping its mtime: git trusts an entry's cached stat data only when the file changed before
 * the index was written, and a fresh mtime on the copy would make a same-second, same-size edit look clean.
 */
async function copyIndex(from: string, to: string): Promise<void> {
  const original = await stat(from);
  await copyFile(from, to);
  await utimes(to, original.atime, original.mtime);
}
