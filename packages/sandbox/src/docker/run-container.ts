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
import type { WarmContainer, WarmPool, WarmPoolContext } from "./warm-pool.js";
import { isScriptableEnv, moveEntries, releaseSlot, runScript } from "./warm-slot.js";

/** How long to wait for the attach stream to deliver its last bytes after the container exited. */
const OUTPUT_DRAIN_MS = 2_000;

/** Everything {@link runContainer} needs besides the spec; built once by `createDockerRuntime`. */
export interface DockerRunContext extends WarmPoolContext {
  socketPath: string;
  /** Started containers waiting for runs; absent or empty: every run creates its own. */
  pool?: WarmPool;
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
    const warm = isScriptableEnv(spec.env) ? ctx.pool?.take(spec) : undefined;
    if (warm) {
      const result = await runWarm(ctx, warm, spec, hooks, signal);
      if (result) return result;
    }
    return await createAndRun(ctx, spec, hooks, signal);
  } finally {
    // Only after the container is gone, so nothing writes while ownership goes back.
    await restoreOwner();
    upkeep(hooks, async () => ctx.pool?.replenish());
  }
}

/** Starts the sandbox's upkeep after a run when the caller says (see `SandboxHooks.defer`), or at once. */
function upkeep(hooks: SandboxHooks, work: () => Promise<void>): void {
  if (hooks.defer) hooks.defer(work);
  else void work();
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
    return await attachAndRun(ctx, { container, name, spec, hooks, signal, start: () => container.start() });
  } finally {
    await removeContainer(ctx, container, name);
  }
}

/**
 * Runs `spec` in a started warm container: the run's files are moved into the directories it mounts, it is renamed
 * after the run (`pancode-<run id>-...`: labels cannot change after creation), and released with the run's script.
 * Resolves undefined when the container could not be used before the command started (e.g. it died, or the
 * worktree is on another file system): the caller then creates a fresh container. The container is always removed:
 * once it exited (its init gone, so every process of it), the run's files come back at once and the removal
 * finishes in the background, off the run's path (the pool waits for it on close).
 */
async function runWarm(
  ctx: DockerRunContext,
  warm: WarmContainer,
  spec: SandboxRunSpec,
  hooks: SandboxHooks,
  signal: AbortSignal,
): Promise<SandboxResult | undefined> {
  const name = containerName(spec.runId);
  const moveBack: (() => Promise<void>)[] = [];
  let started = false;
  let exited = false;
  try {
    moveBack.push(await moveEntries(spec.workspacePath, warm.slot.workspace));
    const perRun = (spec.readonlyMounts ?? []).filter((m) => m.perRun);
    for (const [i, m] of perRun.entries()) {
      moveBack.push(await moveEntries(m.hostPath, warm.slot.runMounts[i] as string));
    }
    const renamed = warm.container.rename({ name });
    // Handled here, awaited before the release: a failed rename must not surface as an unhandled rejection.
    renamed.catch(() => {});
    ctx.logger.debug("container created", { runId: spec.runId, container: name, warm: true });
    const owner = ctx.workerIsRoot ? parseNumericUser(ctx.user) : undefined;
    const result = await attachAndRun(ctx, {
      container: warm.container,
      name,
      spec,
      hooks,
      signal,
      start: async () => {
        await renamed;
        await releaseSlot(warm.slot, runScript(spec.argv, spec.env), owner);
        started = true;
      },
      running: true,
    });
    exited = started;
    return result;
  } catch (err) {
    if (started) throw err;
    ctx.logger.warn("warm container unusable, creating a fresh one", { runId: spec.runId, err: String(err) });
    ctx.pool?.flush();
    return undefined;
  } finally {
    if (!exited) await removeContainer(ctx, warm.container, name);
    for (const back of moveBack.reverse()) await back();
    ctx.logger.debug("container released", { runId: spec.runId, container: name });
    // Exited (its init gone) and out of the pool for good: only its removal waits, and may wait for the caller.
    if (exited) upkeep(hooks, async () => ctx.pool?.retire(warm, () => removeContainer(ctx, warm.container, name)));
    else ctx.pool?.retire(warm, async () => {});
  }
}

interface Attempt {
  container: Docker.Container;
  name: string;
  spec: SandboxRunSpec;
  hooks: SandboxHooks;
  signal: AbortSignal;
  /** Lets the command run: starts the container, or releases a warm one. */
  start: () => Promise<unknown>;
  /**
   * The container is running already (a warm one, blocked until `start` releases it): its wait request can go out
   * with the attach instead of after the start, one Docker round trip less on the run's path. A created container
   * must not: Docker's wait returns at once for a container that is not running.
   */
  running?: boolean;
}

async function attachAndRun(ctx: DockerRunContext, a: Attempt): Promise<SandboxResult> {
  const fail = (what: string) => (err: unknown) => {
    throw wrapDockerError(err, `${what} container ${a.name} for run ${a.spec.runId}`, ctx.socketPath);
  };
  const waitForExit = () => a.container.wait().catch(fail("wait for")) as Promise<{ StatusCode?: number }>;
  const early = a.running ? waitForExit() : undefined;
  // Handled where it is awaited, below; a failure before then must not count as an unhandled rejection.
  early?.catch(() => {});
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
    await a.start().catch(fail("start"));
    const runningAt = new Date();
    // An abort that fired while the start request was in flight found nothing running to stop.
    if (aborted) void stopContainer(ctx, a.container, a.name);
    const waited = await (early ?? waitForExit());
    const finishedAt = new Date();
    a.signal.removeEventListener("abort", onAbort);
    // The inspect (exit state, OOM) does not need the output: asked for while the output drains.
    const inspected = a.container.inspect().catch(fail("inspect"));
    inspected.catch(() => {});
    await withTimeout(outputDone, OUTPUT_DRAIN_MS, () =>
      ctx.logger.warn("output did not end after exit, may be truncated", { runId: a.spec.runId }),
    );
    decoder.end();
    const info = await inspected;
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
