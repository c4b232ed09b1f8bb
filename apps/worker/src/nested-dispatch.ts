import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, copyFile, mkdir, rename } from "node:fs/promises";
import { join } from "node:path";
import type { RunGrant } from "@pancode/core";

/** Where the client bundle's directory is mounted in agent containers (read-only). */
const CONTAINER_CLIENT_DIR = "/opt/pancode";

/** File of the client bundle inside its directory (built by `npm run build -w @pancode/cli`, PANCODE_CLIENT_DIR). */
const CLIENT_BUNDLE_FILE = "pancode.mjs";

/**
 * PATH inside agent containers when the client is lent: the image's standard PATH (Debian's, which
 * pancode/agent uses) with the client's directory first, so `pancode` is a command there.
 */
const CONTAINER_PATH = `${CONTAINER_CLIENT_DIR}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`;

/** How this worker lends nested dispatch to runs. */
export interface NestedDispatchConfig {
  /** The worker's own coordinator address: what the socket relay dials (and a process sandbox uses directly). */
  coordinatorAddress: string;
  /** Host directory holding the client bundle; '' when there is none (nested dispatch is then unavailable). */
  clientDir: string;
}

/** `configured` when it holds the client bundle, else '' (nested dispatch is then unavailable). */
export function resolveClientDir(configured: string): string {
  return configured && existsSync(join(configured, CLIENT_BUNDLE_FILE)) ? configured : "";
}

/** File name of the launcher script next to the bundle (`pancode` on the container's PATH). */
const LAUNCHER_FILE = "pancode";

/**
 * Copies the client bundle into `<dataDir>/client` and returns that directory ('' without a bundle). Agent
 * containers are started by the host's Docker engine, which resolves bind mounts on the host: a containerised worker
 * (deploy/docker/worker.Dockerfile) has its data dir mounted at the same host path, but not its /app. Each file is
 * written under a temporary name and renamed, so a run starting meanwhile never sees half a file.
 */
export async function installClient(sourceDir: string, dataDir: string): Promise<string> {
  if (!sourceDir) return "";
  const target = join(dataDir, "client");
  await mkdir(target, { recursive: true, mode: 0o755 });
  for (const file of [CLIENT_BUNDLE_FILE, LAUNCHER_FILE]) {
    const temp = join(target, `.${file}.${randomUUID()}`);
    await copyFile(join(sourceDir, file), temp);
    // Readable (and the launcher executable) by the container's uid 1000, never writable by it.
    await chmod(temp, file === LAUNCHER_FILE ? 0o755 : 0o644);
    await rename(temp, join(target, file));
  }
  return target;
}

/**
 * Environment and mounts that let a run dispatch sub-runs: the coordinator's address, the run's own token (never
 * the client or worker token), its id as parent, and the pancode client. A container reaches the coordinator through
 * its run's socket relay (`relayAddress`, its own loopback), whatever its network; a process sandbox uses the
 * worker's own address. Nothing when the coordinator granted no token or no client bundle exists.
 */
export function nestedDispatchEnv(
  config: NestedDispatchConfig | undefined,
  grant: Pick<RunGrant, "runToken" | "depth" | "safety"> | undefined,
  run: { runId: string; sandbox: "docker" | "process"; relayAddress?: string },
): { env: Record<string, string>; mounts: { hostPath: string; containerPath: string }[] } {
  if (!config?.clientDir || !grant?.runToken) return { env: {}, mounts: [] };
  const docker = run.sandbox === "docker";
  if (docker && !run.relayAddress) return { env: {}, mounts: [] };
  const cliDir = docker ? CONTAINER_CLIENT_DIR : config.clientDir;
  return {
    env: {
      PANCODE_COORDINATOR: (docker && run.relayAddress) || config.coordinatorAddress,
      PANCODE_TOKEN: grant.runToken,
      PANCODE_PARENT_RUN: run.runId,
      // Informational: the coordinator derives depth from the parent run and ignores anything a client says.
      PANCODE_DISPATCH_DEPTH: String(grant.depth),
      // Sub-runs default to the parent's level (the coordinator caps them at it anyway).
      ...(grant.safety ? { PANCODE_SAFETY: grant.safety } : {}),
      PANCODE_CLI: join(cliDir, CLIENT_BUNDLE_FILE),
      ...(docker ? { PATH: CONTAINER_PATH } : {}),
    },
    mounts: docker ? [{ hostPath: config.clientDir, containerPath: CONTAINER_CLIENT_DIR }] : [],
  };
}
