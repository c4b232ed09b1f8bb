import { hostname } from "node:os";
import { join } from "node:path";
import { runtimeNames } from "@pancode/agents";
import { WorkspaceCache } from "@pancode/git";
import { type ContainerRuntime, createDockerRuntime, createProcessRuntime } from "@pancode/sandbox";
import type { Logger } from "@pancode/telemetry";
import type { WorkerConfig } from "./config.js";
import { runtimesOf } from "./image-runtimes.js";
import { claimWorktreeRoot, reapDeadWorktrees } from "./worktree-reaper.js";

/** Directory of the warm containers' slots under the worker's worktree root (never a run id: those are uuids). */
const WARM_SLOTS_DIR = "warm-slots";

/** Where a worker's runs execute: the sandbox, the workspace cache, and what its image can run. */
export interface PreparedSandbox {
  sandbox: ContainerRuntime;
  cache: WorkspaceCache;
  /** Agent runtimes this worker can run: the CLIs its image carries (the process sandbox promises only commands). */
  runtimes: string[];
  /** Containers and worktrees a previous run of this worker left behind, removed at start. */
  reapedContainers: number;
  reapedWorktrees: number;
}

function createSandbox(config: WorkerConfig, logger: Logger, worktreeRoot: string): ContainerRuntime {
  if (config.sandbox.kind === "process") return createProcessRuntime({ logger });
  return createDockerRuntime({
    socketPath: config.sandbox.socketPath,
    owner: { workerId: config.id, host: hostname(), pid: process.pid },
    logger,
    // Slots next to the worktrees: a run's files are renamed into its warm container's mounts (same file system),
    // and the start-up reaper removes what a crashed worker left there with its worktree root.
    warmPool: { size: config.sandbox.warmPoolSize, dir: join(worktreeRoot, WARM_SLOTS_DIR) },
  });
}

/**
 * Claims the worker's worktree root, checks the sandbox answers, removes what a crashed worker left (containers,
 * worktrees), and opens the workspace cache.
 */
export async function prepareSandbox(config: WorkerConfig, logger: Logger): Promise<PreparedSandbox> {
  const cacheRoot = join(config.dataDir, "cache");
  const worktreeRoot = await claimWorktreeRoot(cacheRoot, config.id);
  const sandbox = createSandbox(config, logger.child({ component: "sandbox" }), worktreeRoot);
  await sandbox.ping();
  if (sandbox.kind === "process") {
    logger.warn("SANDBOX=process: runs execute as plain subprocesses without container isolation", {
      sandbox: "process",
    });
  }
  const reapedContainers = await sandbox.reapOrphans();
  const reapedWorktrees = await reapDeadWorktrees(cacheRoot, logger);
  const cache = new WorkspaceCache({
    cacheDir: join(cacheRoot, "mirrors"),
    worktreeRoot,
    logger: logger.child({ component: "git" }),
  });
  const runtimes =
    sandbox.kind === "docker"
      ? runtimesOf(await sandbox.inspectImage(config.sandbox.agentImage), runtimeNames())
      : ["command"];
  return { sandbox, cache, runtimes, reapedContainers, reapedWorktrees };
}
