import { describe, expect, it } from "vitest";
import type { SandboxRunSpec } from "../container-runtime.js";
import { buildContainerOptions } from "./container-options.js";

const spec: SandboxRunSpec = {
  runId: "r-1",
  image: "pancode/agent:dev",
  argv: ["sh", "-c", "echo hi"],
  env: { TASK: "x" },
  workspacePath: "/srv/wt/r-1",
  readonly: false,
  limits: { memoryMb: 512, cpus: 1.5, pids: 256 },
  network: "none",
  labels: { "pancode.managed": "false", team: "a" },
};
const owner = { workerId: "w-1", host: "h-1", pid: 42, start: "777" };

describe("buildContainerOptions", () => {
  it("locks the container down", () => {
    const o = buildContainerOptions({ spec, owner, user: "1000:1000", name: "pancode-r-1-abc" });
    expect(o.User).toBe("1000:1000");
    expect(o.WorkingDir).toBe("/workspace");
    expect(o.Env).toEqual(["HOME=/home/agent", "TASK=x"]);
    expect(o.HostConfig).toMatchObject({
      Binds: ["/srv/wt/r-1:/workspace"],
      CapDrop: ["ALL"],
      SecurityOpt: ["no-new-privileges"],
      NetworkMode: "none",
      Privileged: false,
      AutoRemove: false,
      ReadonlyRootfs: false,
      Memory: 512 * 1024 * 1024,
      NanoCpus: 1_500_000_000,
      PidsLimit: 256,
    });
    expect(o.HostConfig?.Tmpfs?.["/home/agent"]).toContain("uid=1000,gid=1000");
    expect(JSON.stringify(o)).not.toContain("docker.sock");
  });

  it("sizes the tmpfs HOME as asked (the worker caps it), else as the memory limit", () => {
    const capped = buildContainerOptions({ spec: { ...spec, homeTmpfsMb: 128 }, owner, user: "1000:1000", name: "n" });
    expect(capped.HostConfig?.Tmpfs?.["/home/agent"]).toContain(",size=128m,");
    const plain = buildContainerOptions({ spec, owner, user: "1000:1000", name: "n" });
    expect(plain.HostConfig?.Tmpfs?.["/home/agent"]).toContain(",size=512m,");
  });

  it("mounts read-only and applies the network policy", () => {
    const o = buildContainerOptions({
      spec: { ...spec, readonly: true, network: "host" },
      owner,
      user: "1000:1000",
      name: "n",
    });
    expect(o.HostConfig?.Binds).toEqual(["/srv/wt/r-1:/workspace:ro"]);
    expect(o.HostConfig?.NetworkMode).toBe("host");
  });

  it("writes owner labels that callers cannot override", () => {
    const o = buildContainerOptions({ spec, owner, user: "1000:1000", name: "n" });
    expect(o.Labels).toEqual({
      team: "a",
      "pancode.managed": "true",
      "pancode.run-id": "r-1",
      "pancode.worker-id": "w-1",
      "pancode.owner-host": "h-1",
      "pancode.owner-pid": "42",
      "pancode.owner-start": "777",
    });
  });
});
