import { z } from "zod";

/**
 * Lifecycle of a run. `pending` until a worker claims it, `running` while its container lives, then exactly one
 * terminal status. Transitions are enforced by the coordinator (single writer), never by workers.
 */
export const RunStatus = z.enum(["pending", "running", "done", "error", "timeout", "interrupted", "budget_exceeded"]);
export type RunStatus = z.infer<typeof RunStatus>;
