import { isTerminalStatus } from "@pancode/core";
import type { RunRow } from "@pancode/db";

/**
 * How long a group waits for an ended run's receipt before going on without it. The receipt is written right after
 * the run's terminal status commits, and its writer then wakes the group; the wait only covers a receipt that could
 * not be written at all (the group receipt then lists the run without one, and says so).
 */
const RECEIPT_GRACE_MS = 30_000;

/**
 * Whether a run is over for its batch or chain: terminal, and its receipt written. A group that moved on between
 * the terminal status and the receipt would sign a group receipt listing the run with no receipt (which then reads
 * as tampered once the run's receipt appears) and would start the next chain step without its predecessor's.
 */
export function isSettled(run: Pick<RunRow, "status" | "receiptId" | "finishedAt">, now = Date.now()): boolean {
  if (!isTerminalStatus(run.status)) return false;
  if (run.receiptId) return true;
  return run.finishedAt !== null && now - run.finishedAt.getTime() >= RECEIPT_GRACE_MS;
}
