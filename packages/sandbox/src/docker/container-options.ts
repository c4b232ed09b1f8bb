import type { ContainerCreateOptions } from "dockerode";
import type { SandboxRunSpec } from "../container-runtime.js";
import { type ContainerOwner, containerLabels } from "./labels.js";

/** Where the worktree appears inside the container; also the command's working directory. */
export const WORKSPACE_DIR = "/workspace";
/** HOME of the agent user: a tmpfs, so agents can write config and caches while the image stays untouched. */
const AGENT_HOME = "/home/agent";
/** Seconds between SIGTERM and SIGKILL when a run is aborted. */
export const STOP_GRACE_SECONDS = 2;

/** Inputs of {@link buildContainerOptions}. */
export interface ContainerOptionsInput {
  spec: SandboxRunSpec;
  owner: ContainerOwner;
  /** `uid:gid` the command runs as; never root. */
  user: string;
  /** Container name, unique per attempt. */
  name: string;
}

/**
 * The Docker create request for one run. Everything security-relevant is decided here, in one pure function:
 * non-root user, all capabilities dropped, no-new-privileges, resource limits, network policy (default none),
 * only the worktree mounted (never the Docker socket), tmpfs HOME.
 */
export function buildContainerOptions({ spec, owner, user, name }: ContainerOptionsInput): ContainerCreateOptions {
  const { memoryMb, cpus, pids } = spec.limits;
  const [uid, gid] = user.split(":");
  // Only numeric ids can own the tmpfs; a named user keeps tmpfs defaults (root-owned, mode 1777 below).
  const tmpfsOwner = uid && /^\d+$/.test(uid) ? `,uid=${uid},gid=${gid && /^\d+$/.test(gid) ? gid : uid}` : "";
  return {
    name,
    Image: spec.image,
    Cmd: spec.argv,
    // HOME first so a spec may point it elsewhere on purpose; nothing from the worker's env is passed.
    Env: [`HOME=${AGENT_HOME}`, ...Object.entries(spec.env).map(([k, v]) => `${k}=${v}`)],
    WorkingDir: WORKSPACE_DIR,
    User: user,
    Labels: containerLabels(owner, spec.runId, spec.labels),
    Tty: false,
    OpenStdin: false,
    AttachStdin: false,
    AttachStdout: true,
    AttachStderr: true,
    StopTimeout: STOP_GRACE_SECONDS,
    HostConfig: {
      Binds: [
        `${spec.workspacePath}:${WORKSPACE_DIR}${spec.readonly ? ":ro" : ""}`,
        // Tools the worker lends the run (the pancode client for nested dispatch); never writable from inside.
        ...(spec.readonlyMounts ?? []).map((m) => `${m.hostPath}:${m.containerPath}:ro`),
      ],
      Tmpfs: {
        [AGENT_HOME]: `rw,exec,nosuid,nodev,size=${spec.homeTmpfsMb ?? memoryMb}m,mode=${tmpfsOwner ? "0755" : "1777"}${tmpfsOwner}`,
      },
      NetworkMode: spec.network,
      // Not AutoRemove: the exit code, OOM flag and last output must be collected before the container goes.
      AutoRemove: false,
      Privileged: false,
      ReadonlyRootfs: false,
      CapDrop: ["ALL"],
      SecurityOpt: ["no-new-privileges"],
      // A tiny init as PID 1 forwards SIGTERM to the command and reaps zombies of agents that spawn tools.
      Init: true,
      Memory: memoryMb * 1024 * 1024,
      // Equal to Memory: no swap on top, so the memory limit is the real ceiling.
      MemorySwap: memoryMb * 1024 * 1024,
      NanoCpus: Math.round(cpus * 1e9),
      PidsLimit: pids,
      RestartPolicy: { Name: "no" },
    },
  };
}
