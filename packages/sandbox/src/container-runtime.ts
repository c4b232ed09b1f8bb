import type { NetworkPolicy, SandboxLimits } from "@pancode/core";

/** One command to run in a fresh sandbox on a prepared worktree. */
export interface SandboxRunSpec {
  /** Run id; written as the `pancode.run-id` label and used in the container name. */
  runId: string;
  /** Image to start, e.g. `pancode/agent:dev`. Never pulled: it must exist locally. */
  image: string;
  /** Command and arguments, e.g. `["sh", "-c", task]`. Executed directly, not through a shell. */
  argv: string[];
  /** Environment of the command. Nothing of the worker's own environment leaks in besides PATH/HOME/LANG. */
  env: Record<string, string>;
  /**
   * Absolute host path of the worktree; mounted at `/workspace`, which is the command's working directory.
   * Docker runtime, root worker, writable mount: the tree is chowned to the sandbox user for the run and back to
   * its previous owner afterwards. A read-only worktree is not chowned and must be readable by that user.
   */
  workspacePath: string;
  /** Mount the worktree read-only (review/plan agents). */
  readonly: boolean;
  /** Memory, CPU and process limits. */
  limits: SandboxLimits;
  /** Size of the tmpfs HOME in MiB (docker runtime); default: the memory limit. */
  homeTmpfsMb?: number;
  /** Container network. */
  network: NetworkPolicy;
  /** Extra labels; PanCode's own `pancode.*` labels win on conflict. */
  labels?: Record<string, string>;
  /**
   * Host files or directories mounted read-only into the container (docker runtime; the process runtime sees the
   * host paths anyway). Used for the pancode client bundle of nested dispatch. `perRun`: the directory is the
   * run's own (its socket dir): a warm container mounts an empty directory of its own there, into which the
   * directory's entries are moved for the run (and back afterwards), so the mount set is known before the run.
   */
  readonlyMounts?: readonly { hostPath: string; containerPath: string; perRun?: boolean }[];
  /**
   * Shell commands a warm container (docker runtime) runs while it waits for its run, in the shell that later
   * sources the run's script: what they start in the background is already up when the run is released, and what
   * they export is in the run's environment (e.g. the in-container forwarder of the run's sockets, so that a coding
   * agent does not wait for a second Node process to start). Part of the pool's profile, so it must not depend on
   * the run; a fresh container never runs it, so `argv` must work without it.
   */
  warmPrelude?: string;
}

/** Callbacks invoked while a sandbox runs. */
export interface SandboxHooks {
  /**
   * Receives output as it arrives, already decoded as UTF-8 (a multi-byte character split across chunks is
   * delivered whole). A throwing hook is logged and ignored so it cannot wedge the run.
   */
  onOutput(stream: "stdout" | "stderr", text: string): void;
  /**
   * Takes the sandbox's upkeep after a run (removing a used warm container, refilling the warm pool) for the caller
   * to start once it is done with the run's result: on a small host that Docker work competes for the CPU the
   * patch and the completion need. The run's files are always back before `run` resolves; a used container is
   * never given to another run, whenever it is removed. Absent: the upkeep starts at once.
   */
  defer?(upkeep: () => Promise<void>): void;
}

/** How a sandboxed command ended. Non-zero exits are data, not exceptions. */
export interface SandboxResult {
  /** Exit status of the command; 128+signal when killed (137 after SIGKILL); -1 when aborted before start. */
  exitCode: number;
  /** True when the kernel OOM killer ended the sandbox (memory limit reached). */
  oomKilled: boolean;
  /** True when the caller's AbortSignal fired before the command finished on its own. */
  aborted: boolean;
  startedAt: Date;
  /** When the command was running (the container created, attached and started); absent when it never started. */
  runningAt?: Date;
  finishedAt: Date;
}

/** What the sandbox knows about an image. */
export interface ImageInfo {
  digest: string;
  labels: Record<string, string>;
}

/**
 * Port to whatever isolates one agent run: a Docker container per run today, maybe a k8s pod later. Workers
 * depend on this interface only; tests may swap in fakes.
 */
export interface ContainerRuntime {
  readonly kind: "docker" | "process";
  /**
   * Runs `spec.argv` to completion and streams its output to `hooks`. When `signal` aborts, the command gets
   * SIGTERM, then SIGKILL about 2 s later, and the result has `aborted: true`. The sandbox is always removed
   * afterwards, also when this throws. Throws `PanCodeError` (`SANDBOX_FAILED`, `UNAVAILABLE`) only when the
   * sandbox itself could not be prepared or started.
   */
  run(spec: SandboxRunSpec, hooks: SandboxHooks, signal: AbortSignal): Promise<SandboxResult>;
  /** Removes sandboxes left behind by dead owners on this host; returns how many were removed. */
  reapOrphans(): Promise<number>;
  /**
   * Content id (`sha256:...`, for receipts) and labels of `image` (e.g. `pancode.runtimes`, the agent CLIs it
   * carries). Throws `SANDBOX_FAILED` when the image is missing.
   */
  inspectImage(image: string): Promise<ImageInfo>;
  /** Resolves when the runtime can start sandboxes; throws `UNAVAILABLE` otherwise. */
  ping(): Promise<void>;
  /** Removes what the runtime holds ahead of runs (warm containers); runs in progress remove their own. */
  close?(): Promise<void>;
}
