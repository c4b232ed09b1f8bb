import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { ensureTestImages, skipWithoutDocker } from "@pancode/testing/docker";
import Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ContainerRuntime, SandboxRunSpec } from "../container-runtime.js";
import { createDockerRuntime } from "./docker-runtime.js";
import { LABELS } from "./labels.js";

const docker = new Docker({ socketPath: "/var/run/docker.sock" });
const owner = { workerId: "sandbox-int", host: hostname(), pid: process.pid };
const dirs: string[] = [];

async function workspace(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "pancode-sbx-"));
  dirs.push(dir);
  return dir;
}

async function containersOf(runId: string): Promise<Docker.ContainerInfo[]> {
  return docker.listContainers({ all: true, filters: { label: [`${LABELS.runId}=${runId}`] } });
}

describe.skipIf(await skipWithoutDocker())("docker runtime", () => {
  let image = "";
  let runtime: ContainerRuntime;

  beforeAll(async () => {
    ({ agentImage: image } = await ensureTestImages());
    runtime = createDockerRuntime({ owner });
    await runtime.ping();
  });
  afterAll(async () => {
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  async function run(argv: string[], over: Partial<SandboxRunSpec> = {}, signal = new AbortController().signal) {
    const spec: SandboxRunSpec = {
      runId: `sbx-${randomUUID().slice(0, 8)}`,
      image,
      argv,
      env: {},
      workspacePath: over.workspacePath ?? (await workspace()),
      readonly: false,
      limits: { memoryMb: 256, cpus: 1, pids: 128 },
      network: "none",
      ...over,
    };
    const out = { stdout: "", stderr: "", chunks: [] as { text: string; at: number }[] };
    const result = await runtime.run(
      spec,
      {
        onOutput: (stream, text) => {
          out[stream] += text;
          out.chunks.push({ text, at: Date.now() });
        },
      },
      signal,
    );
    return { spec, result, out };
  }

  it("returns the exit code and streams stdout and stderr as they arrive", async () => {
    const { spec, result, out } = await run([
      "sh",
      "-c",
      'echo first; printf "é€🚀\\n"; echo oops >&2; sleep 1; echo last; exit 3',
    ]);
    expect(result).toMatchObject({ exitCode: 3, aborted: false, oomKilled: false });
    expect(out.stdout).toBe("first\né€🚀\nlast\n");
    expect(out.stderr).toBe("oops\n");
    const first = out.chunks.find((c) => c.text.includes("first"));
    expect(first && result.finishedAt.getTime() - first.at).toBeGreaterThan(500);
    expect(await containersOf(spec.runId)).toEqual([]);
  });

  it("writes in /workspace land in the host dir, readable by the host", async () => {
    const dir = await workspace();
    await writeFile(join(dir, "existing.txt"), "a\n");
    const { result } = await run(["sh", "-c", "echo b >> existing.txt && mkdir -p sub && echo new > sub/new.txt"], {
      workspacePath: dir,
    });
    expect(result.exitCode).toBe(0);
    expect(await readFile(join(dir, "existing.txt"), "utf8")).toBe("a\nb\n");
    expect(await readFile(join(dir, "sub", "new.txt"), "utf8")).toBe("new\n");
    // Handed to uid 1000 for the run, then back to the worktree's owner so the worker's git accepts it.
    for (const p of [dir, join(dir, "existing.txt"), join(dir, "sub", "new.txt")]) {
      expect((await stat(p)).uid).toBe(process.getuid?.());
    }
  });

  it("read-only mount refuses writes and leaves the host dir unchanged", async () => {
    const dir = await workspace();
    await chmod(dir, 0o755); // like a git checkout under umask 022; mkdtemp's 0700 would be unreadable
    await writeFile(join(dir, "keep.txt"), "k");
    const { result, out } = await run(["sh", "-c", "cat keep.txt && touch /workspace/x"], {
      workspacePath: dir,
      readonly: true,
    });
    expect(result.exitCode).not.toBe(0);
    expect(out.stdout).toBe("k");
    expect(await readdir(dir)).toEqual(["keep.txt"]);
    expect((await stat(join(dir, "keep.txt"))).uid).toBe(process.getuid?.());
    await chmod(dir, 0o700);
    await expect(run(["true"], { workspacePath: dir, readonly: true })).rejects.toMatchObject({
      code: "SANDBOX_FAILED",
      message: expect.stringContaining(`not readable by sandbox user`),
    });
  });

  it("runs as uid 1000 with no capabilities, no-new-privs, no network and a writable HOME", async () => {
    const { result, out } = await run([
      "sh",
      "-c",
      'id -u; grep -E "^(CapEff|NoNewPrivs)" /proc/self/status; ls /sys/class/net; echo x > "$HOME/f" && echo home-ok; ls /var/run/docker.sock 2>&1 || true',
    ]);
    expect(result.exitCode).toBe(0);
    const lines = out.stdout.trim().split("\n");
    expect(lines[0]).toBe(process.getuid?.() === 0 ? "1000" : String(process.getuid?.()));
    expect(out.stdout).toMatch(/CapEff:\s+0000000000000000/);
    expect(out.stdout).toMatch(/NoNewPrivs:\s+1/);
    expect(lines).toContain("lo");
    expect(lines.filter((l) => /^(eth|en|docker|veth)/.test(l))).toEqual([]);
    expect(lines).toContain("home-ok");
    expect(out.stdout).toMatch(/No such file/);
  });

  it("enforces the pids and memory limits", async () => {
    const forks = await run(["sh", "-c", "for i in $(seq 1 40); do sleep 2 & done; wait"], {
      limits: { memoryMb: 256, cpus: 1, pids: 16 },
    });
    expect(forks.result.exitCode).not.toBe(0);
    expect(forks.out.stderr).toMatch(/fork/i);
    const oom = await run(["sh", "-c", "head -c 200m /dev/zero | tail"], {
      limits: { memoryMb: 32, cpus: 1, pids: 64 },
    });
    expect(oom.result).toMatchObject({ exitCode: 137, oomKilled: true });
  });

  it("abort kills a long sleep and removes the container", async () => {
    const ac = new AbortController();
    const runId = `sbx-abort-${randomUUID().slice(0, 8)}`;
    const pending = run(["sleep", "60"], { runId }, ac.signal);
    await expect.poll(async () => (await containersOf(runId))[0]?.State, { timeout: 10_000 }).toBe("running");
    ac.abort();
    const { result } = await pending;
    expect(result.aborted).toBe(true);
    // A `sleep 60` that ran to its end would exit 0: a non-zero status means the abort killed it.
    expect(result.exitCode).not.toBe(0);
    expect(await containersOf(runId)).toEqual([]);
  });

  it("an already-aborted signal starts nothing", async () => {
    const ac = new AbortController();
    ac.abort();
    const { spec, result } = await run(["true"], {}, ac.signal);
    expect(result).toMatchObject({ aborted: true, exitCode: -1 });
    expect(await containersOf(spec.runId)).toEqual([]);
  });

  it("reaps containers whose owner process on this host is dead, and only those", async () => {
    const deadPid = await new Promise<number>((resolve) => {
      const child = spawn("true");
      child.once("exit", () => resolve(child.pid ?? 0));
    });
    const create = (runId: string, pid: number) =>
      docker.createContainer({
        Image: image,
        Cmd: ["sleep", "60"],
        HostConfig: { NetworkMode: "none" },
        Labels: {
          [LABELS.managed]: "true",
          [LABELS.runId]: runId,
          [LABELS.workerId]: "gone",
          [LABELS.ownerHost]: owner.host,
          [LABELS.ownerPid]: String(pid),
        },
      });
    const orphanId = `sbx-orphan-${randomUUID().slice(0, 8)}`;
    const liveId = `sbx-live-${randomUUID().slice(0, 8)}`;
    const orphan = await create(orphanId, deadPid);
    await orphan.start();
    const live = await create(liveId, process.pid);
    try {
      expect(await runtime.reapOrphans()).toBeGreaterThanOrEqual(1);
      expect(await containersOf(orphanId)).toEqual([]);
      expect(await containersOf(liveId)).toHaveLength(1);
    } finally {
      await live.remove({ force: true });
      await orphan.remove({ force: true }).catch(() => undefined);
    }
  });

  it("reports image ids, missing images and an absent engine with clear errors", async () => {
    const info = await runtime.inspectImage(image);
    expect(info.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(info.labels["pancode.runtimes"]).toContain("pi");
    await expect(runtime.inspectImage("pancode/missing:none")).rejects.toMatchObject({
      code: "SANDBOX_FAILED",
      message: expect.stringContaining(
        "image not found: pancode/missing:none (build it with deploy/images/build-images.sh)",
      ),
    });
    await expect(run(["true"], { image: "pancode/missing:none" })).rejects.toMatchObject({ code: "SANDBOX_FAILED" });
    const nowhere = createDockerRuntime({ owner, socketPath: "/tmp/pancode-no-docker.sock" });
    await expect(nowhere.ping()).rejects.toMatchObject({
      code: "UNAVAILABLE",
      message: expect.stringContaining("/tmp/pancode-no-docker.sock"),
    });
  });
});
