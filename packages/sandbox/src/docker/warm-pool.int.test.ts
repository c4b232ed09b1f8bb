import { randomUUID } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { ensureTestImages, skipWithoutDocker } from "@pancode/testing/docker";
import Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ContainerRuntime, SandboxRunSpec } from "../container-runtime.js";
import { createDockerRuntime } from "./docker-runtime.js";
import { LABELS } from "./labels.js";
import { WARM_LABEL } from "./warm-pool.js";

const docker = new Docker({ socketPath: "/var/run/docker.sock" });
const dirs: string[] = [];

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "pancode-warm-"));
  dirs.push(dir);
  return dir;
}

function containersOfWorker(workerId: string, extra: string[] = []): Promise<Docker.ContainerInfo[]> {
  return docker.listContainers({ all: true, filters: { label: [`${LABELS.workerId}=${workerId}`, ...extra] } });
}

/** Waits (bounded) until the worker has `count` warm containers running (of `memoryMb`); returns them. */
async function warmContainers(workerId: string, count: number, memoryMb = 256): Promise<Docker.ContainerInfo[]> {
  for (let i = 0; i < 200; i++) {
    const warm = await containersOfWorker(workerId, [`${WARM_LABEL}=true`]);
    const running = warm.filter((c) => c.State === "running" && c.Names.some((n) => n.startsWith("/pancode-warm-")));
    const memories = await Promise.all(
      running.map(async (c) => (await docker.getContainer(c.Id).inspect()).HostConfig.Memory),
    );
    if (running.length === count && memories.every((m) => m === memoryMb * 1024 * 1024)) return running;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`worker ${workerId} never had ${count} warm containers`);
}

/** The memory limit as the container's cgroup (v2, else v1) states it. */
const MEMORY_LIMIT = "cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes";

/** Waits (bounded) until no container of the worker has an id starting with `shortId`. */
async function removedEventually(workerId: string, shortId: string): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    const all = await containersOfWorker(workerId);
    if (!all.some((c) => c.Id.startsWith(shortId))) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

/** What the sandbox looks like from inside: user, capabilities, privileges, network, limits, HOME tmpfs. */
const SELF_VIEW = [
  "id -u; id -g",
  "grep -E '^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs)' /proc/self/status",
  "ls /sys/class/net",
  `${MEMORY_LIMIT}; cat /sys/fs/cgroup/pids.max /sys/fs/cgroup/cpu.max 2>/dev/null || cat /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/cpu/cpu.cfs_quota_us`,
  "grep ' /home/agent ' /proc/mounts | cut -d' ' -f3,4",
  "grep ' /workspace ' /proc/mounts | cut -d' ' -f4 | cut -d, -f1",
  "pwd; echo HOME=$HOME",
].join("; ");

/** The security-relevant part of a container's configuration. */
function hardening(info: Docker.ContainerInspectInfo) {
  const h = info.HostConfig;
  return {
    user: info.Config.User,
    capDrop: h.CapDrop,
    securityOpt: h.SecurityOpt,
    network: h.NetworkMode,
    privileged: h.Privileged,
    readonlyRootfs: h.ReadonlyRootfs,
    memory: h.Memory,
    memorySwap: h.MemorySwap,
    nanoCpus: h.NanoCpus,
    pids: h.PidsLimit,
    init: h.Init,
    tmpfs: h.Tmpfs,
    binds: (h.Binds ?? []).map((b) => b.split(":").slice(1).join(":")),
    // The worker id differs by construction (two runtimes); reaping relies on the owner's host and pid.
    owner: [LABELS.managed, LABELS.ownerHost, LABELS.ownerPid, LABELS.ownerStart].map((l) => info.Config.Labels[l]),
  };
}

