import { type GitTarget, git, gitBytes, withEnv } from "./git-runner.js";
import { withTempIndex } from "./temp-index.js";

/** One file of a tree: its mode (`120000` = symlink, `160000` = submodule) and blob id. */
export interface TreeFile {
  mode: string;
  oid: string;
}

/**
 * The files of a submitted state without a checkout: enough to resolve paths named in a task, symlinks included.
 * Directories are implied by the files under them.
 */
export interface StateTree {
  /** Tree id of the state (base commit plus the uncommitted patch). */
  tree: string;
  files: ReadonlyMap<string, TreeFile>;
  /** True for a path that is a directory of the tree ('' is the root). */
  isDirectory(path: string): boolean;
  /** Target of the symlink at `path` (its blob's text). */
  readLink(path: string): Promise<string>;
}

/**
 * Computes the state tree of `baseCommit` plus `statePatch` inside a (bare) repository through a throwaway index,
 * and lists it. Nothing is checked out and no ref is written; the blobs of the patch land in the object database.
 */
export async function readStateTree(repo: GitTarget, baseCommit: string, statePatch: Buffer): Promise<StateTree> {
  const tree = await withTempIndex(async (indexFile) => {
    const target = withEnv(repo, { GIT_INDEX_FILE: indexFile });
    await git(target, ["read-tree", baseCommit]);
    if (statePatch.length > 0) {
      await gitBytes(target, ["apply", "--cached", "--binary", "--whitespace=nowarn", "-"], { input: statePatch });
    }
    return git(target, ["write-tree"]);
  });
  const listing = await gitBytes(repo, ["ls-tree", "-r", "-z", "--full-tree", tree]);
  const files = new Map<string, TreeFile>();
  const dirs = new Set<string>([""]);
  for (const entry of listing.stdout.toString("utf8").split("\0")) {
    // "<mode> <type> <oid>\t<path>"
    const tab = entry.indexOf("\t");
    if (tab < 0) continue;
    const [mode = "", , oid = ""] = entry.slice(0, tab).split(" ");
    const path = entry.slice(tab + 1);
    files.set(path, { mode, oid });
    for (let i = path.indexOf("/"); i >= 0; i = path.indexOf("/", i + 1)) dirs.add(path.slice(0, i));
  }
  return {
    tree,
    files,
    isDirectory: (path) => dirs.has(path),
    async readLink(path) {
      const file = files.get(path);
      if (file?.mode !== "120000") return "";
      const blob = await gitBytes(repo, ["cat-file", "blob", file.oid]);
      return blob.stdout.toString("utf8");
    },
  };
}
