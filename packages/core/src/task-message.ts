import { z } from "zod";

/**
 * What the coordinator publishes on the task bus for one admitted run. Only ids: the worker fetches everything else
 * (spec, workspace bytes) from the coordinator when it claims the run, so a message stays tiny and never stale.
 */
export const TaskMessage = z.object({
  v: z.literal(1),
  runId: z.string().min(1),
  pool: z.string().min(1),
  enqueuedAt: z.string(),
});
export type TaskMessage = z.infer<typeof TaskMessage>;