describe.skipIf(await skipWithoutDocker())("warm container pool", () => {
  let image = "";
  const workerId = `warm-int-${randomUUID().slice(0, 8)}`;
  const coldWorkerId = `${workerId}-cold`;
  let warm: ContainerRuntime;
  let cold: ContainerRuntime;
  let shared = "";

  beforeAll(async () => {
    ({ agentImage: image } = await ensureTestImages());
    const poolDir = await tempDir();
    warm = createDockerRuntime({
      owner: { workerId, host: hostname(), pid: process.pid },
      warmPool: { size: 2, dir: join(poolDir, "slots") },
    });
    cold = createDockerRuntime({ owner: { workerId: coldWorkerId, host: hostname(), pid: process.pid } });
    shared = await tempDir();
    await writeFile(join(shared, "tool.txt"), "lent\n");
  });
  afterAll(async () => {
    await warm?.close?.();
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  async function spec(over: Partial<SandboxRunSpec> = {}): Promise<SandboxRunSpec> {
    const net = await tempDir();
    await writeFile(join(net, "model.sock.txt"), "per-run\n");
    return {
      runId: `warm-${randomUUID().slice(0, 8)}`,
      image,
      argv: ["sh", "-c", "true"],
      env: { QUOTED: "it's $HOME `x`" },
      workspacePath: await tempDir(),
      readonly: false,
      limits: { memoryMb: 256, cpus: 1, pids: 128 },
      homeTmpfsMb: 64,
      network: "none",
      readonlyMounts: [
        { hostPath: shared, containerPath: "/opt/shared" },
        { hostPath: net, containerPath: "/run/pancode", perRun: true },
      ],
      ...over,
    };
  }

  async function run(runtime: ContainerRuntime, s: SandboxRunSpec, onOutput?: (text: string) => void) {
    let stdout = "";
    let stderr = "";
    const ac = new AbortController();
    const result = await runtime.run(
      s,
      {
        onOutput: (stream, text) => {
          if (stream === "stdout") stdout += text;
          else stderr += text;
          onOutput?.(text);
        },
      },
      ac.signal,
    );
    return { result, stdout, stderr, abort: ac };
  }

  /** Runs `s` until it printed "up", inspects its container (found by the run id in its name), then stops it. */
  async function inspectWhileRunning(runtime: ContainerRuntime, s: SandboxRunSpec) {
    const ac = new AbortController();
    let inspected: Promise<Docker.ContainerInspectInfo> | undefined;
    const running = runtime.run(
      { ...s, argv: ["sh", "-c", "echo up; sleep 60"] },
      {
        onOutput: (_stream, text) => {
          if (!inspected && text.includes("up")) {
            inspected = docker
              // all: a fresh container's output can arrive before the engine marks it running.
              .listContainers({ all: true })
              .then((all) => all.filter((c) => c.Names.some((n) => n.startsWith(`/pancode-${s.runId}-`))))
              .then((list) => {
                if (list.length !== 1) {
                  throw new Error(
                    `expected one container named after ${s.runId}: ${JSON.stringify(list.map((c) => c.Names))}`,
                  );
                }
                return docker.getContainer((list[0] as Docker.ContainerInfo).Id).inspect();
              })
              .finally(() => ac.abort());
          }
        },
      },
      ac.signal,
    );
    await running;
    if (!inspected) throw new Error("the run never printed up");
    return inspected;
  }

  it("a pooled run gets the same hardening as a fresh container, seen from inside and by docker inspect", async () => {
    // The first run of a profile creates its own container and teaches the pool the profile.
    const first = await run(warm, await spec());
    expect(first.result.exitCode).toBe(0);
    await warmContainers(workerId, 2);

    const viewOf = async (runtime: ContainerRuntime) => {
      const r = await run(runtime, await spec({ argv: ["sh", "-c", `${SELF_VIEW}; echo "Q=$QUOTED"`] }));
      expect(r.result.exitCode).toBe(0);
      return r.stdout;
    };
    const pooled = await viewOf(warm);
    const fresh = await viewOf(cold);
    expect(pooled).toBe(fresh);
    expect(pooled).toContain("1000\n1000\n");
    expect(pooled).toContain("CapEff:\t0000000000000000");
    expect(pooled).toContain("NoNewPrivs:\t1");
    expect(pooled).toContain("Q=it's $HOME `x`");
    expect(pooled.split("\n")).toContain("lo");
    expect(pooled.split("\n")).not.toContain("eth0");

    await warmContainers(workerId, 2);
    const pooledInfo = await inspectWhileRunning(warm, await spec());
    const freshInfo = await inspectWhileRunning(cold, await spec());
    expect(pooledInfo.Config.Labels[WARM_LABEL]).toBe("true");
    expect(pooledInfo.Config.Labels[LABELS.workerId]).toBe(workerId);
    const { binds: pooledBinds, ...pooledRest } = hardening(pooledInfo);
    const { binds: freshBinds, ...freshRest } = hardening(freshInfo);
    expect(pooledRest).toEqual(freshRest);
    expect(pooledRest.capDrop).toEqual(["ALL"]);
    expect(pooledRest.network).toBe("none");
    // Same mount points and modes; the pooled one also mounts its control directory read-only.
    expect(pooledBinds).toEqual([...freshBinds, "/run/pancode-start:ro"]);
  });

  it("a warm container runs its profile's prelude while it waits, into the run's environment; a fresh one never", async () => {
    // A pool of its own: a profile with a prelude is another profile, and must not disturb the pool of the others.
    const preludeWorker = `${workerId}-prelude`;
    const runtime = createDockerRuntime({
      owner: { workerId: preludeWorker, host: hostname(), pid: process.pid },
      warmPool: { size: 1, dir: join(await tempDir(), "slots") },
    });
    const warmPrelude = 'date +%s%N > "$HOME/prelude-at"; PANCODE_TEST_PRELUDE=ran; export PANCODE_TEST_PRELUDE';
    const show = 'echo "prelude=$PANCODE_TEST_PRELUDE"; cat "$HOME/prelude-at" 2>/dev/null || true';
    try {
      // The first run of the profile creates its own container (the pool learns the profile): no prelude there.
      const first = await run(runtime, await spec({ warmPrelude, argv: ["sh", "-c", show] }));
      expect(first.stdout).toBe("prelude=\n");
      await warmContainers(preludeWorker, 1);
      const claimedAt = Date.now();
      const pooled = await run(runtime, await spec({ warmPrelude, argv: ["sh", "-c", show] }));
      expect(pooled.result.exitCode).toBe(0);
      const [exported, ranAtNs] = pooled.stdout.trim().split("\n");
      expect(exported).toBe("prelude=ran");
      // It ran while the container waited, before the run claimed it.
      expect(Number(ranAtNs) / 1e6).toBeLessThan(claimedAt);
      const fresh = await run(cold, await spec({ warmPrelude, argv: ["sh", "-c", show] }));
      expect(fresh.stdout).toBe("prelude=\n");
    } finally {
      await runtime.close?.();
    }
    expect(await containersOfWorker(preludeWorker)).toEqual([]);
  });

  it("a pooled run reports its own exit code and output, and an abort ends it", async () => {
    await warmContainers(workerId, 2);
    const failed = await run(warm, await spec({ argv: ["sh", "-c", "echo out; echo err >&2; exit 3"] }));
    expect(failed.result).toMatchObject({ exitCode: 3, aborted: false, oomKilled: false });
    expect(failed.stdout).toBe("out\n");
    expect(failed.stderr).toBe("err\n");

    await warmContainers(workerId, 2);
    const ac = new AbortController();
    const stopped = await warm.run(
      await spec({ argv: ["sh", "-c", "echo up; sleep 60"] }),
      { onOutput: (_stream, text) => (text.includes("up") ? ac.abort() : undefined) },
      ac.signal,
    );
    expect(stopped.aborted).toBe(true);
    expect(stopped.exitCode).not.toBe(0);
  });

  it("a used container is removed and never reused; the run's files come back; the pool refills", async () => {
    await warmContainers(workerId, 2);
    const before = (await warmContainers(workerId, 2)).map((c) => c.Id);
    const runs: string[] = [];
    for (let i = 0; i < 2; i++) {
      const s = await spec({
        argv: ["sh", "-c", "cat /proc/self/cgroup /etc/hostname; ls /run/pancode; echo made > /workspace/out.txt"],
      });
      await writeFile(join(s.workspacePath, "in.txt"), "given\n");
      const r = await run(warm, s);
      expect(r.result.exitCode).toBe(0);
      expect(r.stdout).toContain("model.sock.txt");
      expect(await readFile(join(s.workspacePath, "out.txt"), "utf8")).toBe("made\n");
      expect((await readdir(s.workspacePath)).sort()).toEqual(["in.txt", "out.txt"]);
      const net = s.readonlyMounts?.[1]?.hostPath as string;
      expect(await readdir(net)).toEqual(["model.sock.txt"]);
      runs.push(r.stdout.split("\n").find((l) => /^[0-9a-f]{12}$/.test(l)) as string);
    }
    expect(runs[0]).toBeTruthy();
    expect(runs[0]).not.toBe(runs[1]);
    // Both came from the pool (they were the warm containers of before) and are gone now.
    expect(before.some((id) => id.startsWith(runs[0] as string))).toBe(true);
    // Removed right after the run, in the background.
    for (const id of runs) expect(await removedEventually(workerId, id)).toBe(true);
    const after = (await warmContainers(workerId, 2)).map((c) => c.Id);
    expect(after.some((id) => before.includes(id))).toBe(false);
  });

  it("a caller that defers the upkeep gets it after the run: the used container waits exited, then goes; the pool refills", async () => {
    // A pool of its own, of one container: the upkeep of its run is the only thing that could refill it.
    const deferWorker = `${workerId}-defer`;
    const runtime = createDockerRuntime({
      owner: { workerId: deferWorker, host: hostname(), pid: process.pid },
      warmPool: { size: 1, dir: join(await tempDir(), "slots") },
    });
    try {
      await run(runtime, await spec());
      const [pooled] = await warmContainers(deferWorker, 1);
      const upkeep: (() => Promise<void>)[] = [];
      const s = await spec({ argv: ["sh", "-c", "echo made > /workspace/out.txt"] });
      const result = await runtime.run(
        s,
        { onOutput: () => {}, defer: (work) => upkeep.push(work) },
        new AbortController().signal,
      );
      expect(result.exitCode).toBe(0);
      // The run's files are back before the upkeep; the used container (the pooled one) is left to the caller.
      expect(await readFile(join(s.workspacePath, "out.txt"), "utf8")).toBe("made\n");
      expect(upkeep).toHaveLength(2);
      const used = (await containersOfWorker(deferWorker)).find((c) => c.Id === pooled?.Id);
      expect(used?.State).toBe("exited");
      expect(used?.Names.some((n) => n.startsWith(`/pancode-${s.runId}-`))).toBe(true);
      await Promise.all(upkeep.map((work) => work()));
      expect(await removedEventually(deferWorker, (pooled as Docker.ContainerInfo).Id.slice(0, 12))).toBe(true);
      const refilled = await warmContainers(deferWorker, 1);
      expect(refilled[0]?.Id).not.toBe(pooled?.Id);
    } finally {
      await runtime.close?.();
    }
    expect(await containersOfWorker(deferWorker)).toEqual([]);
  });

  it("a run of another profile falls back to a fresh container, and the pool follows the new profile", async () => {
    const other = await spec({ limits: { memoryMb: 128, cpus: 1, pids: 64 } });
    const r = await run(warm, { ...other, argv: ["sh", "-c", MEMORY_LIMIT] });
    expect(r.stdout.trim()).toBe(String(128 * 1024 * 1024));
    // Only containers of the new profile remain (warmContainers waits for exactly that).
    expect(await warmContainers(workerId, 2, 128)).toHaveLength(2);
  });

  it("a warm container that died is not used: the run gets a fresh one, and the dead one is removed", async () => {
    const dead = await warmContainers(workerId, 2, 128);
    await Promise.all(dead.map((c) => docker.getContainer(c.Id).kill()));
    const other = await spec({ limits: { memoryMb: 128, cpus: 1, pids: 64 }, argv: ["sh", "-c", "echo alive"] });
    const r = await run(warm, other);
    expect(r.result.exitCode).toBe(0);
    expect(r.stdout).toBe("alive\n");
    // Its dead sibling is dropped too, and the pool is refilled with live ones.
    for (const c of dead) expect(await removedEventually(workerId, c.Id.slice(0, 12))).toBe(true);
    expect(await warmContainers(workerId, 2, 128)).toHaveLength(2);
  });

  it("close leaves no container of the pool", async () => {
    await warmContainers(workerId, 2, 128);
    await warm.close?.();
    expect(await containersOfWorker(workerId)).toEqual([]);
    // A closed pool hands out nothing: runs still work, on fresh containers.
    const r = await run(warm, await spec({ argv: ["sh", "-c", "echo fresh"] }));
    expect(r.stdout).toBe("fresh\n");
    expect(await containersOfWorker(workerId)).toEqual([]);
  });
});
