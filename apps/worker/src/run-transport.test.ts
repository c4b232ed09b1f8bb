import { existsSync } from "node:fs";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openRunTransport } from "./run-transport.js";

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function echoServer(): Promise<{ address: string; close(): void }> {
  const server = createServer((socket) => socket.pipe(socket));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return { address: `127.0.0.1:${port}`, close: () => server.close() };
}

function roundTrip(socketPath: string, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath, () => socket.write(text));
    socket.once("data", (data) => {
      socket.destroy();
      resolve(data.toString());
    });
    socket.once("error", reject);
  });
}

describe("a run's socket transport", () => {
  it("relays the coordinator socket byte for byte, wraps the command, and leaves nothing behind", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "pancode-transport-"));
    dirs.push(dataDir);
    const coordinator = await echoServer();
    const transport = await openRunTransport({
      dataDir,
      forwarderDir: "/fwd",
      coordinatorAddress: coordinator.address,
      forward: true,
    });
    try {
      expect(await roundTrip(join(transport.dir, "coordinator.sock"), "PRI * HTTP/2.0")).toBe("PRI * HTTP/2.0");
      // The container's user (another uid) may enter the directory and connect to the socket.
      expect((await stat(transport.dir)).mode & 0o777).toBe(0o755);
      expect((await stat(join(transport.dir, "coordinator.sock"))).mode & 0o777).toBe(0o666);
      expect(transport.modelSocketPath).toBe(join(transport.dir, "model.sock"));
      expect(transport.mounts).toEqual([
        { hostPath: transport.dir, containerPath: "/run/pancode", perRun: true },
        { hostPath: "/fwd", containerPath: "/opt/pancode-net" },
      ]);
      const argv = transport.wrap(["pi", "-p", "task"]);
      expect(argv.slice(0, 2)).toEqual(["sh", "-c"]);
      expect(argv[2]).toContain("4100=model.sock 7400=coordinator.sock");
      expect(argv.slice(-3)).toEqual(["pi", "-p", "task"]);
    } finally {
      await transport.close();
      coordinator.close();
    }
    expect(existsSync(transport.dir)).toBe(false);
  });

  it("relays to the first coordinator of a list that accepts the connection", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "pancode-transport-"));
    dirs.push(dataDir);
    const dead = await echoServer();
    dead.close();
    const alive = await echoServer();
    const transport = await openRunTransport({
      dataDir,
      forwarderDir: "/fwd",
      coordinatorAddress: `${dead.address},${alive.address}`,
      forward: false,
    });
    try {
      expect(await roundTrip(join(transport.dir, "coordinator.sock"), "PRI * HTTP/2.0")).toBe("PRI * HTTP/2.0");
    } finally {
      await transport.close();
      alive.close();
    }
  });

  it("offers only the model socket when the run may not dispatch", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "pancode-transport-"));
    dirs.push(dataDir);
    const transport = await openRunTransport({ dataDir, forwarderDir: "/fwd", forward: true });
    expect(transport.wrap(["true"])[2]).not.toContain("coordinator.sock");
    // A warm container's forwarder, started before any run is known, listens on every port a run may use.
    expect(transport.warmPrelude).toContain("4100=model.sock 7400=coordinator.sock");
    expect(existsSync(join(transport.dir, "coordinator.sock"))).toBe(false);
    await transport.close();
  });

  it("runs a command without a model as it is: no forwarder in front, only the socket directory mounted", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "pancode-transport-"));
    dirs.push(dataDir);
    const coordinator = await echoServer();
    const transport = await openRunTransport({
      dataDir,
      forwarderDir: "/fwd",
      coordinatorAddress: coordinator.address,
      forward: false,
    });
    try {
      expect(transport.wrap(["sh", "-c", "npm test"])).toEqual(["sh", "-c", "npm test"]);
      expect(transport.warmPrelude).toBeUndefined();
      expect(transport.mounts).toEqual([{ hostPath: transport.dir, containerPath: "/run/pancode", perRun: true }]);
      expect(await roundTrip(join(transport.dir, "coordinator.sock"), "PRI * HTTP/2.0")).toBe("PRI * HTTP/2.0");
    } finally {
      await transport.close();
      coordinator.close();
    }
  });
});
