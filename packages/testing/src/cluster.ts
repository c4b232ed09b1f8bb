/**
 * A real cluster of separate processes for end-to-end tests and benchmarks: the built service host
 * (`pancode-server coordinator` and `pancode-server worker`, apps/server/dist/main.js) against real NATS JetStream
 * and real Postgres, and a runner for the real CLI.
 *
 * ```ts
 * const cluster = await startCluster({ workers: 2 });
 * const result = await cluster.cli(["dispatch", "true", "--agent", "shell", "--wait"], { cwd: repo.dir });
 * await cluster.stop();
 * ```
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ensureTestImages } from "./docker.js";
import { type NatsCredentials, type NatsServer, startNats } from "./nats.js";
import { freshDatabaseUrl, type PostgresServer, startPostgres } from "./postgres.js";
import { startTcpProxy, type TcpProxy } from "./tcp-proxy.js";

/** Root of the repository (this file lives in packages/testing/src). */
export const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/**
 * The service host (`pancode-server`): `coordinator` and `worker` are its subcommands. PANCODE_BENCH_SERVER_MAIN
 * points the benches at another checkout's build (before/after comparisons against main with the same client).
 */
export const SERVER_MAIN = process.env.PANCODE_BENCH_SERVER_MAIN || join(REPO_ROOT, "apps/server/dist/main.js");
const CLI_BIN = join(REPO_ROOT, "apps/cli/bin/pancode.js");

/** Options of {@link startCluster}. */
export interface ClusterOptions {
  /** Worker processes to start. @default 1 */
  workers?: number;
  /** Use real Postgres (else the coordinator's embedded PGlite). @default true */
  postgres?: boolean;
  /**
   * Coordinator and workers reach NATS through a relay the test can cut and restore (`natsLink`), as if NATS went
   * away and came back with its stream intact. @default false
   */
  natsLink?: boolean;
  /** Extra environment for the coordinator. */
  coordinatorEnv?: Record<string, string>;
  /** Extra environment for every worker. */
  workerEnv?: Record<string, string>;
}

/** How to run one CLI invocation. */
export interface CliOptions {
  cwd: string;
  env?: Record<string, string>;
  timeoutMs?: number;
  /** Written to the CLI's stdin, then closed; without it stdin is closed at once (empty, not a terminal). */
  stdin?: string;
  /** Network namespace to run the CLI in (a client host of a multi-host test, see netns.ts). */
  netns?: string;
}

/** Output of one CLI invocation. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A started worker process. */
export interface WorkerProcess {
  id: string;
  process: ChildProcess;
  logs: () => string;
}

/** A running cluster. */
export interface Cluster {
  address: string;
  clientToken: string;
  workerToken: string;
  natsUrl: string;
  /** NATS users of the coordinator and the workers (the server runs with authorization on). */
  nats: { coordinator: NatsCredentials; worker: NatsCredentials };
  /** The cluster's own NATS server (fault tests kill and restart it). */
  natsServer: NatsServer;
  /** The cluster's own Postgres server (fault tests stop and start it); undefined with the embedded PGlite. */
  postgresServer: PostgresServer | undefined;
  databaseUrl: string;
  workers: WorkerProcess[];
  coordinatorLogs: () => string;
  /** The running coordinator process (fault tests kill it or pause it with SIGSTOP). */
  coordinatorProcess: () => ChildProcess;
  /** Starts the coordinator again after it exited: same address, database, NATS and data dir. */
  restartCoordinator(): Promise<void>;
  /**
   * Environment a CLI needs to reach this cluster. No safety level: the default (auto-edit) admits the shell agent
   * and dev; tests of agents that reach beyond the sandbox pass their own.
   */
  clientEnv: Record<string, string>;
  /** With `natsLink`: cuts and restores every process's connection to NATS. */
  natsLink?: Pick<TcpProxy, "cut" | "restore">;
  cli(args: string[], options: CliOptions): Promise<CliResult>;
  startWorker(id?: string, env?: Record<string, string>): Promise<WorkerProcess>;
  /** Stops the NATS server under the running processes (readiness and fault tests); `stop()` still cleans up. */
  stopBus(): Promise<void>;
  stop(): Promise<void>;
}

function requireBuilt(): void {
  for (const path of [SERVER_MAIN, join(REPO_ROOT, "apps/cli/dist/main.js")]) {
    if (!existsSync(path)) throw new Error(`${path} is missing: run \`npm run build\` before the e2e tests`);
  }
}

/**
 * Spawns `pancode-server <service>` (inside network namespace `netns` when given) and resolves once a line of its
 * stderr matches `ready`.
 */
export function spawnService(
  service: "coordinator" | "worker",
  env: Record<string, string>,
  ready: RegExp,
  timeoutMs = 60_000,
  netns?: string,
): Promise<{ child: ChildProcess; match: RegExpMatchArray; logs: () => string }> {
  const [file, args] = inNamespace(netns, process.execPath, [SERVER_MAIN, service]);
  const child = spawn(file, args, {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (d: Buffer) => (output += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`pancode-server ${service} not ready after ${timeoutMs} ms:\n${output}`)),
      timeoutMs,
    );
    let started = false;
    child.stderr?.on("data", (d: Buffer) => {
      output += d.toString();
      // Once ready, only keep the logs: matching the whole output again on every line made the bench process's
      // CPU grow with every line the service logged (bench/README.md, admissions).
      if (started) return;
      const match = output.match(ready);
      if (match) {
        started = true;
        clearTimeout(timer);
        resolve({ child, match, logs: () => output });
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`pancode-server ${service} exited with ${code} before it was ready:\n${output}`));
    });
  });
}

