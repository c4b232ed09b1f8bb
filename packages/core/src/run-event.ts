import { z } from "zod";

/**
 * Kinds of run events. `stdout`/`stderr` carry raw output text; `status` marks a lifecycle transition; `log` is a
 * worker-side note (workspace prepared, patch uploaded); `agent` carries one normalised {@link AgentEvent} as JSON;
 * `safety` is `<action>: <message>` for what the run's model proxy refused or found, which the coordinator also audits.
 */
export const RunEventKind = z.enum(["status", "stdout", "stderr", "log", "agent", "safety"]);
export type RunEventKind = z.infer<typeof RunEventKind>;

/** The actions of `safety` events a worker may report for a run (the coordinator audits exactly these). */
export const RUN_SAFETY_ACTIONS = ["proxy_refused", "usage_mismatch"] as const;
export type RunSafetyAction = (typeof RUN_SAFETY_ACTIONS)[number];

/** One event of a run, ordered by `seq` within the run. */
export const RunEvent = z.object({
  runId: z.string(),
  seq: z.number().int().nonnegative(),
  attempt: z.number().int().nonnegative(),
  at: z.string(),
  kind: RunEventKind,
  text: z.string().default(""),
});
export type RunEvent = z.infer<typeof RunEvent>;
