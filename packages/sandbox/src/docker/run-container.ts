import { randomBytes } from "node:crypto";
import { stat } from "node:fs/promises";
import { isAbsolute } from "node:path";
import type { Duplex } from "node:stream";
import type { LoggerPort } from "@pancode/core";
import { PanCodeError } from "@pancode/core";
import type Docker from "dockerode";
import type { SandboxHooks, SandboxResult, SandboxRunSpec } from "../container-runtime.js";
import { OutputDecoder } from "../output-decoder.js";
import { chownTree, isReadableBy, parseNumericUser } from "../workspace-owner.js";
import { buildContainerOptions, STOP_GRACE_SECONDS } from "./container-options.js";
import { DockerStreamDemuxer } from "./demux.js";
import { dockerStatus, wrapDockerError } from "./docker-errors.js";
import type { ContainerOwner } from "./labels.js";

/** How long to wait for the attach stream to deliver its last bytes after the container exited. */
const OUTPUT_DRAIN_MS = 2_000;

/** Everything {@link runContainer} needs besides the spec; built once by `createDockerRuntime`. */
export interface DockerRunContext {
  docker: Docker;
  socketPath: string;
  owner: ContainerOwner;
  user: string;
  /** Whether the worker runs as root, and so must (and can) chown writable worktrees to `user`. */
  workerIsRoot: boolean;
  logger: LoggerPort;
}

/** Runs one spec in a fresh container and always removes it. See `ContainerRuntime.run` for the contract. */
export async function runContainer(
  ctx: DockerRunContext,
  spec: SandboxRunSpec,
  hooks: SandboxHooks,
  signal: AbortSignal,
): Promise<SandboxResult> {
  if (signal.aborted) return abortedBeforeStart();
  const restoreOwner = await prepareWorkspace(ctx, spec);
  try {
    return await createAndRun(ctx, spec, hooks, signal);
  } finally {
    // Only after the container is gone, so nothing writes while ownership goes back.
    await restoreOwner();
  }
}

async function createAndRun(
  ctx: DockerRunContext,
  spec: SandboxRunSpec,
  hooks: SandboxHooks,
  signal: AbortSignal,
): Promise<SandboxResult> {
  const name = containerName(spec.runId);
  const container = await ctx.docker
    .createContainer(buildContainerOptions({ spec, owner: ctx.owner, user: ctx.user, name }))
    .catch((err: unknown) => {
      if (dockerStatus(err) === 404) {
        throw new PanCodeError(
          "SANDBOX_FAILED",
          `image not found: ${spec.image} (build it with deploy/images/build-images.sh)`,
          { cause: err },
        );
      }
      throw wrapDockerError(err, `create container ${name} for run ${spec.runId}`, ctx.socketPath);
    });
  ctx.logger.debug("container created", { runId: spec.runId, container: name });
  try {
    return await attachAndRun(ctx, { container, name, spec, hooks, signal });
  } finally {
    await removeContainer(ctx, container, name);
  }
}

interface Attempt {
  container: Docker.Container;
  name: string;
  spec: SandboxRunSpec;
  hooks: SandboxHooks;
  signal: AbortSignal;
}

async function attachAndRun(ctx: DockerRunContext, a: Attempt): Promise<SandboxResult> {
  const fail = (what: string) => (err: unknown) => {
    throw wrapDockerError(err, `${what} container ${a.name} for run ${a.spec.runId}`, ctx.socketPath);
  };
  // Attach before start so not a byte of early output is lost.
  const stream = (await a.container
    .attach({ stream: true, stdout: true, stderr: true })
    .catch(fail("attach to"))) as Duplex;
  const decoder = new OutputDecoder(a.hooks, ctx.logger, a.spec.runId);
  const outputDone = pumpOutput(stream, decoder, ctx.logger, a.spec.runId);
  let aborted = false;
  const onAbort = () => {
    aborted = true;
    void stopContainer(ctx, a.container, a.name);
  };
  a.signal.addEventListener("abort", onAbort, { once: true });
  try {
    if (a.signal.aborted) return abortedBeforeStart();
    const startedAt = new Date();
    await a.container.start().catch(fail("start"));
    const runningAt = new Date();
    // An abort that fired while the start request was in flight found nothing running to stop.
    if (aborted) void stopContainer(ctx, a.container, a.name);
    const waited = (await a.container.wait().catch(fail("wait for"))) as { StatusCode?: number };
    const finishedAt = new Date();
    a.signal.removeEventListener("abort", onAbort);
    await withTimeout(outputDone, OUTPUT_DRAIN_MS, () =>
      ctx.logger.warn("output did not end after exit, may be truncated", { runId: a.spec.runId }),
    );
    decoder.end();
    const info = await a.container.inspect().catch(fail("inspect"));
    return {
      exitCode: waited.StatusCode ?? info.State.ExitCode,
      oomKilled: info.State.OOMKilled,
      aborted,
      startedAt,
      runningAt,
      finishedAt,
    };
  } finally {
    a.signal.removeEventListener("abort", onAbort);
    stream.destroy();
  }
}

