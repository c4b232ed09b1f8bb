/**
 * CPU time of processes from /proc (Linux), for benches that ask "is this process the bottleneck": a process busy
 * for the whole of a phase used one core; one at a small share of its wall time was waiting on something else.
 */
import { readdirSync, readFileSync } from "node:fs";

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on every Linux this runs on). */
const TICKS_PER_SECOND = 100;

interface Stat {
  ppid: number;
  cpuMs: number;
}

/** ppid and user+system CPU of `pid`, or undefined once it is gone. */
function statOf(pid: number): Stat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may hold spaces; the fields after its closing parenthesis are fixed.
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(fields[11]) + Number(fields[12]);
    return { ppid: Number(fields[1]), cpuMs: (ticks * 1000) / TICKS_PER_SECOND };
  } catch {
    return undefined;
  }
}

/** CPU milliseconds `pid` has used so far (0 once it is gone). */
export function cpuMsOf(pid: number | undefined): number {
  return pid === undefined ? 0 : (statOf(pid)?.cpuMs ?? 0);
}

/**
 * CPU milliseconds of `pid` and its live children (a Postgres postmaster and its backends). A backend that exited
 * in between is missed, so the figure is a floor; the bench's connections live for the whole phase.
 */
export function treeCpuMs(pid: number | undefined): number {
  if (pid === undefined) return 0;
  let total = cpuMsOf(pid);
  for (const entry of readdirSync("/proc")) {
    const child = Number(entry);
    if (!Number.isInteger(child)) continue;
    const stat = statOf(child);
    if (stat?.ppid === pid) total += stat.cpuMs;
  }
  return total;
}

/** Pid of the postmaster serving `socketUrl` (postgresql:///db?host=<dir>...: <dir>/data/postmaster.pid). */
export function postmasterPid(socketUrl: string): number | undefined {
  const dir = new URL(socketUrl).searchParams.get("host");
  if (!dir) return undefined;
  try {
    return Number(readFileSync(`${dir}/data/postmaster.pid`, "utf8").split("\n")[0]);
  } catch {
    return undefined;
  }
}

/**
 * Milliseconds the main thread of `pid` (a Node process's event loop) has spent runnable but waiting for a CPU
 * (/proc/<pid>/schedstat, second field, ns). Large against the wall time while its CPU time is small: the process
 * was starved by the machine, not idle waiting on its peers.
 */
export function runQueueWaitMs(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    return Number(readFileSync(`/proc/${pid}/schedstat`, "utf8").split(" ")[1]) / 1e6;
  } catch {
    return 0;
  }
}
