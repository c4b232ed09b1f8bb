import { lstatSync, mkdirSync, realpathSync, type Stats } from "node:fs";
import { homedir } from "node:os";
import { dirname, isAbsolute, join } from "node:path";

/** Group- or world-writable permission bits. */
const WRITABLE_BY_OTHERS = 0o022;
const STICKY = 0o1000;

/**
 * The per-user directory that keeps the CLI's V8 code cache: `$XDG_CACHE_HOME/pancode/code-cache` (else
 * `~/.cache/...`), created 0700. Returns undefined, and the CLI runs without a cache, when the directory cannot be
 * trusted: V8 does not verify cached bytecode, so a directory another user can write into (or swap out from under
 * us) would let them run code as this user.
 */
export function codeCacheDir(env: NodeJS.ProcessEnv): string | undefined {
  const uid = process.getuid?.();
  if (uid === undefined) return undefined;
  // The XDG spec says to ignore a relative XDG_CACHE_HOME.
  const configured = env.XDG_CACHE_HOME;
  const base = configured && isAbsolute(configured) ? configured : join(homedir(), ".cache");
  try {
    const dir = join(base, "pancode", "code-cache");
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const realBase = realpathSync(base);
    if (!ancestorsAreSafe(realBase, uid)) return undefined;
    for (const own of [join(realBase, "pancode"), join(realBase, "pancode", "code-cache")]) {
      if (!isPrivateDir(lstatSync(own), uid)) return undefined;
    }
    return join(realBase, "pancode", "code-cache");
  } catch {
    return undefined;
  }
}

/** A directory of this user (not a symlink) that nobody else can write into. */
function isPrivateDir(stats: Stats, uid: number): boolean {
  return stats.isDirectory() && stats.uid === uid && (stats.mode & WRITABLE_BY_OTHERS) === 0;
}

/**
 * True when no other user can rename or replace anything on the path to `dir` (itself included): every directory
 * belongs to this user or root and is writable by nobody else, unless sticky (like /tmp, where others cannot
 * rename what is ours). The same rule as OpenSSH's StrictModes.
 */
function ancestorsAreSafe(dir: string, uid: number): boolean {
  for (let path = dir; ; path = dirname(path)) {
    const stats = lstatSync(path);
    const owner = stats.uid === uid || stats.uid === 0;
    const guarded = (stats.mode & WRITABLE_BY_OTHERS) === 0 || (stats.mode & STICKY) !== 0;
    if (!stats.isDirectory() || !owner || !guarded) return false;
    if (dirname(path) === path) return true;
  }
}
