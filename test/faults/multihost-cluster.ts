/**
 * A cluster whose parts are separate hosts (network namespaces, packages/testing/src/netns.ts): Postgres on `pg`,
 * a three-node NATS JetStream cluster on `nats1..3` (streams replicated 3 times), two coordinator replicas on
 * `coordA`/`coordB` sharing that Postgres, workers on `w1`/`w2`, and the real CLI on `client`. Clients and workers
 * are given both coordinators (`PANCODE_COORDINATOR=a,b`) and all NATS nodes (`NATS_URL` lists three), so a fault
 * of one replica or node is something they must ride out, not something the test routes around.
 *
 * Workers run in their namespace but start containers through the machine's Docker engine
 * (/var/run/docker.sock is a file, reachable from any network namespace); the containers have no network, so the
 * `shell` runs of these tests need none.
 *
 * Timing: run leases of 10 s with heartbeats every second (a partition of a few seconds stays inside a lease, as
 * the production 30 s lease is meant to ride out a slow link), group leases and bus ack wait of 3 s (a dead
 * replica's batch or a lost delivery shows within seconds).
 */
import { type ChildProcess, execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type CliResult, runCli, spawnService, stopProcess } from "@pancode/testing/cluster";
import { ensureTestImages } from "@pancode/testing/docker";
import { NATS_CONFIG_PATH, stopNatsProcess, waitForListening } from "@pancode/testing/nats";
import { createNetwork, type Network } from "@pancode/testing/netns";
import { freshDatabaseUrl, type PostgresServer, queryRows, startPostgres } from "@pancode/testing/postgres";

export const NATS_HOSTS = ["nats1", "nats2", "nats3"] as const;
export const COORDINATOR_HOSTS = ["coordA", "coordB"] as const;
const WORKER_HOSTS = ["w1", "w2"] as const;
export type CoordinatorHost = (typeof COORDINATOR_HOSTS)[number];
export type NatsHost = (typeof NATS_HOSTS)[number];
export type WorkerHost = (typeof WORKER_HOSTS)[number];

const GRPC_PORT = 7400;
const NATS_PORT = 4222;
const ROUTE_PORT = 6222;
const MONITOR_PORT = 8222;
const JETSTREAM_READY_MS = 30_000;

/** A process of the cluster and its output so far. */
interface Service {
  child: ChildProcess;
  logs: () => string;
}

export interface MultiHostCluster {
  net: Network;
  /** Read access for the test (Postgres's unix socket: the test process is in none of the namespaces). */
  databaseUrl: string;
  coordinators: Partial<Record<CoordinatorHost, Service>>;
  workers: Partial<Record<WorkerHost, Service>>;
  /** Runs the real CLI on the client host, given both coordinators (A first). */
  cli(args: string[], cwd: string): Promise<CliResult>;
  startCoordinator(host: CoordinatorHost): Promise<Service>;
  /** SIGKILLs the replica on `host` and waits until it is gone. */
  killCoordinator(host: CoordinatorHost): Promise<void>;
  startWorker(host: WorkerHost): Promise<Service>;
  /** SIGKILLs the NATS node on `host` (its store stays; no restart here). */
  killNats(host: NatsHost): Promise<void>;
  stop(): Promise<void>;
}