function pumpOutput(stream: Duplex, decoder: OutputDecoder, logger: LoggerPort, runId: string): Promise<void> {
  const demux = new DockerStreamDemuxer((s, payload) => decoder.write(s, payload));
  return new Promise((resolve) => {
    stream.on("data", (chunk: Buffer) => demux.push(chunk));
    stream.once("end", () => resolve());
    stream.once("close", () => resolve());
    stream.once("error", (err) => {
      // The exit code still comes from wait(); a broken output stream only costs output, so do not fail the run.
      logger.warn("attach stream failed", { runId, err: String(err) });
      resolve();
    });
  });
}

/**
 * Validates the worktree and, for a root worker with a writable mount, hands it to the sandbox user. Returns
 * the function that hands it back afterwards: the worker's own git calls refuse a repository owned by another
 * user ("dubious ownership"), and files the agent created must end up owned like the rest of the tree.
 */
async function prepareWorkspace(ctx: DockerRunContext, spec: SandboxRunSpec): Promise<() => Promise<void>> {
  const noop = async () => {};
  if (spec.argv.length === 0) throw new PanCodeError("INVALID_ARGUMENT", `empty argv for run ${spec.runId}`);
  if (!isAbsolute(spec.workspacePath)) {
    throw new PanCodeError("INVALID_ARGUMENT", `workspace path must be absolute: ${spec.workspacePath}`);
  }
  const info = await stat(spec.workspacePath).catch((err: unknown) => {
    throw new PanCodeError("SANDBOX_FAILED", `workspace not found: ${spec.workspacePath}`, { cause: err });
  });
  if (!info.isDirectory())
    throw new PanCodeError("SANDBOX_FAILED", `workspace is not a directory: ${spec.workspacePath}`);
  const ids = parseNumericUser(ctx.user);
  if (!ids) {
    ctx.logger.warn("sandbox user is not numeric, worktree left as is", { runId: spec.runId, user: ctx.user });
    return noop;
  }
  if (spec.readonly) {
    if (!isReadableBy(info, ids.uid, ids.gid)) {
      const mode = (info.mode & 0o777).toString(8);
      throw new PanCodeError(
        "SANDBOX_FAILED",
        `read-only workspace is not readable by sandbox user ${ctx.user}: ${spec.workspacePath} (mode ${mode})`,
      );
    }
    return noop;
  }
  if (!ctx.workerIsRoot) return noop;
  await chownTree(spec.workspacePath, ids.uid, ids.gid);
  return () => chownTree(spec.workspacePath, info.uid, info.gid);
}

async function stopContainer(ctx: DockerRunContext, container: Docker.Container, name: string): Promise<void> {
  try {
    // SIGTERM to the init, SIGKILL after the grace period; returns once the container is down.
    await container.stop({ t: STOP_GRACE_SECONDS });
    ctx.logger.info("container stopped on abort", { container: name });
  } catch (err) {
    // 304: already stopped; 404: already removed. Both mean the abort has nothing left to do.
    const status = dockerStatus(err);
    if (status !== 304 && status !== 404) ctx.logger.warn("stop failed", { container: name, err: String(err) });
  }
}

async function removeContainer(ctx: DockerRunContext, container: Docker.Container, name: string): Promise<void> {
  try {
    await container.remove({ force: true, v: true });
    ctx.logger.debug("container removed", { container: name });
  } catch (err) {
    if (dockerStatus(err) === 404) return;
    // Not rethrown: it would hide the run's result or original error. The container keeps its owner labels,
    // so the next reapOrphans after this worker exits removes it.
    ctx.logger.error("container removal failed", { container: name, err: String(err) });
  }
}

function abortedBeforeStart(): SandboxResult {
  const now = new Date();
  return { exitCode: -1, oomKilled: false, aborted: true, startedAt: now, finishedAt: now };
}

/** `pancode-<run id>-<random>`: recognizable in `docker ps`, unique across attempts of the same run. */
function containerName(runId: string): string {
  const safe = runId.replace(/[^a-zA-Z0-9_.-]/g, "-").slice(0, 48);
  return `pancode-${safe}-${randomBytes(3).toString("hex")}`;
}

async function withTimeout(promise: Promise<void>, ms: number, onTimeout: () => void): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      onTimeout();
      resolve();
    }, ms);
  });
  await Promise.race([promise, timeout]);
  clearTimeout(timer);
}
