import { spawn } from "node:child_process";
import { performance } from "node:perf_hooks";
import { AGENT_IMAGE } from "./prerequisites.js";

/** `docker run` arguments of the bare baseline: the floor for one container per run. */
export const BARE_ARGS = ["run", "--rm", "--network", "none", AGENT_IMAGE, "true"];

/**
 * `docker run` arguments with the same options the worker's sandbox puts on every run container
 * (packages/sandbox/src/docker/container-options.ts, default limits of packages/agents): init, non-root user, no
 * capabilities, no-new-privileges, memory/cpu/pids limits, tmpfs HOME, the worktree bind mount, `sh -c true` like
 * the shell agent. It shows how much of the gap is the container's options rather than the pipeline around it.
 */
export function hardenedArgs(workspaceDir: string): string[] {
  return [
    "run",
    "--rm",
    "--network",
    "none",
    "--init",
    "--user",
    "1000:1000",
    "--cap-drop",
    "ALL",
    "--security-opt",
    "no-new-privileges",
    "--memory",
    "2048m",
    "--memory-swap",
    "2048m",
    "--cpus",
    "1",
    "--pids-limit",
    "512",
    "--tmpfs",
    "/home/agent:rw,exec,nosuid,nodev,size=2048m,mode=0755,uid=1000,gid=1000",
    "-v",
    `${workspaceDir}:/workspace`,
    "-w",
    "/workspace",
    "-e",
    "HOME=/home/agent",
    AGENT_IMAGE,
    "sh",
    "-c",
    "true",
  ];
}

/** Runs `docker <args>` once and resolves with the milliseconds from spawn to exit; rejects on a non-zero exit. */
export function timeDockerRun(args: readonly string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    let stderr = "";
    const start = performance.now();
    const child = spawn("docker", args, { stdio: ["ignore", "ignore", "pipe"] });
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("exit", (code) => {
      const ms = performance.now() - start;
      if (code === 0) resolve(ms);
      else reject(new Error(`docker ${args.join(" ")} exited with ${code}: ${stderr.trim()}`));
    });
  });
}
