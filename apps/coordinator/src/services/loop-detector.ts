import { PanCodeError, sha256Digest } from "@pancode/core";
import type { Database } from "@pancode/db";

/** Thresholds of loop detection (PANCODE_LOOP_WARN, PANCODE_LOOP_REFUSE, PANCODE_LOOP_WINDOW_MS). */
export interface LoopThresholds {
  warnAt: number;
  refuseAt: number;
  windowMs: number;
}

/** The seed's thresholds: warn at 3 failures, refuse at 5, within 10 minutes. */
export const DEFAULT_LOOP_THRESHOLDS: LoopThresholds = { warnAt: 3, refuseAt: 5, windowMs: 600_000 };

/** The task hash loop detection groups runs by (the same digest receipts record as taskHash). */
export function taskHashOf(task: string): string {
  return sha256Digest(task);
}

/**
 * Gate 7b, loop detection: the same agent failing on the same task again and again. Counted from the runs table,
 * so it holds cluster-wide and across restarts: the failures (error, timeout) of the agent on this task within the
 * window, newest first, up to the latest success, which resets the count. Unlike the seed, a timeout counts (an
 * agent that hangs on a task loops as surely as one that crashes), and the task matters, not only the agent.
 * Returns a warning at `warnAt` failures; throws LOOP_DETECTED at `refuseAt`.
 */
export async function checkLoop(
  db: Pick<Database, "recentOutcomes">,
  agent: string,
  task: string,
  limits: LoopThresholds,
  now: Date = new Date(),
): Promise<string | undefined> {
  const outcomes = await db.recentOutcomes({
    agent,
    taskHash: taskHashOf(task),
    since: new Date(now.getTime() - limits.windowMs),
    limit: Math.max(limits.warnAt, limits.refuseAt),
  });
  let failures = 0;
  for (const outcome of outcomes) {
    if (outcome.status === "done") break;
    failures++;
  }
  const window = formatWindow(limits.windowMs);
  if (failures >= limits.refuseAt) {
    throw new PanCodeError(
      "LOOP_DETECTED",
      `Dispatch blocked: agent "${agent}" failed ${failures} times in a row on this task within the last ${window} ` +
        "(loop detected). Change the task or the agent, or retry once the failures are older than the window.",
    );
  }
  if (failures >= limits.warnAt) {
    return `agent "${agent}" failed ${failures} times in a row on this task within the last ${window}; at ${limits.refuseAt} the dispatch is refused`;
  }
  return undefined;
}

function formatWindow(ms: number): string {
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${Math.round(ms / 1000)} s`;
}
