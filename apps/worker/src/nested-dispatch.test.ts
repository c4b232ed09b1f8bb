import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { installClient, nestedDispatchEnv, resolveClientDir } from "./nested-dispatch.js";

const config = { coordinatorAddress: "10.0.0.5:7400", clientDir: "/srv/pancode/client" };
const relay = "127.0.0.1:7400";
const grant = { runToken: "pcr1.r1.mac", depth: 1, safety: "full-auto" };

describe("nestedDispatchEnv", () => {
  it("lends a docker run its token, the coordinator through its socket relay, its id as parent and the client", () => {
    const { env, mounts } = nestedDispatchEnv(config, grant, { runId: "r1", sandbox: "docker", relayAddress: relay });
    expect(env).toMatchObject({
      PANCODE_COORDINATOR: relay,
      PANCODE_TOKEN: "pcr1.r1.mac",
      PANCODE_PARENT_RUN: "r1",
      PANCODE_DISPATCH_DEPTH: "1",
      PANCODE_SAFETY: "full-auto",
      PANCODE_CLI: "/opt/pancode/pancode.mjs",
    });
    expect(env.PATH?.startsWith("/opt/pancode:")).toBe(true);
    expect(mounts).toEqual([{ hostPath: "/srv/pancode/client", containerPath: "/opt/pancode" }]);
  });

  it("gives nothing without a token, without a relay for a container or without a client bundle", () => {
    const none = { env: {}, mounts: [] };
    const docker = { runId: "r", sandbox: "docker", relayAddress: relay } as const;
    expect(nestedDispatchEnv(config, { ...grant, runToken: "" }, docker)).toEqual(none);
    expect(nestedDispatchEnv(config, grant, { runId: "r", sandbox: "docker" })).toEqual(none);
    expect(nestedDispatchEnv({ ...config, clientDir: "" }, grant, docker)).toEqual(none);
  });

  it("points a process sandbox at the host's client without mounts", () => {
    const { env, mounts } = nestedDispatchEnv(config, grant, { runId: "r", sandbox: "process" });
    expect(env.PANCODE_COORDINATOR).toBe("10.0.0.5:7400");
    expect(env.PANCODE_CLI).toBe("/srv/pancode/client/pancode.mjs");
    expect(env.PATH).toBeUndefined();
    expect(mounts).toEqual([]);
  });
});

describe("installClient", () => {
  it("copies bundle and launcher into the data dir, readable and never group- or world-writable", async () => {
    const dir = await mkdtemp(join(tmpdir(), "pancode-client-"));
    try {
      const source = join(dir, "src");
      await mkdir(source);
      await writeFile(join(source, "pancode.mjs"), "console.log(1)\n");
      await writeFile(join(source, "pancode"), "#!/bin/sh\n");
      const target = await installClient(source, join(dir, "data"));
      expect(target).toBe(join(dir, "data", "client"));
      expect(await readFile(join(target, "pancode.mjs"), "utf8")).toBe("console.log(1)\n");
      expect((await stat(join(target, "pancode"))).mode & 0o777).toBe(0o755);
      expect((await stat(join(target, "pancode.mjs"))).mode & 0o777).toBe(0o644);
      expect(await installClient("", join(dir, "data"))).toBe("");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("resolveClientDir", () => {
  it("takes the configured directory only when it holds the bundle, and never guesses one", async () => {
    const dir = await mkdtemp(join(tmpdir(), "pancode-client-dir-"));
    try {
      expect(resolveClientDir("")).toBe("");
      expect(resolveClientDir(dir)).toBe("");
      await writeFile(join(dir, "pancode.mjs"), "console.log(1)\n");
      expect(resolveClientDir(dir)).toBe(dir);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
