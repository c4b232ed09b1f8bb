import type { ResolvedAgent } from "@pancode/core";

/**
 * Cluster maxima of what one run's sandbox may get, whoever asks: an agent file (cluster or repository), or a
 * dispatch's `--timeout`. Repository files travel with a checkout that may come from anyone, so their `limits` are
 * only requests: the coordinator refuses one over a cap at admission, and every worker checks again against its own
 * caps before anything reaches Docker.
 */
export interface SandboxCaps {
  /** Memory ceiling in MiB (PANCODE_MAX_MEMORY). */
  memoryMb: number;
  /** CPU cores (PANCODE_MAX_CPUS). */
  cpus: number;
  /** Processes (PANCODE_MAX_PIDS). */
  pids: number;
  /** Size of the run's tmpfs HOME in MiB (PANCODE_MAX_TMPFS); HOME gets min(memory, this). */
  tmpfsMb: number;
  /** Run timeout in ms (PANCODE_MAX_TIMEOUT). */
  timeoutMs: number;
}

/** Defaults of the caps except CPUs, which default to the host's cores. */
export const DEFAULT_CAPS: Omit<SandboxCaps, "cpus"> = {
  memoryMb: 8 * 1024,
  pids: 4096,
  tmpfsMb: 2 * 1024,
  timeoutMs: 2 * 3_600_000,
};

/** The variable that raises each cap, named in every refusal. */
export const CAP_VARIABLES: Readonly<Record<keyof SandboxCaps, string>> = {
  memoryMb: "PANCODE_MAX_MEMORY",
  cpus: "PANCODE_MAX_CPUS",
  pids: "PANCODE_MAX_PIDS",
  tmpfsMb: "PANCODE_MAX_TMPFS",
  timeoutMs: "PANCODE_MAX_TIMEOUT",
};

function mib(n: number): string {
  if (n >= 1024 * 1024 && n % (1024 * 1024) === 0) return `${n / (1024 * 1024)}t`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024}g`;
  return `${n}m`;
}

function duration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/**
 * One line per field of the agent over a cap, naming the field, the asked value, the cap and the variable that
 * raises it; [] when the agent fits.
 */
export function capViolations(agent: ResolvedAgent, caps: SandboxCaps): string[] {
  const over = (field: string, asked: string, cap: string, key: keyof SandboxCaps) =>
    `agent "${agent.name}" asks ${field} ${asked}, over the cluster maximum ${cap} (raise ${CAP_VARIABLES[key]} to allow it)`;
  const { memoryMb, cpus, pids } = agent.limits;
  const found: string[] = [];
  if (memoryMb > caps.memoryMb) found.push(over("limits.memoryMb", mib(memoryMb), mib(caps.memoryMb), "memoryMb"));
  if (cpus > caps.cpus) found.push(over("limits.cpus", String(cpus), String(caps.cpus), "cpus"));
  if (pids > caps.pids) found.push(over("limits.pids", String(pids), String(caps.pids), "pids"));
  if (agent.timeoutMs > caps.timeoutMs) {
    found.push(over("timeout", duration(agent.timeoutMs), duration(caps.timeoutMs), "timeoutMs"));
  }
  return found;
}

/** MiB of the run's tmpfs HOME: as much as its memory limit, never more than the cap. */
export function homeTmpfsMb(agent: ResolvedAgent, caps: SandboxCaps): number {
  return Math.min(agent.limits.memoryMb, caps.tmpfsMb);
}
