import { readFileSync } from "node:fs";

/**
 * When the process `pid` started, in clock ticks since boot (field 22 of /proc/<pid>/stat), or "" when it cannot be
 * read (no such process, no /proc). Together with the pid it identifies one process: a reused pid has another start.
 */
export function processStartTime(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may contain spaces and parentheses; the fields after the last ")" are fixed.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return fields[19] ?? "";
  } catch (_err) {
    // Gone, or not Linux: the caller treats "" as unknown.
    return "";
  }
}

/**
 * True when a process with `pid` exists in our pid namespace. EPERM means it exists but belongs to someone
 * else, which still makes it alive.
 */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== "ESRCH";
  }
}

/**
 * True while the process that recorded `{pid, start}` still runs: the pid is alive and, when a start time was
 * recorded, it is the same process (not a later one that reused the pid, e.g. pid 1 of a restarted container).
 */
export function isOwnerAlive(owner: { pid: number; start: string }): boolean {
  if (!isProcessAlive(owner.pid)) return false;
  return owner.start === "" || processStartTime(owner.pid) === owner.start;
}
