import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { constants, tmpdir } from "node:os";
import { join } from "node:path";
import { EMPTY_DIGEST, type LoggerPort, PanCodeError, silentLogger } from "@pancode/core";
import type { ContainerRuntime, SandboxHooks, SandboxResult, SandboxRunSpec } from "../container-runtime.js";
import { OutputDecoder } from "../output-decoder.js";

/** Milliseconds between SIGTERM and SIGKILL of the process group on abort (same grace as the docker runtime). */
const KILL_GRACE_MS = 2_000;

/** Options of {@link createProcessRuntime}. */
export interface ProcessRuntimeOptions {
  logger?: LoggerPort;
  /**
   * PATH of the spawned commands (agents CLIs are found through it).
   * @default the worker's own PATH: the one variable of the worker's environment that is passed on
   */
  path?: string;
}

/**
 * A {@link ContainerRuntime} that runs the command as a plain child process (`PANCODE_SANDBOX=process`), for
 * machines without Docker. It isolates much less: no resource limits, no network policy, no user switch, and
 * the worktree is writable, so read-only specs are refused. What it does keep: a minimal environment (PATH, a
 * temporary HOME, LANG, plus `spec.env`; never the worker's secrets), cwd = worktree, and a process group per
 * run so an abort kills the command and everything it spawned.
 *
 * ```ts
 * const runtime = createProcessRuntime({ logger });
 * const result = await runtime.run({ ...spec, argv: ["sh", "-c", "make test"] }, hooks, signal);
 * ```
 */
export function createProcessRuntime(options: ProcessRuntimeOptions = {}): ContainerRuntime {
  const logger = options.logger ?? silentLogger;
  const path = options.path ?? process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin";
  return {
    kind: "process",
    run: (spec, hooks, signal) => runProcess({ spec, hooks, signal, path, logger }),
    // Children die with their process group or are re-parented; nothing is labelled, so nothing to reap.
    reapOrphans: async () => 0,
    // No image is involved; the empty digest tells receipts exactly that.
    // No image: commands run from the worker's own PATH, whatever CLIs are installed there.
    inspectImage: async () => ({ digest: EMPTY_DIGEST, labels: {} }),
    ping: async () => {},
  };
}

interface ProcessRun {
  spec: SandboxRunSpec;
  hooks: SandboxHooks;
  signal: AbortSignal;
  path: string;
  logger: LoggerPort;
}

async function runProcess({ spec, hooks, signal, path, logger }: ProcessRun): Promise<SandboxResult> {
  if (spec.readonly) throw new PanCodeError("SANDBOX_FAILED", "read-only agents need the docker sandbox");
  const [command, ...args] = spec.argv;
  if (!command) throw new PanCodeError("INVALID_ARGUMENT", `empty argv for run ${spec.runId}`);
  const info = await stat(spec.workspacePath).catch((err: unknown) => {
    throw new PanCodeError("SANDBOX_FAILED", `workspace not found: ${spec.workspacePath}`, { cause: err });
  });
  if (!info.isDirectory())
    throw new PanCodeError("SANDBOX_FAILED", `workspace is not a directory: ${spec.workspacePath}`);
  if (signal.aborted) {
    const now = new Date();
    return { exitCode: -1, oomKilled: false, aborted: true, startedAt: now, finishedAt: now };
  }
  const home = await mkdtemp(join(tmpdir(), "pancode-home-"));
  try {
    const child = spawn(command, args, {
      cwd: spec.workspacePath,
      env: { PATH: path, HOME: home, LANG: "C.UTF-8", ...spec.env },
      // Own process group: abort signals -pid and so reaches grandchildren too.
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    return await superviseChild(child, { spec, hooks, signal, path, logger });
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

async function superviseChild(child: ChildProcess, run: ProcessRun): Promise<SandboxResult> {
  const startedAt = new Date();
  const decoder = new OutputDecoder(run.hooks, run.logger, run.spec.runId);
  child.stdout?.on("data", (chunk: Buffer) => decoder.write("stdout", chunk));
  child.stderr?.on("data", (chunk: Buffer) => decoder.write("stderr", chunk));
  let aborted = false;
  let killTimer: NodeJS.Timeout | undefined;
  const onAbort = () => {
    aborted = true;
    signalGroup(child, "SIGTERM");
    killTimer = setTimeout(() => signalGroup(child, "SIGKILL"), KILL_GRACE_MS);
  };
  run.signal.addEventListener("abort", onAbort, { once: true });
  try {
    const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(
      (resolve, reject) => {
        child.once("error", (err) =>
          reject(
            new PanCodeError("SANDBOX_FAILED", `cannot start ${run.spec.argv[0]} for run ${run.spec.runId}`, {
              cause: err,
            }),
          ),
        );
        // 'close' waits for stdout/stderr to end too, so every byte has been handed to the decoder.
        child.once("exit", () => {
          // Like a container whose init exits: whatever the command left running in its group dies with it.
          signalGroup(child, "SIGKILL");
        });
        child.once("close", (c, s) => resolve({ code: c, signal: s }));
      },
    );
    decoder.end();
    return {
      exitCode: code ?? 128 + (signal ? constants.signals[signal] : 0),
      oomKilled: false,
      aborted,
      startedAt,
      // Spawned is running: a process has no container to create.
      runningAt: startedAt,
      finishedAt: new Date(),
    };
  } finally {
    run.signal.removeEventListener("abort", onAbort);
    clearTimeout(killTimer);
  }
}

function signalGroup(child: ChildProcess, sig: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, sig);
  } catch (_err) {
    // ESRCH: the group is already gone, which is what we wanted.
  }
}
