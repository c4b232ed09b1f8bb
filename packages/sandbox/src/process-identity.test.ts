import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { isOwnerAlive, processStartTime } from "./process-identity.js";

describe("isOwnerAlive", () => {
  it("recognises the very process that recorded itself", () => {
    const start = processStartTime(process.pid);
    expect(start).toMatch(/^\d+$/);
    expect(isOwnerAlive({ pid: process.pid, start })).toBe(true);
  });

  it("treats a live pid with another start time as a different process (pid reuse)", () => {
    expect(isOwnerAlive({ pid: process.pid, start: "1" })).toBe(false);
  });

  it("treats an exited process as dead", () => {
    const exited = spawnSync("true");
    expect(exited.pid).toBeGreaterThan(0);
    expect(isOwnerAlive({ pid: exited.pid as number, start: "" })).toBe(false);
  });
});
