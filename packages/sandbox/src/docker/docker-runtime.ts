import { type LoggerPort, PanCodeError, silentLogger } from "@pancode/core";
import Docker from "dockerode";
import type { ContainerRuntime } from "../container-runtime.js";
import { processStartTime } from "../process-identity.js";
import { parseNumericUser } from "../workspace-owner.js";
import { dockerStatus, engineUnavailable, wrapDockerError } from "./docker-errors.js";
import type { ContainerOwner } from "./labels.js";
import { reapOrphanContainers } from "./reap-orphans.js";
import { type DockerRunContext, runContainer } from "./run-container.js";
import { WarmPool } from "./warm-pool.js";

/** Options of {@link createDockerRuntime}. */
export interface DockerRuntimeOptions {
  /** Unix socket of the Docker engine. @default "/var/run/docker.sock" */
  socketPath?: string;
  /** The worker process; written as labels on every container so orphans can be found after a crash. */
  owner: ContainerOwner;
  /**
   * `uid:gid` the commands run as. Root is refused.
   * @default "1000:1000" (the image's `agent` user) when the worker runs as root, else the worker's own `uid:gid`
   */
  user?: string;
  logger?: LoggerPort;
  /**
   * Containers created and started ahead of runs (the profile of the latest run), each with a slot directory under
   * `dir`. Size 0 or absent: every run creates its own container.
   */
  warmPool?: { size: number; dir: string };
}

/**
 * A {@link ContainerRuntime} that starts one locked-down container per run on the local Docker engine: non-root,
 * no capabilities, no-new-privileges, resource limits, network `none` unless asked, only the worktree mounted.
 * Images are never pulled; build them with `deploy/images/build-images.sh`.
 *
 * ```ts
 * const runtime = createDockerRuntime({ owner: { workerId, host: hostname(), pid: process.pid }, logger });
 * await runtime.ping();
 * await runtime.reapOrphans();
 * const result = await runtime.run(spec, { onOutput: (s, t) => log(s, t) }, abortController.signal);
 * ```
 */
export function createDockerRuntime(options: DockerRuntimeOptions): ContainerRuntime {
  const socketPath = options.socketPath ?? "/var/run/docker.sock";
  const logger = options.logger ?? silentLogger;
  const workerIsRoot = process.getuid?.() === 0;
  const user = options.user ?? defaultUser(workerIsRoot);
  assertNonRoot(user);
  const docker = new Docker({ socketPath });
  const owner = { ...options.owner, start: options.owner.start ?? processStartTime(options.owner.pid) };
  const ctx: DockerRunContext = { docker, socketPath, owner, user, workerIsRoot, logger };
  if (options.warmPool && options.warmPool.size > 0) ctx.pool = new WarmPool(ctx, options.warmPool);

  return {
    kind: "docker",
    run: (spec, hooks, signal) => runContainer(ctx, spec, hooks, signal),
    reapOrphans: () => reapOrphanContainers({ docker, socketPath, host: options.owner.host, logger }),
    async inspectImage(image) {
      try {
        const info = await docker.getImage(image).inspect();
        return { digest: info.Id, labels: info.Config?.Labels ?? {} };
      } catch (err) {
        if (dockerStatus(err) === 404) {
          throw new PanCodeError(
            "SANDBOX_FAILED",
            `image not found: ${image} (build it with deploy/images/build-images.sh)`,
            {
              cause: err,
            },
          );
        }
        throw wrapDockerError(err, `inspect image ${image}`, socketPath);
      }
    },
    close: async () => ctx.pool?.close(),
    async ping() {
      try {
        await docker.ping();
      } catch (err) {
        throw engineUnavailable(socketPath, err);
      }
    },
  };
}

function defaultUser(workerIsRoot: boolean): string {
  if (workerIsRoot) return "1000:1000";
  return `${process.getuid?.() ?? 1000}:${process.getgid?.() ?? 1000}`;
}

/** Containers must never run as root: a writable bind mount plus root would let an agent own the host's files. */
function assertNonRoot(user: string): void {
  const ids = parseNumericUser(user);
  if (user === "root" || user.startsWith("root:") || ids?.uid === 0) {
    throw new PanCodeError("INVALID_ARGUMENT", `sandbox user must not be root: ${user}`);
  }
}
