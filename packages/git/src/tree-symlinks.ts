import { type GitTarget, git, gitBytes, withEnv } from "./git-runner.js";
import { withTempIndex } from "./temp-index.js";

const SYMLINK_MODE = "120000";

interface TreeEntry {
  mode: string;
  id: string;
  path: string;
}

/** Entries of `ls-tree -r -z` output (`<mode> <type> <id>\t<path>\0`). */
async function listEntries(target: GitTarget, tree: string, paths: readonly string[] = []): Promise<TreeEntry[]> {
  const res = await gitBytes(target, [
    "ls-tree",
    "-r",
    "-z",
    "--full-tree",
    tree,
    ...(paths.length ? ["--", ...paths] : []),
  ]);
  return res.stdout
    .toString("utf8")
    .split("\0")
    .filter(Boolean)
    .map((record) => {
      const tab = record.indexOf("\t");
      const [mode = "", , id = ""] = record.slice(0, tab).split(" ");
      return { mode, id, path: record.slice(tab + 1) };
    });
}

/**
 * The paths that are symlinks in `to` among those that differ from `from` (`diff-tree --raw`: output as large as
 * the change, not the tree).
 */
export async function changedSymlinks(target: GitTarget, from: string, to: string): Promise<string[]> {
  const res = await gitBytes(target, ["diff-tree", "-r", "-z", "--raw", "--no-renames", from, to]);
  const tokens = res.stdout.toString("utf8").split("\0");
  const links: string[] = [];
  // Records: `:<old mode> <new mode> <old id> <new id> <status>\0<path>\0`.
  for (let i = 0; i + 1 < tokens.length; i += 2) {
    const newMode = (tokens[i] ?? "").split(" ")[1];
    if (newMode === SYMLINK_MODE) links.push(tokens[i + 1] ?? "");
  }
  return links;
}

/** Every symlink of `tree`: path -> target (the link's blob, read in one `cat-file --batch`). */
export async function readSymlinks(target: GitTarget, tree: string): Promise<Map<string, string>> {
  const entries = (await listEntries(target, tree)).filter((e) => e.mode === SYMLINK_MODE);
  const links = new Map<string, string>();
  if (entries.length === 0) return links;
  const res = await gitBytes(target, ["cat-file", "--batch"], {
    input: Buffer.from(entries.map((e) => `${e.id}\n`).join("")),
  });
  // Output per object: `<id> blob <size>\n<content>\n`.
  let offset = 0;
  for (const entry of entries) {
    const newline = res.stdout.indexOf(10, offset);
    const size = Number(res.stdout.subarray(offset, newline).toString("utf8").split(" ")[2]);
    links.set(entry.path, res.stdout.subarray(newline + 1, newline + 1 + size).toString("utf8"));
    offset = newline + 1 + size + 1;
  }
  return links;
}

/**
 * `tree` with each of `paths` put back as it is in `base` (or removed when `base` has nothing there): what keeps a
 * symlink that leaves the repository from ever being created, whatever else of the patch is merged.
 */
export async function revertPaths(target: GitTarget, tree: string, base: string, paths: readonly string[]) {
  if (paths.length === 0) return tree;
  const restored = await listEntries(target, base, paths);
  return withTempIndex(async (indexFile) => {
    const indexed = withEnv(target, { GIT_INDEX_FILE: indexFile });
    await git(indexed, ["read-tree", tree]);
    const removal = paths.map((p) => `${p}\0`).join("");
    await gitBytes(indexed, ["update-index", "--force-remove", "-z", "--stdin"], { input: Buffer.from(removal) });
    if (restored.length > 0) {
      const additions = restored.map((e) => `${e.mode} ${e.id}\t${e.path}\0`).join("");
      await gitBytes(indexed, ["update-index", "-z", "--add", "--index-info"], { input: Buffer.from(additions) });
    }
    return git(indexed, ["write-tree"]);
  });
}
