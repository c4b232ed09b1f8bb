import { readlinkSync } from "node:fs";
import { mkdir, readFile, rename, rm, stat, utimes, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { PanCodeError } from "@pancode/core/errors";

/** Timing of {@link withFileLock}. */
export interface FileLockOptions {
  /** Give up (with a retryable `UNAVAILABLE`) after waiting this long, in ms. @default 600_000 */
  timeoutMs?: number;
  /**
   * A lock whose owner cannot be checked (another host or pid namespace) is stale once its heartbeat is older than
   * this, in ms. The holder refreshes the heartbeat every third of it. @default 120_000
   */
  staleMs?: number;
}

interface LockOwner {
  pid: number;
  host: string;
  pidNs: string;
}

/** Identifies this process's pid namespace, so a pid from another container sharing the cache is never probed. */
const PID_NS = (() => {
  try {
    return readlinkSync("/proc/self/ns/pid");
  } catch (_err) {
    return "";
  }
})();

/**
 * Runs `fn` while holding a cross-process lock: the directory `lockDir`, created atomically with mkdir. It protects
 * state shared by several worker processes on one cache dir. A lock left by a dead process is taken over: on the
 * same host and pid namespace when its pid is gone, otherwise when its heartbeat is older than `staleMs`.
 */
export async function withFileLock<T>(lockDir: string, fn: () => Promise<T>, options: FileLockOptions = {}) {
  const timeoutMs = options.timeoutMs ?? 600_000;
  const staleMs = options.staleMs ?? 120_000;
  await acquire(lockDir, timeoutMs, staleMs);
  const ownerFile = `${lockDir}/owner.json`;
  const heartbeat = setInterval(() => {
    const now = new Date();
    utimes(ownerFile, now, now).catch(() => {});
  }, staleMs / 3);
  heartbeat.unref();
  try {
    return await fn();
  } finally {
    clearInterval(heartbeat);
    await rm(lockDir, { recursive: true, force: true });
  }
}

async function acquire(lockDir: string, timeoutMs: number, staleMs: number): Promise<void> {
  const started = Date.now();
  let delay = 20;
  for (;;) {
    try {
      await mkdir(lockDir);
      const owner: LockOwner = { pid: process.pid, host: hostname(), pidNs: PID_NS };
      await writeFile(`${lockDir}/owner.json`, JSON.stringify(owner));
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") {
        throw new PanCodeError("INTERNAL", `cannot create lock ${lockDir}: ${(err as Error).message}`, { cause: err });
      }
    }
    if (await isStale(lockDir, staleMs)) {
      // Rename first: only one contender can win the rename, so two processes never both "break" the same lock.
      const grave = `${lockDir}.stale-${process.pid}-${Date.now()}`;
      if (
        await rename(lockDir, grave).then(
          () => true,
          () => false,
        )
      )
        await rm(grave, { recursive: true, force: true });
      continue;
    }
    if (Date.now() - started > timeoutMs) {
      throw new PanCodeError("UNAVAILABLE", `timed out after ${timeoutMs} ms waiting for lock ${lockDir}`, {
        retryable: true,
      });
    }
    await sleep(delay);
    delay = Math.min(delay * 2, 500);
  }
}

async function isStale(lockDir: string, staleMs: number): Promise<boolean> {
  const ownerFile = `${lockDir}/owner.json`;
  const [info, text] = await Promise.all([
    stat(ownerFile).catch(() => stat(lockDir).catch(() => undefined)),
    readFile(ownerFile, "utf8").catch(() => ""),
  ]);
  if (info === undefined) return false; // released meanwhile: just retry mkdir
  const age = Date.now() - info.mtimeMs;
  let owner: LockOwner | undefined;
  try {
    owner = JSON.parse(text) as LockOwner;
  } catch (_err) {
    // The owner writes owner.json right after mkdir; an unreadable one is either just being written or abandoned.
    return age > Math.min(staleMs, 10_000);
  }
  if (owner.host === hostname() && owner.pidNs === PID_NS) return !isProcessAlive(owner.pid);
  return age > staleMs;
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM means the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
