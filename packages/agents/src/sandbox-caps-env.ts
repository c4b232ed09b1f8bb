import { availableParallelism } from "node:os";
import { DurationMsEnv, MibEnv, PositiveIntEnv, PositiveNumberEnv } from "@pancode/config";
import { DEFAULT_CAPS, type SandboxCaps } from "./sandbox-caps.js";

/**
 * The environment variables of the sandbox caps, read alike by the coordinator (admission refuses a dispatch over
 * one) and by every worker (it refuses a run over its own caps before anything reaches Docker). Memory and tmpfs as
 * 8g / 512m; timeout as 2h / 90m.
 */
export const SANDBOX_CAPS_ENV = {
  PANCODE_MAX_MEMORY: MibEnv.default(DEFAULT_CAPS.memoryMb),
  /** CPU cores; default: this host's cores (Docker refuses more anyway). */
  PANCODE_MAX_CPUS: PositiveNumberEnv.default(availableParallelism()),
  /** Processes per sandbox: far above what `npm test` needs, far below what takes a host down. */
  PANCODE_MAX_PIDS: PositiveIntEnv.default(DEFAULT_CAPS.pids),
  /** Size of a run's tmpfs HOME (it gets its memory limit, at most this). */
  PANCODE_MAX_TMPFS: MibEnv.default(DEFAULT_CAPS.tmpfsMb),
  PANCODE_MAX_TIMEOUT: DurationMsEnv.default(DEFAULT_CAPS.timeoutMs),
};

/** The sandbox caps of a parsed environment. */
export function sandboxCapsOf(env: {
  PANCODE_MAX_MEMORY: number;
  PANCODE_MAX_CPUS: number;
  PANCODE_MAX_PIDS: number;
  PANCODE_MAX_TMPFS: number;
  PANCODE_MAX_TIMEOUT: number;
}): SandboxCaps {
  return {
    memoryMb: env.PANCODE_MAX_MEMORY,
    cpus: env.PANCODE_MAX_CPUS,
    pids: env.PANCODE_MAX_PIDS,
    tmpfsMb: env.PANCODE_MAX_TMPFS,
    timeoutMs: env.PANCODE_MAX_TIMEOUT,
  };
}
