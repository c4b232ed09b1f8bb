import { constants } from "node:fs";
import { lstat, mkdir, open, realpath } from "node:fs/promises";
import { join } from "node:path";
import { PanCodeError } from "@pancode/core/errors";
import { gitDirOf } from "@pancode/git";

/** A patch to keep for the developer, and the file name it gets. */
export interface PatchToSave {
  name: string;
  bytes: Buffer;
}

/** `mkdir` of one level that accepts only a real directory there: never a symlink, never a file. */
async function plainDirectory(parent: string, name: string): Promise<string> {
  const dir = join(parent, name);
  await mkdir(dir, { mode: 0o700 }).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== "EEXIST") throw err;
  });
  const info = await lstat(dir);
  if (info.isSymbolicLink() || !info.isDirectory()) {
    throw new PanCodeError("INVALID_ARGUMENT", `${dir} is not a plain directory; refusing to save patches there`);
  }
  return dir;
}

/**
 * Saves patches that could not be merged under `<git dir>/pancode/patches/`, where no patch can write (git never
 * applies a path inside `.git`), so no earlier run can have planted a symlink on the way. Each directory level is
 * checked to be a real directory, and files are opened with O_NOFOLLOW. Returns the paths written.
 */
export async function saveConflictPatches(repoRoot: string, patches: readonly PatchToSave[]): Promise<string[]> {
  const gitDir = await realpath(await gitDirOf(repoRoot));
  const dir = await plainDirectory(await plainDirectory(gitDir, "pancode"), "patches");
  const saved: string[] = [];
  for (const patch of patches) {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(patch.name)) {
      throw new PanCodeError("INTERNAL", `refusing to save a patch under the name ${JSON.stringify(patch.name)}`);
    }
    const path = join(dir, patch.name);
    const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW;
    const file = await open(path, flags, 0o600);
    try {
      await file.writeFile(patch.bytes);
    } finally {
      await file.close();
    }
    saved.push(path);
  }
  return saved;
}
