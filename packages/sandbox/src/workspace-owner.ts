import type { Stats } from "node:fs";
import { lchown, readdir } from "node:fs/promises";
import { join } from "node:path";
import { PanCodeError } from "@pancode/core";

/**
 * Gives a worktree to the sandbox user so a non-root container can write into its bind mount.
 *
 * Uses `lchown` and never descends into symlinked directories, so a worktree holding a link to `/etc` or to the
 * main repository changes the owner of the link itself only, never of anything outside the tree.
 * Throws `PanCodeError("SANDBOX_FAILED")` naming the path that could not be changed.
 */
export async function chownTree(root: string, uid: number, gid: number): Promise<void> {
  try {
    await lchown(root, uid, gid);
    await chownChildren(root, uid, gid);
  } catch (err) {
    const path = (err as { path?: unknown }).path;
    throw new PanCodeError("SANDBOX_FAILED", `cannot hand workspace to ${uid}:${gid}: ${String(path ?? root)}`, {
      cause: err,
    });
  }
}

async function chownChildren(dir: string, uid: number, gid: number): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  await Promise.all(
    entries.map(async (entry) => {
      const path = join(dir, entry.name);
      await lchown(path, uid, gid);
      // Dirent types come from lstat semantics: a symlink to a directory is not a directory here.
      if (entry.isDirectory()) await chownChildren(path, uid, gid);
    }),
  );
}

/** Parses a numeric `uid:gid` (or `uid`, meaning gid = uid); undefined for named users, which cannot be chowned to. */
export function parseNumericUser(user: string): { uid: number; gid: number } | undefined {
  const match = /^(\d+)(?::(\d+))?$/.exec(user);
  if (!match?.[1]) return undefined;
  const uid = Number(match[1]);
  return { uid, gid: match[2] === undefined ? uid : Number(match[2]) };
}

/**
 * True when a directory with `st` can be listed by `uid:gid` through its mode bits alone. Read-only worktrees
 * are not chowned, so a root-owned 0700 directory (e.g. straight from `mkdtemp`) would be an empty wall.
 */
export function isReadableBy(st: Stats, uid: number, gid: number): boolean {
  if (st.uid === uid) return (st.mode & 0o500) === 0o500;
  if (st.gid === gid) return (st.mode & 0o050) === 0o050;
  return (st.mode & 0o005) === 0o005;
}
