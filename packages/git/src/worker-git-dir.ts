import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { type GitTarget, git } from "./git-runner.js";

/** What `git init` leaves in a worker git dir, its config as text with the worktree path cut out. */
interface Skeleton {
  dirs: string[];
  files: [string, Buffer][];
  /** The config around the `worktree = <path>` line: `before + path + after`. */
  config: { before: string; after: string };
}

/**
 * The first worker git dir of this process comes from a real `git init` (which probes the file system for its
 * config: filemode, symlinks, case); every later one is the same files written directly, its own worktree path in
 * the config, which saves one git process per run. Worktrees of one cache share a file system, so the probe holds.
 */
let skeleton: Skeleton | "init" | undefined;

/** Paths git writes into its config as they are: no quoting or escaping to reproduce. */
const PLAIN_PATH = /^[A-Za-z0-9_./+@:-]+$/;

/**
 * Creates the worker's git dir of a worktree (`target.env.GIT_DIR`, for `workTree`) with `sharedObjects` (the
 * mirror's object store) as its only alternate. Its own objects (the blobs of submitted and agent-made files)
 * stay in the run's directory and go with it.
 */
export async function initWorkerGitDir(
  target: GitTarget,
  paths: { gitDir: string; workTree: string; sharedObjects: string },
): Promise<void> {
  const known = skeleton;
  const plain = PLAIN_PATH.test(paths.workTree);
  if (known && known !== "init" && plain) await writeSkeleton(paths.gitDir, known, paths.workTree);
  else {
    await git(target, ["init", "--quiet", "--template="]);
    if (!known && plain) skeleton = (await readSkeleton(paths.gitDir, paths.workTree)) ?? "init";
  }
  await mkdir(join(paths.gitDir, "objects", "info"), { recursive: true });
  await writeFile(join(paths.gitDir, "objects", "info", "alternates"), `${paths.sharedObjects}\n`);
}

/** The git dir `git init` just wrote; undefined (keep running init) when its config does not name `workTree` plainly. */
async function readSkeleton(gitDir: string, workTree: string): Promise<Skeleton | undefined> {
  const found: Skeleton = { dirs: [], files: [], config: { before: "", after: "" } };
  for (const entry of await readdir(gitDir, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name);
    const name = relative(gitDir, path);
    if (entry.isDirectory()) found.dirs.push(name);
    else if (name === "config") {
      const text = await readFile(path, "utf8");
      const line = `\tworktree = ${workTree}\n`;
      const at = text.indexOf(line);
      // A path git quoted or escaped, or a config laid out otherwise: not worth guessing at.
      if (at < 0 || text.indexOf(line, at + 1) >= 0) return undefined;
      const cut = at + line.length - workTree.length - 1;
      found.config = { before: text.slice(0, cut), after: text.slice(cut + workTree.length) };
    } else if (entry.isFile()) found.files.push([name, await readFile(path)]);
  }
  return found.config.before ? found : undefined;
}

async function writeSkeleton(gitDir: string, s: Skeleton, workTree: string): Promise<void> {
  await mkdir(gitDir, { recursive: true });
  for (const dir of s.dirs) await mkdir(join(gitDir, dir), { recursive: true });
  for (const [file, content] of s.files) await writeFile(join(gitDir, file), content, { flag: "w" });
  await writeFile(join(gitDir, "config"), `${s.config.before}${workTree}${s.config.after}`);
}