/** Stops a child process by PID: SIGTERM, then SIGKILL after `graceMs`. */
export async function stopProcess(child: ChildProcess, graceMs = 15_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Starts NATS, Postgres (optional), the coordinator and N workers as separate processes. */
export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  requireBuilt();
  await ensureTestImages();
  const dataRoot = await mkdtemp(join(tmpdir(), "pancode-cluster-"));
  const clientToken = randomBytes(16).toString("hex");
  const workerToken = randomBytes(16).toString("hex");
  const nats: NatsServer = await startNats();
  const link = options.natsLink ? await startTcpProxy(Number(new URL(nats.url).port)) : undefined;
  const natsUrl = link ? `nats://127.0.0.1:${link.port}` : nats.url;
  let postgres: PostgresServer | undefined;
  let databaseUrl = "";
  if (options.postgres ?? true) {
    postgres = await startPostgres();
    databaseUrl = await freshDatabaseUrl(postgres.url);
  }
  const coordinatorEnv: Record<string, string> = {
    PANCODE_LISTEN: "127.0.0.1:0",
    PANCODE_DATA_DIR: join(dataRoot, "coordinator"),
    PANCODE_TOKEN: clientToken,
    PANCODE_WORKER_TOKEN: workerToken,
    NATS_URL: natsUrl,
    NATS_USER: nats.coordinator.user,
    NATS_PASSWORD: nats.coordinator.pass,
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    PANCODE_HEARTBEAT_MS: "500",
    PANCODE_LEASE_MS: "3000",
    PANCODE_ACK_WAIT_MS: "3000",
    PANCODE_LOG_LEVEL: "debug",
    ...options.coordinatorEnv,
  };
  let coordinator = await spawnService("coordinator", coordinatorEnv, /listening on (\S+)/);
  const address = coordinator.match[1] as string;
  let earlierCoordinatorLogs = "";
  const workers: WorkerProcess[] = [];
  let nextWorker = 1;
  const startWorker = async (id = `w${nextWorker++}`, env: Record<string, string> = {}): Promise<WorkerProcess> => {
    const started = await spawnService(
      "worker",
      {
        PANCODE_COORDINATOR: address,
        PANCODE_WORKER_TOKEN: workerToken,
        PANCODE_WORKER_ID: id,
        PANCODE_DATA_DIR: join(dataRoot, `worker-${id}`),
        NATS_URL: natsUrl,
        NATS_USER: nats.worker.user,
        NATS_PASSWORD: nats.worker.pass,
        PANCODE_ACK_WAIT_MS: "3000",
        PANCODE_LOG_LEVEL: "debug",
        ...options.workerEnv,
        ...env,
      },
      /started \(sandbox/,
    );
    const worker = { id, process: started.child, logs: started.logs };
    workers.push(worker);
    return worker;
  };
  for (let i = 0; i < (options.workers ?? 1); i++) await startWorker();
  const clientEnv = { PANCODE_COORDINATOR: address, PANCODE_TOKEN: clientToken };
  return {
    address,
    clientToken,
    workerToken,
    natsUrl: nats.url,
    nats: { coordinator: nats.coordinator, worker: nats.worker },
    natsServer: nats,
    postgresServer: postgres,
    databaseUrl,
    workers,
    ...(link ? { natsLink: link } : {}),
    coordinatorLogs: () => earlierCoordinatorLogs + coordinator.logs(),
    coordinatorProcess: () => coordinator.child,
    async restartCoordinator() {
      earlierCoordinatorLogs += coordinator.logs();
      coordinator = await spawnService(
        "coordinator",
        { ...coordinatorEnv, PANCODE_LISTEN: address },
        /listening on (\S+)/,
      );
    },
    clientEnv,
    startWorker,
    cli: (args, cliOptions) => runCli(args, { ...cliOptions, env: { ...clientEnv, ...cliOptions.env } }),
    stopBus: () => nats.stop(),
    async stop() {
      await Promise.all(workers.map((w) => stopProcess(w.process)));
      await stopProcess(coordinator.child);
      await link?.close();
      await nats.stop();
      await postgres?.stop();
      await rm(dataRoot, { recursive: true, force: true });
    },
  };
}

/** Runs the real `pancode` CLI (the default session safety level unless `env` says otherwise) and collects its output. */
export function runCli(args: string[], options: CliOptions): Promise<CliResult> {
  const [file, argv] = inNamespace(options.netns, process.execPath, [CLI_BIN, ...args]);
  const child = spawn(file, argv, {
    cwd: options.cwd,
    // The developer's own PANCODE_SAFETY never leaks in: a test runs at the default level unless it says otherwise.
    // Nor do their saved contexts: a test that names no cluster reaches none.
    env: {
      ...withoutKey(withoutKey(process.env, "PANCODE_SAFETY"), "PANCODE_CONTEXT"),
      PANCODE_DATA_DIR: join(options.cwd, ".no-local-cluster"),
      XDG_CONFIG_HOME: join(options.cwd, ".no-config-home"),
      ...options.env,
    },
    stdio: ["pipe", "pipe", "pipe"],
  });
  // A CLI that exits without reading its stdin (an error found first) makes this write fail with EPIPE: not ours.
  child.stdin.on("error", () => {});
  child.stdin.end(options.stdin);
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`pancode ${args.join(" ")} timed out:\n${stdout}\n${stderr}`));
    }, options.timeoutMs ?? 120_000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

/** `ip netns exec <netns> <file> <args>` (which execs, so the child's PID is the command's), or the command as is. */
function inNamespace(netns: string | undefined, file: string, args: string[]): [string, string[]] {
  return netns ? ["ip", ["netns", "exec", netns, file, ...args]] : [file, args];
}

function withoutKey(env: NodeJS.ProcessEnv, key: string): NodeJS.ProcessEnv {
  const { [key]: _dropped, ...rest } = env;
  return rest;
}
