import { readlinkSync } from "node:fs";
import { mkdir, mkdtemp, rm, stat, utimes, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { withFileLock } from "./file-lock.js";

let dir = "";
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "pancode-lock-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function plantLock(lockDir: string, owner: object, ageMs = 0): Promise<void> {
  await mkdir(lockDir);
  await writeFile(join(lockDir, "owner.json"), JSON.stringify(owner));
  const past = new Date(Date.now() - ageMs);
  await utimes(join(lockDir, "owner.json"), past, past);
}

const pidNs = readlinkSync("/proc/self/ns/pid");

describe("withFileLock", () => {
  it("excludes a second holder until the first releases, and removes the lock dir afterwards", async () => {
    const lock = join(dir, "repo.lock");
    const log: string[] = [];
    const hold = (name: string) =>
      withFileLock(lock, async () => {
        log.push(`in ${name}`);
        await sleep(40);
        log.push(`out ${name}`);
      });
    await Promise.all([hold("a"), hold("b")]);
    expect(log).toEqual(["in a", "out a", "in b", "out b"]);
    await expect(stat(lock)).rejects.toThrow();
  });

  it("takes over a lock whose owner process on this host is dead", async () => {
    const lock = join(dir, "repo.lock");
    await plantLock(lock, { pid: 999_999_999, host: hostname(), pidNs });
    await expect(withFileLock(lock, async () => "got it", { timeoutMs: 2_000 })).resolves.toBe("got it");
  });

  it("waits for a live owner on another host, then times out as retryable UNAVAILABLE", async () => {
    const lock = join(dir, "repo.lock");
    await plantLock(lock, { pid: 1, host: "some-other-host", pidNs: "x" });
    await expect(withFileLock(lock, async () => "never", { timeoutMs: 200 })).rejects.toMatchObject({
      code: "UNAVAILABLE",
      retryable: true,
    });
  });

  it("takes over a lock from another host whose heartbeat is older than staleMs", async () => {
    const lock = join(dir, "repo.lock");
    await plantLock(lock, { pid: 1, host: "some-other-host", pidNs: "x" }, 60_000);
    await expect(withFileLock(lock, async () => "got it", { staleMs: 30_000, timeoutMs: 2_000 })).resolves.toBe(
      "got it",
    );
  });
});
