import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { processStartTime } from "@pancode/sandbox";
import { afterEach, expect, it } from "vitest";
import { claimWorkerId } from "./worker-id.js";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function dataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "worker-id-"));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

function sleeper(): ChildProcess {
  const child = spawn("sleep", ["60"], { stdio: "ignore" });
  cleanups.push(() => void child.kill("SIGKILL"));
  return child;
}

async function writeClaim(dir: string, slot: number, claim: { host: string; pid: number; start: string }) {
  await writeFile(join(dir, "worker-ids", `${slot}.json`), JSON.stringify(claim));
}

it("gives sibling processes on one data dir distinct ids (this process holds each slot it took)", async () => {
  const dir = await dataDir();
  const first = await claimWorkerId(dir);
  expect(first).toMatch(new RegExp(`^${hostname()}-[0-9a-f]{6}-1$`));
  expect(await claimWorkerId(dir)).toBe(first.replace(/1$/, "2"));
  expect((await readdir(join(dir, "worker-ids"))).sort()).toEqual(["1.json", "2.json", "tag"]);
});

it("gives workers of two data dirs on one host different ids", async () => {
  const [a, b] = [await claimWorkerId(await dataDir()), await claimWorkerId(await dataDir())];
  expect(a).not.toBe(b);
});

it("gives a restarted worker its dead predecessor's id, and skips a live process's", async () => {
  const dir = await dataDir();
  await claimWorkerId(dir);
  const live = sleeper();
  await writeClaim(dir, 1, { host: hostname(), pid: live.pid ?? 0, start: processStartTime(live.pid ?? 0) });
  const deadPid = spawnSync("true").pid ?? 0;
  await writeClaim(dir, 2, { host: hostname(), pid: deadPid, start: "" });

  expect(await claimWorkerId(dir)).toMatch(/-2$/);
  // Nothing is left beside the claims (no drafts, no moved-aside dead claims).
  expect((await readdir(join(dir, "worker-ids"))).sort()).toEqual(["1.json", "2.json", "tag"]);
});

it("takes a reused pid's claim for a dead owner's (the start time differs)", async () => {
  const dir = await dataDir();
  await claimWorkerId(dir);
  const live = sleeper();
  await writeClaim(dir, 1, { host: hostname(), pid: live.pid ?? 0, start: "not-its-start-time" });
  expect(await claimWorkerId(dir)).toMatch(/-1$/);
});

it("leaves another host's claim alone on a shared data dir", async () => {
  const dir = await dataDir();
  await claimWorkerId(dir);
  await writeClaim(dir, 1, { host: "other-host", pid: 1, start: "" });
  expect(await claimWorkerId(dir)).toMatch(/-2$/);
});
