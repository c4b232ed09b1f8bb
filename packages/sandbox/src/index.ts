/**
 * @pancode/sandbox: runs one agent command per sandbox behind the {@link ContainerRuntime} port. The Docker
 * adapter (the only user of dockerode in PanCode) starts a locked-down container per run on the worktree; the
 * process adapter is a weaker fallback for machines without Docker (`PANCODE_SANDBOX=process`).
 *
 * ```ts
 * import { createDockerRuntime } from "@pancode/sandbox";
 *
 * const runtime = createDockerRuntime({ owner: { workerId: "w1", host: hostname(), pid: process.pid } });
 * const ac = new AbortController();
 * const result = await runtime.run(
 *   {
 *     runId: "r1", image: "pancode/agent:dev", argv: ["sh", "-c", "npm test"], env: {},
 *     workspacePath: "/var/lib/pancode/worktrees/r1", readonly: false,
 *     limits: { memoryMb: 2048, cpus: 1, pids: 512 }, network: "none",
 *   },
 *   { onOutput: (stream, text) => process.stdout.write(text) },
 *   ac.signal,
 * );
 * if (result.exitCode !== 0) ...
 * ```
 */
export type { ContainerRuntime, ImageInfo, SandboxHooks, SandboxResult, SandboxRunSpec } from "./container-runtime.js";
export { WORKSPACE_DIR } from "./docker/container-options.js";
export { createDockerRuntime, type DockerRuntimeOptions } from "./docker/docker-runtime.js";
export { type ContainerOwner, LABELS } from "./docker/labels.js";
export { createProcessRuntime, type ProcessRuntimeOptions } from "./process/process-runtime.js";
export { isOwnerAlive, isProcessAlive, processStartTime } from "./process-identity.js";
export { chownTree } from "./workspace-owner.js";
