import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { connect as connectTcp } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { PanCodeError } from "@pancode/core";
import { findOnPath } from "./find-on-path.js";

/** A NATS user: what a process passes as NATS_USER / NATS_PASSWORD. */
export interface NatsCredentials {
  user: string;
  pass: string;
}

/** The cluster's NATS configuration, shared with compose: users `coordinator` and `worker` and their permissions. */
export const NATS_CONFIG_PATH = fileURLToPath(new URL("../../../deploy/nats/nats.conf", import.meta.url));

/** A NATS server with JetStream for tests, with authorization on (deploy/nats/nats.conf). */
export interface NatsServer {
  /** Client URL, e.g. nats://127.0.0.1:41234. */
  url: string;
  /** The coordinator's user: everything. */
  coordinator: NatsCredentials;
  /** The workers' user: consume tasks, receive control messages. */
  worker: NatsCredentials;
  /** Pid of the server process (its CPU for the benches); undefined for a reused server. */
  pid(): number | undefined;
  /** Stops the server and deletes its store dir (no-op for a server reused via PANCODE_TEST_NATS_URL). */
  stop(): Promise<void>;
  /** SIGKILLs the server, keeping its store dir, as a crash would. Fault tests only; throws for a reused server. */
  kill(): Promise<void>;
  /** Starts a killed server again on the same port with the same store dir (JetStream recovers its streams). */
  restart(): Promise<void>;
}

const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 5_000;

/**
 * Starts a private `nats-server -js` for a test run, on a random 127.0.0.1 port with its JetStream store in a temp
 * dir and the cluster's authorization (deploy/nats/nats.conf, fresh random passwords), and resolves once it accepts
 * connections. When PANCODE_TEST_NATS_URL is set, that server is reused instead (its passwords in
 * PANCODE_TEST_NATS_COORDINATOR_PASSWORD / PANCODE_TEST_NATS_WORKER_PASSWORD).
 * Throws UNAVAILABLE when `nats-server` is not on PATH or does not come up; tests decide whether that skips or
 * fails (in CI it must fail).
 */
export async function startNats(): Promise<NatsServer> {
  const reuse = process.env.PANCODE_TEST_NATS_URL;
  if (reuse) {
    return {
      url: reuse,
      coordinator: { user: "coordinator", pass: process.env.PANCODE_TEST_NATS_COORDINATOR_PASSWORD ?? "" },
      worker: { user: "worker", pass: process.env.PANCODE_TEST_NATS_WORKER_PASSWORD ?? "" },
      pid: () => undefined,
      stop: async () => {},
      kill: notOwned,
      restart: notOwned,
    };
  }

  const bin = findOnPath("nats-server");
  if (!bin) {
    throw new PanCodeError(
      "UNAVAILABLE",
      "nats-server not found on PATH: install nats-server (Debian package nats-server) or set PANCODE_TEST_NATS_URL",
    );
  }
  const dir = await mkdtemp(join(tmpdir(), "pancode-nats-"));
  // -p -1: the server picks a free port itself and logs it, so no other process can grab it in between.
  // nats-server parses a variable's value as a config value: a leading letter keeps hex from reading as a number.
  const coordinator = { user: "coordinator", pass: `c${randomBytes(16).toString("hex")}` };
  const worker = { user: "worker", pass: `w${randomBytes(16).toString("hex")}` };
  const env = { ...process.env, NATS_COORDINATOR_PASSWORD: coordinator.pass, NATS_WORKER_PASSWORD: worker.pass };
  const launch = (port: string): ChildProcess =>
    spawn(bin, ["-c", NATS_CONFIG_PATH, "-js", "-a", "127.0.0.1", "-p", port, "-sd", dir], {
      stdio: ["ignore", "ignore", "pipe"],
      env,
    });
  let child = launch("-1");
  // A test process that dies without calling stop() must not leave a server behind.
  const killSync = (): void => void child.kill("SIGKILL");
  process.once("exit", killSync);
  try {
    const port = await waitForListening(child);
    await waitForTcp(port);
    let stopped: Promise<void> | undefined;
    return {
      url: `nats://127.0.0.1:${port}`,
      coordinator,
      worker,
      pid: () => child.pid,
      stop: () => {
        stopped ??= (async () => {
          process.removeListener("exit", killSync);
          await stopNatsProcess(child);
          await rm(dir, { recursive: true, force: true });
        })();
        return stopped;
      },
      kill: async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
        child.kill("SIGKILL");
        await exited;
      },
      restart: async () => {
        child = launch(String(port));
        await waitForListening(child);
        await waitForTcp(port);
      },
    };
  } catch (err) {
    process.removeListener("exit", killSync);
    await stopNatsProcess(child);
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

async function notOwned(): Promise<void> {
  throw new PanCodeError("UNAVAILABLE", "PANCODE_TEST_NATS_URL is a reused server: it cannot be killed here");
}

/** True when a NATS server is available to {@link startNats} (reused URL set, or nats-server on PATH). */
export function isNatsAvailable(): boolean {
  return Boolean(process.env.PANCODE_TEST_NATS_URL) || findOnPath("nats-server") !== undefined;
}

/**
 * A name unique to this call, usable as a JetStream stream name, a subject token or a pool name: `prefix` plus pid,
 * time and random characters, limited to [A-Za-z0-9_-]. Gives each test its own stream, subjects and consumers.
 */
export function uniqueName(prefix: string): string {
  const clean = prefix.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 24);
  const random = Math.random().toString(36).slice(2, 8);
  return `${clean}_${process.pid}_${Date.now().toString(36)}_${random}`;
}

// nats-server logs "Listening for client connections on 127.0.0.1:<port>" and then "Server is ready" on stderr.
export function waitForListening(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let log = "";
    let port: number | undefined;
    const timer = setTimeout(() => finish(new Error(`timed out after ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
    const onData = (chunk: Buffer): void => {
      log += chunk.toString("utf8");
      const match = /Listening for client connections on [^\s]*:(\d+)/.exec(log);
      if (match?.[1]) port = Number(match[1]);
      if (port !== undefined && log.includes("Server is ready")) finish(undefined);
    };
    const onExit = (code: number | null): void => finish(new Error(`nats-server exited with code ${code}`));
    const onError = (err: Error): void => finish(err);
    function finish(err: Error | undefined): void {
      clearTimeout(timer);
      child.stderr?.off("data", onData);
      child.off("exit", onExit);
      child.off("error", onError);
      // Keep draining the log so a chatty server never blocks on a full pipe.
      child.stderr?.resume();
      if (err === undefined && port !== undefined) resolve(port);
      else
        reject(
          new PanCodeError("UNAVAILABLE", `nats-server did not start: ${err?.message}\n${log.slice(-2000)}`, {
            cause: err,
          }),
        );
    }
    child.stderr?.on("data", onData);
    child.once("exit", onExit);
    child.once("error", onError);
  });
}

export async function waitForTcp(port: number): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connectTcp({ host: "127.0.0.1", port }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline)
      throw new PanCodeError("UNAVAILABLE", `nats-server on port ${port} accepts no connections`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function stopNatsProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}