/** Starts every host and service; on failure stops what it started and deletes the namespaces. */
export async function startMultiHostCluster(options: { concurrency: number }): Promise<MultiHostCluster> {
  await ensureTestImages();
  const net = createNetwork(["pg", ...NATS_HOSTS, ...COORDINATOR_HOSTS, ...WORKER_HOSTS, "client"]);
  const root = await mkdtemp(join(tmpdir(), "pancode-multihost-"));
  const natsNodes: Partial<Record<NatsHost, ChildProcess>> = {};
  const coordinators: MultiHostCluster["coordinators"] = {};
  const workers: MultiHostCluster["workers"] = {};
  let pg: PostgresServer | undefined;
  const stop = async (): Promise<void> => {
    try {
      const services = [...Object.values(workers), ...Object.values(coordinators)];
      await Promise.all(services.map((s) => stopProcess(s.child, 5_000)));
      await Promise.all(Object.values(natsNodes).map(stopNatsProcess));
      await pg?.stop();
    } finally {
      // Whatever failed above, the namespaces go (a process still in one keeps it alive only until it exits).
      net.destroy();
      await rm(root, { recursive: true, force: true });
    }
  };
  try {
    pg = await startPostgres({ netns: net.host("pg").namespace, listen: net.addressOf("pg") });
    const databaseUrl = await freshDatabaseUrl(pg.socketUrl);
    const secrets = natsSecrets();
    await Promise.all(NATS_HOSTS.map(async (h) => (natsNodes[h] = await startNatsNode(net, h, root, secrets))));
    for (const h of NATS_HOSTS) await waitForJetStream(net, h);
    const natsUrl = NATS_HOSTS.map((h) => `nats://${net.addressOf(h)}:${NATS_PORT}`).join(",");
    const coordinatorList = COORDINATOR_HOSTS.map((h) => `${net.addressOf(h)}:${GRPC_PORT}`).join(",");
    const tokens = { client: hex(16), worker: hex(16), runSecret: hex(32) };
    const coordinatorEnv = (host: CoordinatorHost): Record<string, string> => ({
      PANCODE_LISTEN: `${net.addressOf(host)}:${GRPC_PORT}`,
      PANCODE_DATA_DIR: join(root, host),
      // Replicas share their secrets: a token or run token minted by one is good on the other.
      PANCODE_TOKEN: tokens.client,
      PANCODE_WORKER_TOKEN: tokens.worker,
      PANCODE_RUN_TOKEN_SECRET: tokens.runSecret,
      // These links are the test's own wires inside its namespaces.
      PANCODE_INSECURE_PLAINTEXT: "1",
      DATABASE_URL: tcpDatabaseUrl(databaseUrl, net.addressOf("pg"), pg?.url ?? ""),
      NATS_URL: natsUrl,
      NATS_USER: "coordinator",
      NATS_PASSWORD: secrets.coordinator,
      PANCODE_JETSTREAM_REPLICAS: "3",
      PANCODE_HEARTBEAT_MS: "1000",
      PANCODE_LEASE_MS: "10000",
      PANCODE_ACK_WAIT_MS: "3000",
      PANCODE_GROUP_LEASE_MS: "3000",
      PANCODE_LOG_LEVEL: "debug",
    });
    const startCoordinator = async (host: CoordinatorHost): Promise<Service> => {
      const started = await spawnService("coordinator", coordinatorEnv(host), /listening on/, 60_000, ns(net, host));
      coordinators[host] = { child: started.child, logs: started.logs };
      return coordinators[host];
    };
    const startWorker = async (host: WorkerHost): Promise<Service> => {
      const env = {
        PANCODE_COORDINATOR: coordinatorList,
        PANCODE_WORKER_TOKEN: tokens.worker,
        PANCODE_WORKER_ID: host,
        PANCODE_DATA_DIR: join(root, host),
        NATS_URL: natsUrl,
        NATS_USER: "worker",
        NATS_PASSWORD: secrets.worker,
        PANCODE_ACK_WAIT_MS: "3000",
        PANCODE_WORKER_CONCURRENCY: String(options.concurrency),
        // Executions are counted from container start events of labelled run containers (container-starts.ts).
        PANCODE_WARM_POOL_SIZE: "0",
        PANCODE_LOG_LEVEL: "debug",
      };
      const started = await spawnService("worker", env, /started \(sandbox/, 60_000, ns(net, host));
      workers[host] = { child: started.child, logs: started.logs };
      return workers[host];
    };
    // One after the other: the first replica migrates the fresh database.
    for (const host of COORDINATOR_HOSTS) await startCoordinator(host);
    await Promise.all(WORKER_HOSTS.map(startWorker));
    const clientNs = ns(net, "client");
    return {
      net,
      databaseUrl,
      coordinators,
      workers,
      cli: (args, cwd) =>
        runCli(args, {
          cwd,
          netns: clientNs,
          env: { PANCODE_COORDINATOR: coordinatorList, PANCODE_TOKEN: tokens.client },
          timeoutMs: 60_000,
        }),
      startCoordinator,
      killCoordinator: async (host) => killProcess(coordinators[host]?.child),
      startWorker,
      killNats: async (host) => killProcess(natsNodes[host]),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

function ns(net: Network, host: string): string {
  return net.host(host).namespace;
}

function hex(bytes: number): string {
  return randomBytes(bytes).toString("hex");
}

/** NATS passwords of the two users of deploy/nats/nats.conf (a leading letter keeps hex from reading as a number). */
function natsSecrets(): { coordinator: string; worker: string } {
  return { coordinator: `c${hex(16)}`, worker: `w${hex(16)}` };
}

/** The test's database as the coordinators reach it: over TCP to the pg host. */
function tcpDatabaseUrl(socketUrl: string, pgAddress: string, serverUrl: string): string {
  const name = new URL(socketUrl).pathname;
  const port = new URL(serverUrl).port;
  return `postgres://postgres@${pgAddress}:${port}${name}`;
}

/** One node of the JetStream cluster, routed to the other two, with the cluster's authorization config. */
async function startNatsNode(
  net: Network,
  host: NatsHost,
  root: string,
  secrets: { coordinator: string; worker: string },
): Promise<ChildProcess> {
  const address = net.addressOf(host);
  const routes = NATS_HOSTS.map((h) => `nats://${net.addressOf(h)}:${ROUTE_PORT}`).join(",");
  const args = ["-c", NATS_CONFIG_PATH, "-js", "-a", address, "-p", String(NATS_PORT), "-m", String(MONITOR_PORT)];
  args.push("-sd", join(root, host), "-n", host, "--cluster_name", "pancode-multihost");
  args.push("--cluster", `nats://${address}:${ROUTE_PORT}`, "--routes", routes);
  const child = net.spawnIn(host, "nats-server", args, {
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, NATS_COORDINATOR_PASSWORD: secrets.coordinator, NATS_WORKER_PASSWORD: secrets.worker },
  });
  await waitForListening(child);
  return child;
}

/** Waits until the node's monitor says JetStream is healthy (it joined the cluster and knows the meta leader). */
async function waitForJetStream(net: Network, host: NatsHost): Promise<void> {
  const deadline = Date.now() + JETSTREAM_READY_MS;
  for (;;) {
    try {
      net.execIn(host, "curl", ["-sf", "--max-time", "2", `${monitorUrl(net, host)}/healthz`]);
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`NATS on ${host} has no healthy JetStream after 30 s`);
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
  }
}

/** The node's monitoring endpoint (nats-server serves it on the client address, `-a`). */
export function monitorUrl(net: Network, host: NatsHost): string {
  return `http://${net.addressOf(host)}:${MONITOR_PORT}`;
}

async function killProcess(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGKILL");
  await exited;
}

/** Pid of the coordinator process that owns a batch or chain now (the owner id is `<hostname>-<pid>-<random>`). */
export async function groupOwnerPid(
  databaseUrl: string,
  kind: "batches" | "chains",
  id: string,
): Promise<number | undefined> {
  const rows = await queryRows(databaseUrl, `select owner from ${kind} where id = '${id.replace(/'/g, "''")}'`);
  const pid = /-(\d+)-[0-9a-f]{8}$/.exec(rows[0]?.[0] ?? "")?.[1];
  return pid ? Number(pid) : undefined;
}

/** The host of the coordinator process `pid`, if it is one of this cluster's. */
export function coordinatorWithPid(cluster: MultiHostCluster, pid: number | undefined): CoordinatorHost | undefined {
  return COORDINATOR_HOSTS.find((h) => cluster.coordinators[h]?.child.pid === pid);
}

/** Whether the binaries the cluster needs are here (nats-server, curl for its monitor, ip). */
export function hasMultiHostTools(): boolean {
  try {
    for (const tool of ["nats-server", "curl"]) execFileSync("which", [tool], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}
