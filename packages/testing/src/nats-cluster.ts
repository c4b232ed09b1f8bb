import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PanCodeError } from "@pancode/core";
import { findOnPath } from "./find-on-path.js";
import { stopNatsProcess, waitForListening, waitForTcp } from "./nats.js";

/** A JetStream cluster of nats-server processes on loopback, for tests of replicated streams and node loss. */
export interface NatsCluster {
  /** Client URLs of every node, comma-separated: what NATS_URL lists. */
  url: string;
  /** Client URL of each node. */
  nodes: string[];
  /** Kills node `index` at once (SIGKILL: no goodbye to the cluster). */
  kill(index: number): Promise<void>;
  /** Stops every node and deletes their stores. */
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 30_000;

/**
 * Starts `size` nats-server processes (JetStream on, no authorization) on random 127.0.0.1 ports, routed to each other
 * as one cluster, and resolves once every node reports JetStream healthy (a meta leader is elected).
 */
export async function startNatsCluster(size = 3): Promise<NatsCluster> {
  const bin = findOnPath("nats-server");
  if (!bin) throw new PanCodeError("UNAVAILABLE", "nats-server not found on PATH: install nats-server");
  const ports = await Promise.all(
    Array.from({ length: size }, async () => ({ cluster: await freePort(), monitor: await freePort() })),
  );
  const routes = ports.map((p) => `nats://127.0.0.1:${p.cluster}`).join(",");
  const dirs: string[] = [];
  const children: ChildProcess[] = [];
  const clientPorts: number[] = [];
  const killAll = (): void => {
    for (const child of children) child.kill("SIGKILL");
  };
  process.once("exit", killAll);
  const stop = async (): Promise<void> => {
    process.removeListener("exit", killAll);
    await Promise.all(children.map((child) => stopNatsProcess(child)));
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  };
  try {
    for (const [i, p] of ports.entries()) {
      const dir = await mkdtemp(join(tmpdir(), `pancode-nats-${i}-`));
      dirs.push(dir);
      const args = ["-js", "-a", "127.0.0.1", "-p", "-1", "-sd", dir, "-n", `node${i}`, "-m", String(p.monitor)];
      args.push("--cluster_name", "pancode-test", "--cluster", `nats://127.0.0.1:${p.cluster}`, "--routes", routes);
      const child = spawn(bin, args, { stdio: ["ignore", "ignore", "pipe"] });
      children.push(child);
      clientPorts.push(await waitForListening(child));
    }
    for (const port of clientPorts) await waitForTcp(port);
    for (const p of ports) await waitForJetStream(p.monitor);
  } catch (err) {
    await stop();
    throw err;
  }
  const nodes = clientPorts.map((port) => `nats://127.0.0.1:${port}`);
  return {
    url: nodes.join(","),
    nodes,
    kill: async (index) => {
      const child = children[index];
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      child.kill("SIGKILL");
      await exited;
    },
    stop,
  };
}

/** Waits until the node's monitoring endpoint says JetStream is healthy (joined the cluster, meta leader known). */
async function waitForJetStream(monitorPort: number): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    const ok = await fetch(`http://127.0.0.1:${monitorPort}/healthz`)
      .then((res) => res.ok)
      .catch(() => false);
    if (ok) return;
    if (Date.now() > deadline) {
      throw new PanCodeError("UNAVAILABLE", `nats-server (monitor ${monitorPort}) has no healthy JetStream`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** A loopback port free right now (nats-server's cluster and monitor listeners take no "pick one yourself"). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}
