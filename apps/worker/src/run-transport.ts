import { randomBytes } from "node:crypto";
import { chmod, mkdir, rm } from "node:fs/promises";
import { connect, createServer, type Socket } from "node:net";
import { join } from "node:path";
import { CONTAINER_FORWARDER_DIR, forwarderPrelude, forwarderWrapper } from "./run-forwarder.js";

interface Closable {
  close(): Promise<void>;
}

/** Where a run's socket directory is mounted in its container. */
export const CONTAINER_SOCKET_DIR = "/run/pancode";
/** Ports the forwarder listens on inside the container (its own loopback; nothing else is there). */
export const CONTAINER_MODEL_PORT = 4100;
export const CONTAINER_COORDINATOR_PORT = 7400;
const MODEL_SOCKET = "model.sock";
export const COORDINATOR_SOCKET = "coordinator.sock";
const ALL_PORTS = { [MODEL_SOCKET]: CONTAINER_MODEL_PORT, [COORDINATOR_SOCKET]: CONTAINER_COORDINATOR_PORT };

/** One run's way out of a network-`none` container: Unix sockets in a directory mounted into it. */
export interface RunTransport {
  /** Host directory of the sockets. */
  dir: string;
  /** Host path where the run's model proxy must listen. */
  modelSocketPath: string;
  /** The agent's command line behind the forwarder. */
  wrap(argv: string[]): string[];
  /** What a warm container runs while it waits for the run: the forwarder, started ahead (with a forwarder). */
  warmPrelude?: string;
  mounts: { hostPath: string; containerPath: string; perRun?: boolean }[];
  close(): Promise<void>;
}

/**
 * Relays every connection on `socketPath` byte for byte to the coordinator's gRPC address, so the pancode client in
 * a run reaches the coordinator with no network of its own (the run authenticates with its run token as before).
 * With a list of coordinators (PANCODE_COORDINATOR=a:7400,b:7400) each connection goes to the first that accepts it.
 */
async function serveCoordinatorRelay(socketPath: string, coordinatorAddress: string): Promise<Closable> {
  const targets = coordinatorAddress
    .split(",")
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map(hostAndPort);
  const open = new Set<Socket>();
  const server = createServer((inner) => {
    open.add(inner);
    inner.on("close", () => open.delete(inner));
    // A run that hangs up while the relay is still dialling must not take the worker down.
    inner.on("error", () => inner.destroy());
    inner.pause();
    const attempt = (index: number): void => {
      const target = targets[index];
      if (!target || inner.destroyed) {
        inner.destroy();
        return;
      }
      const outer = connect(target);
      outer.once("error", () => attempt(index + 1));
      outer.once("connect", () => {
        outer.removeAllListeners("error");
        const drop = () => {
          inner.destroy();
          outer.destroy();
        };
        inner.on("error", drop);
        outer.on("error", drop);
        inner.on("close", () => outer.destroy());
        inner.pipe(outer);
        outer.pipe(inner);
        inner.resume();
      });
    };
    attempt(0);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(socketPath, () => resolve());
  });
  // Closing ends the relayed connections too: the run is over, nothing of it may linger.
  return {
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** "host:port" or "[v6]:port" as net.connect takes it. */
function hostAndPort(address: string): { host: string; port: number } {
  const at = address.lastIndexOf(":");
  return { host: address.slice(0, at).replace(/^\[|\]$/g, ""), port: Number(address.slice(at + 1)) };
}

/**
 * Opens a run's socket directory, `<dataDir>/net/<random>`: in the data dir for the same-path rule of containerised
 * workers (deploy/README.md), and short, because a Unix socket's path has at most 107 bytes (the worktree's own
 * directory nests too deep). Readable by the container's user: the sockets are guarded by the run's tokens.
 */
export async function openRunTransport(options: {
  dataDir: string;
  forwarderDir: string;
  coordinatorAddress?: string;
  /**
   * Whether the agent needs the forwarder (TCP on the container's loopback: agent CLIs take an http:// base URL).
   * Without a model the pancode client reaches the coordinator's socket directly, and the run starts ~80 ms sooner
   * (no Node process in front of its command).
   */
  forward: boolean;
}): Promise<RunTransport> {
  const dir = join(options.dataDir, "net", randomBytes(6).toString("hex"));
  await mkdir(dir, { recursive: true, mode: 0o755 });
  await chmod(dir, 0o755);
  const servers: Closable[] = [];
  const ports: Record<string, number> = { [MODEL_SOCKET]: CONTAINER_MODEL_PORT };
  if (options.coordinatorAddress) {
    const path = join(dir, COORDINATOR_SOCKET);
    servers.push(await serveCoordinatorRelay(path, options.coordinatorAddress));
    await chmod(path, 0o666);
    ports[COORDINATOR_SOCKET] = CONTAINER_COORDINATOR_PORT;
  }
  return {
    dir,
    modelSocketPath: join(dir, MODEL_SOCKET),
    wrap: (argv) => (options.forward ? [...forwarderWrapper(CONTAINER_SOCKET_DIR, ports), ...argv] : argv),
    // Every port a run may use, whatever this run's are: the prelude is part of the warm pool's profile.
    ...(options.forward ? { warmPrelude: forwarderPrelude(CONTAINER_SOCKET_DIR, ALL_PORTS) } : {}),
    mounts: [
      // perRun: a warm container mounts its own empty directory here; the sockets are moved into it for the run.
      { hostPath: dir, containerPath: CONTAINER_SOCKET_DIR, perRun: true },
      ...(options.forward ? [{ hostPath: options.forwarderDir, containerPath: CONTAINER_FORWARDER_DIR }] : []),
    ],
    async close() {
      for (const server of servers) await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
